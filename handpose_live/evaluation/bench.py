"""Speed: the whole live pipeline on a replayed recording, and the pose network alone (ONNX
Runtime per provider and, when torch is there, torch eager for the same weights).

Warm-up first, then N timed frames or runs; median and 95th percentile in ms
(Ultralytics-style reporting).
"""
from __future__ import annotations

import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.pipeline.onnx_model import OnnxModel
from handpose_live.pipeline.shipped import load_pose_model
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


def replay_through_engine(recording: Path, estimator: HandPoseEstimator, on_output: Callable[[FrameOutput], None],
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

    source_name, error = replay_through_engine(recording, estimator, on_output, warmup + frames)
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


def replay_recording(bag: Path | None, frames: int, folder: Path, say: Callable[[str], None] = print) -> Path:
    """What bench and soak replay: `bag`, or a fresh synthetic recording of `frames` frames in `folder`."""
    from handpose_live.runtime.recordings import write_synthetic_recording

    if bag is not None:
        return bag
    path = folder / "synthetic.bag"
    say(f"Recording {frames} synthetic 640x480 frames to replay (record-synthetic, seed 0)...")
    write_synthetic_recording(path, frames)
    return path


def pipeline_lines(p: PipelineBench) -> Iterator[str]:
    """The printed per-stage table of a pipeline benchmark."""
    yield (f"\npipeline · {p.provider} · {p.model} · {p.source} · {p.frames} frames after warm-up · "
           f"{p.fps:.1f} frames/s (hand found in {p.hands_found})")
    yield f"  {'stage':10s} {'median ms':>10s} {'p95 ms':>8s}"
    for name, t in p.stages.items():
        yield f"  {name:10s} {t.median_ms:10.2f} {t.p95_ms:8.2f}"
    yield f"  {'latency':10s} {p.latency.median_ms:10.2f} {p.latency.p95_ms:8.2f}   (capture → result)"


def model_lines(name: str, timings: dict[int, Timing]) -> Iterator[str]:
    """The printed table of the model alone, per batch size."""
    yield f"\nmodel · {name}"
    yield f"  {'batch':>5s} {'median ms':>10s} {'p95 ms':>8s} {'ms/frame':>9s} {'frames/s':>9s}"
    for b, t in timings.items():
        yield f"  {b:5d} {t.median_ms:10.2f} {t.p95_ms:8.2f} {t.per_frame(b):9.2f} {1000.0 / t.per_frame(b):9.1f}"


def _model_dict(timings: dict[int, Timing]) -> dict:
    out = {}
    for b, t in timings.items():
        out[f"batch{b}_ms"] = t.median_ms
        out[f"batch{b}_p95_ms"] = t.p95_ms
    return out


@dataclass(frozen=True)
class BenchSettings:
    """What `handpose-live bench` is asked to time."""

    model: Path | None = None  # None: the shipped pose network (int8 on the CPU)
    bag: Path | None = None  # None: a synthetic 640x480 recording made for the run
    frames: int = 300
    warmup: int = 30
    model_only: bool = False
    checkpoint: Path | None = None  # the same weights as a .pt, for torch eager
    providers: tuple[str, ...] = ("auto",)
    threads: int | None = None
    torch_device: str = "cpu"
    runs: int = 50


def run_bench(settings: BenchSettings, say: Callable[[str], None] = print) -> dict:
    """The whole pipeline on a replay, then the model alone, per provider, and torch eager for the same
    weights: printed through `say` as measured, returned as JSON-ready figures. Raises UserError."""
    results: dict = {"machine": {"cpu": platform.processor() or platform.machine(),
                                 "cores": len(os.sched_getaffinity(0))}, "providers": {}}
    with tempfile.TemporaryDirectory(prefix="handpose-bench-") as tmp:
        recording = None if settings.model_only else replay_recording(settings.bag, settings.frames, Path(tmp), say)
        for provider in settings.providers:
            entry: dict = {}
            if recording is not None:
                options = EstimatorOptions(model_path=settings.model, provider=provider, threads=settings.threads)
                p = bench_pipeline(recording, options, settings.frames, settings.warmup)
                for line in pipeline_lines(p):
                    say(line)
                entry["pipeline"] = p.to_dict()
            model, notes = load_pose_model(settings.model, provider, settings.threads)
            for note in notes:
                say(f"note: {note}")
            timings = bench_onnx(model, (1, 32), settings.runs)
            name = model.providers_in_use[0].replace("ExecutionProvider", "")
            for line in model_lines(f"onnxruntime {name} · {model.path.name} ({model.info.precision})", timings):
                say(line)
            entry["model"] = {"file": model.path.name, "precision": model.info.precision, **_model_dict(timings)}
            results["providers"][name] = entry
    first = next(iter(results["providers"].values()))
    results.update({k: first[k] for k in ("pipeline", "model") if k in first})
    if settings.checkpoint is not None:
        timings = bench_torch(settings.checkpoint, (1, 32), settings.runs, settings.torch_device)
        for line in model_lines(f"torch eager {settings.torch_device}", timings):
            say(line)
        results["torch"] = _model_dict(timings)
    return results
