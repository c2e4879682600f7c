"""Speed of the pose network: ONNX Runtime per provider and, when torch is there, torch eager.

Warm-up first, then N timed runs; median and 95th percentile in ms (Ultralytics-style
reporting). The pipeline benchmark joins this once the live pipeline exists.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from handpose_live.pipeline.onnx_model import OnnxModel


@dataclass(frozen=True)
class Timing:
    """Median and 95th percentile of one measured call, in ms."""

    median_ms: float
    p95_ms: float
    runs: int

    def per_frame(self, batch: int) -> float:
        """Median ms per frame of a batch."""
        return self.median_ms / batch


def time_call(fn: Callable[[], object], warmup: int = 5, runs: int = 50) -> Timing:
    """Time `fn` after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    t = np.empty(runs)
    for k in range(runs):
        t0 = time.perf_counter()
        fn()
        t[k] = (time.perf_counter() - t0) * 1000.0
    return Timing(float(np.median(t)), float(np.percentile(t, 95)), runs)


def _crops(batch: int, size: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, (batch, 1, size, size)).astype(np.float32)


def bench_onnx(path: Path, provider: str, batches: tuple[int, ...], runs: int, threads: int | None = None):
    """{batch: Timing} of an ONNX model, and the providers really in use."""
    model = OnnxModel(path, provider, threads)
    size = model.info.input_size
    out = {b: time_call(lambda x=_crops(b, size): model.predict(x), runs=runs) for b in batches}
    return out, model.providers_in_use


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
