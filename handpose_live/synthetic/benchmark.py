"""Throughput of the synthetic engine: renders/s and finished training samples/s."""
from __future__ import annotations

import multiprocessing as mp
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator

from handpose_live.synthetic.generator import (
    SynthSettings,
    camera_and_rays,
    generate_samples,
    make_sample,
    render_frame,
    sample_rng,
)
from handpose_live.synthetic.geometry import hand_primitives
from handpose_live.synthetic.render import render_scene


def renders_per_second(settings: SynthSettings, count: int = 200, seed: int = 0) -> float:
    """Ray casts per second of a posed hand with its forearm, no scene, no sensor noise (one core)."""
    # Hands posed and placed by the generator; time only the ray casting of hand and forearm.
    frames = [render_frame(sample_rng(seed, k), settings) for k in range(min(count, 50))]
    intr, dirs = camera_and_rays(settings.cameras[0], settings.width, settings.height)
    prims = [hand_primitives(f.joints_mm) for f in frames]
    render_scene(prims[0], intr, dirs=dirs)  # compile / warm up
    t0 = time.perf_counter()
    for k in range(count):
        render_scene(prims[k % len(prims)], intr, dirs=dirs)
    return count / (time.perf_counter() - t0)


def _samples(args: tuple[int, int, int, SynthSettings]) -> int:
    seed, start, count, settings = args
    generate_samples(seed, start, count, settings)
    return count


def samples_per_second(settings: SynthSettings, count: int = 1000, workers: int = 1, seed: int = 0) -> float:
    """Finished training samples (render, sensor noise, crop) per second with `workers` processes."""
    generate_samples(seed, 10**9, 2, settings)  # compile / warm up before forking
    chunks = [(seed, k * 100, min(100, count - k * 100), settings) for k in range(-(-count // 100))]
    t0 = time.perf_counter()
    if workers == 1:
        done = sum(_samples(c) for c in chunks)
    else:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            done = sum(pool.map(_samples, chunks))
    return done / (time.perf_counter() - t0)


def full_frame_rate(settings: SynthSettings, count: int = 200, seed: int = 0) -> float:
    """Complete frames per second (pose, scene, ray cast, sensor artefacts), one core."""
    render_frame(sample_rng(seed, 10**9), settings)
    t0 = time.perf_counter()
    for k in range(count):
        rng = sample_rng(seed, k)
        make_sample(render_frame(rng, settings), rng, settings)
    return count / (time.perf_counter() - t0)


def benchmark_lines(settings: SynthSettings, count: int, workers: int, seed: int = 0) -> Iterator[str]:
    """The engine's throughput at `settings`' resolution, one printable line per figure as it is measured."""
    yield f"synthetic engine at {settings.width}x{settings.height}:"
    yield f"  ray casts (hand + forearm, no noise), 1 core: {renders_per_second(settings):8.1f} /s"
    yield f"  full frames with crop (scene + sensor), 1 core: {full_frame_rate(settings):6.1f} /s"
    yield f"  training samples, 1 process: {samples_per_second(settings, count, 1, seed):8.1f} /s"
    if workers > 1:
        many = samples_per_second(settings, count * workers, workers, seed)
        yield f"  training samples, {workers} processes: {many:8.1f} /s"
