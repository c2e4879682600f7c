"""Rates and latencies measured from timestamps (time.perf_counter seconds)."""
from __future__ import annotations

import collections
import time

import numpy as np


class RateMeter:
    """Events per second over the last `window_s` seconds."""

    def __init__(self, window_s: float = 1.0):
        self.window_s = window_s
        self._times: collections.deque[float] = collections.deque()

    def tick(self, t: float | None = None) -> None:
        """Record one event (now, unless `t` is given)."""
        t = time.perf_counter() if t is None else t
        self._times.append(t)
        while self._times and self._times[0] < t - self.window_s:
            self._times.popleft()

    def rate(self, now: float | None = None) -> float:
        """Events per second in the window ending now."""
        now = time.perf_counter() if now is None else now
        while self._times and self._times[0] < now - self.window_s:
            self._times.popleft()
        n = len(self._times)
        if n < 2:
            return 0.0
        return (n - 1) / max(self._times[-1] - self._times[0], 1e-9)


class StageStats:
    """Running per-stage times (ms) of the last `size` frames: median and 95th percentile."""

    def __init__(self, size: int = 300):
        self.size = size
        self._values: dict[str, collections.deque[float]] = {}

    def add(self, timings_ms: dict[str, float]) -> None:
        """Record one frame's stage times."""
        for stage, ms in timings_ms.items():
            self._values.setdefault(stage, collections.deque(maxlen=self.size)).append(ms)

    def median(self) -> dict[str, float]:
        """Median ms per stage, in the order stages first appeared."""
        return {k: float(np.median(v)) for k, v in self._values.items() if v}

    def p95(self) -> dict[str, float]:
        """95th-percentile ms per stage."""
        return {k: float(np.percentile(v, 95)) for k, v in self._values.items() if v}


def speed_line(timings_ms: dict[str, float]) -> str:
    """Ultralytics-style one-liner: 'detect 2.1 ms · refine 1.8 ms · infer 9.9 ms'."""
    return " · ".join(f"{k} {v:.1f} ms" for k, v in timings_ms.items())
