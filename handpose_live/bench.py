"""Speed: the whole live pipeline on a replayed recording, and the pose network alone (ONNX
Runtime per provider and, when torch is there, torch eager for the same weights).

Warm-up first, then N timed frames or runs; median and 95th percentile in ms
(Ultralytics-style reporting).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.pipeline.onnx_model import OnnxModel
from handpose_live.runtime.engine import EngineSettings, FrameOutput, LiveEngine
from handpose_live.sources.base import SourceError
from handpose_live.sources.factory import make_source


@dataclass(frozen=True)
class Timing:
    """Median and 95th percentile of one measured call, in ms."""

    median_ms: float
    p95_ms: float
    runs: int

    def per_frame(self, batch: int) -> float:
        """Median ms per frame of a batch."""
        return self.median_ms / batch

    @classmethod
    def of(cls, values_ms) -> "Timing":
        """Median and 95th percentile of measured values."""
        v = np.asarray(values_ms, dtype=np.float64)
        return cls(float(np.median(v)), float(np.percentile(v, 95)), len(v))


def time_call(fn: Callable[[], object], warmup: int = 5, runs: int = 50) -> Timing:
    """Time `fn` after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    t = np.empty(runs)
    for k in range(runs):
        t0 = time.perf_counter()
        fn()
        t[k] = (time.perf_counter() - t0) * 1000.0
    return Timing.of(t)


def _crops(batch: int, size: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, (batch, 1, size, size)).astype(np.float32)


def bench_onnx(model: OnnxModel, batches: tuple[int, ...], runs: int) -> dict[int, Timing]:
    """{batch: Timing} of a loaded ONNX model."""
    size = model.info.input_size
    return {b: time_call(lambda x=_crops(b, size): model.predict(x), runs=runs) for b in batches}


def bench_torch(checkpoint: Path, batches: tuple[int, ...], runs: int, device: str = "cpu"):
    """{batch: Timing} of the same network in PyTorch eager mode."""
    import torch

    from handpose_live.training.common import load_trained

    model = load_trained(checkpoint)[0].to(device)
    size = model.cfg.input_size

    def run(x: torch.Tensor) -> None:
        with torch.no_grad():
            model.predict(x)
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    return {b: time_call(lambda x=torch.from_numpy(_crops(b, size)).to(device): run(x), runs=runs) for b in batches}


@dataclass(frozen=True)
class PipelineBench:
    """The live pipeline on a replay: throughput and per-stage times after warm-up."""

    source: str
    provider: str
    model: str  # the pose network's file
    frames: int  # timed frames (after warm-up)
    fps: float
    stages: dict[str, Timing]  # per estimator stage, plus "total" (the whole estimate)
    latency: Timing  # capture → result
    hands_found: int

    def to_dict(self) -> dict:
        """JSON-ready figures."""
        return {"source": self.source, "provider": self.provider, "model": self.model, "frames": self.frames,
                "fps": self.fps, "hands_found": self.hands_found, "latency_ms": _timing_dict(self.latency),
                "stages_ms": {k: _timing_dict(t) for k, t in self.stages.items()}}


def _timing_dict(t: Timing) -> dict:
    return {"median": t.median_ms, "p95": t.p95_ms}


def _replay(recording: Path, estimator: HandPoseEstimator, on_output: Callable[[FrameOutput], None],
            frames: int) -> tuple[str, str | None]:
    """`frames` frames of `recording` (looped, as fast as possible) through the live engine, which
    closes the estimator; returns the source's name and the engine's error, if any."""
    source = make_source(recording=recording, realtime=False, loop=True)
    try:
        source.open()
        engine = LiveEngine(source, estimator, on_output, EngineSettings(max_frames=frames))
        engine.start()
        engine.join()
    finally:
        source.close()
        estimator.close()
    return source.name, engine.error


def bench_pipeline(recording: Path, options: EstimatorOptions, frames: int, warmup: int = 30) -> PipelineBench:
    """Replay `recording` as fast as possible through the live engine (capture and inference
    threads, smoothing, no output): `warmup` untimed frames, then `frames` timed ones.

    Raises SourceError when the recording cannot be played or holds too few frames.
    """
    estimator = HandPoseEstimator(options)
    model_name, provider = estimator.model.path.name, estimator.provider
    outputs: list[tuple[float, dict[str, float], float, bool]] = []

    def on_output(out: FrameOutput) -> None:
        outputs.append((out.t_infer_end, out.result.timings_ms, (out.t_infer_end - out.t_capture) * 1000.0,
                        out.result.hand_found))

    source_name, error = _replay(recording, estimator, on_output, warmup + frames)
    if error:
        raise SourceError(error)
    timed = outputs[warmup:]
    if len(timed) < 2:
        raise SourceError(f"{recording} gave only {len(outputs)} frames; the benchmark needs {warmup + 2} or more")
    names = list(dict.fromkeys(n for t in timed for n in t[1]))  # frames without a hand skip stages
    stages = {n: Timing.of([t[1][n] for t in timed if n in t[1]]) for n in names}
    stages["total"] = Timing.of([sum(t[1].values()) for t in timed])
    seconds = timed[-1][0] - outputs[warmup - 1][0] if warmup else timed[-1][0] - timed[0][0]
    count = len(timed) if warmup else len(timed) - 1
    return PipelineBench(source_name, provider, model_name, len(timed), count / max(seconds, 1e-9), stages,
                         Timing.of([t[2] for t in timed]), sum(t[3] for t in timed))


def resident_mb() -> float:
    """This process's resident memory now (Linux /proc), in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass(frozen=True)
class SoakResult:
    """A long headless replay: memory over time and whether every frame reached the output file."""

    frames: int
    seconds: float
    rss_mb: list[tuple[int, float]]  # (frames processed, resident MB)
    warmup_frames: int
    lines_written: int
    frames_in_order: bool
    error: str | None

    @property
    def growth(self) -> float:
        """Resident memory growth from the end of warm-up to the end, as a fraction."""
        warm = next(mb for n, mb in self.rss_mb if n >= self.warmup_frames)
        return self.rss_mb[-1][1] / warm - 1.0


def soak(recording: Path, options: EstimatorOptions, frames: int, output: Path, warmup: int = 1000,
         sample_every: int = 500, progress: bool = True) -> SoakResult:
    """Replay `recording` in a loop, as fast as possible, through the live engine until `frames`
    frames are processed, each written to `output` (.jsonl); resident memory is sampled every
    `sample_every` frames. Raises SourceError when the recording cannot be played."""
    from handpose_live.runtime.output import RecordWriter

    estimator = HandPoseEstimator(options)
    samples: list[tuple[int, float]] = [(0, resident_mb())]
    count = 0
    with RecordWriter(output) as writer, tqdm(total=frames, unit="frame", desc="soak", disable=not progress) as bar:
        def on_output(out: FrameOutput) -> None:
            nonlocal count
            writer.write(out.record(time.perf_counter()))
            count += 1
            if count % sample_every == 0 or count == frames:
                samples.append((count, resident_mb()))
                bar.set_postfix(rss_mb=f"{samples[-1][1]:.0f}")
            bar.update()

        t0 = time.perf_counter()
        _, error = _replay(recording, estimator, on_output, frames)
        seconds = time.perf_counter() - t0
    numbers = []
    with open(output) as f:
        for line in f:
            numbers.append(json.loads(line)["frame"])
    in_order = numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else False
    return SoakResult(count, seconds, samples, min(warmup, frames), len(numbers), in_order, error)
