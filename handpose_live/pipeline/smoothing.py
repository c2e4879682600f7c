"""One Euro filter (Casiez et al., CHI 2012) for joint positions: little jitter at rest, little
lag in fast moves. The live engine smooths with it, and so does the API for video
(`EstimatorOptions(smoothing=Smoothing())` with a timestamp per frame)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Smoothing:
    """The filter's two settings (`--smoothing MIN_CUTOFF,BETA`)."""

    min_cutoff_hz: float = 1.5  # cutoff at rest: lower removes more jitter, and lags more
    beta: float = 0.01  # how fast the cutoff rises with speed (per mm/s): higher lags less in fast moves

    def __post_init__(self) -> None:
        if not (self.min_cutoff_hz > 0 and self.beta >= 0 and math.isfinite(self.min_cutoff_hz + self.beta)):
            raise ValueError(f"smoothing needs a positive cutoff and a beta ≥ 0, got {self.min_cutoff_hz:g}, "
                             f"{self.beta:g}")

    @classmethod
    def parse(cls, text: str) -> Smoothing:
        """From "MIN_CUTOFF,BETA", e.g. "1.5,0.01"; ValueError with one sentence."""
        try:
            cutoff, beta = (float(v) for v in text.split(","))
        except ValueError:
            raise ValueError(f"--smoothing {text}: expected MIN_CUTOFF,BETA, e.g. 1.5,0.01") from None
        return cls(cutoff, beta)

    def scaled(self, cutoff: float = 1.0, beta: float = 1.0) -> Smoothing:
        """These settings with the cutoff and beta multiplied (the window's keys)."""
        return Smoothing(self.min_cutoff_hz * cutoff, self.beta * beta)

    def label(self) -> str:
        """e.g. "1.5 Hz, β 0.010"."""
        return f"{self.min_cutoff_hz:.2g} Hz, β {self.beta:.3f}"


def _alpha(cutoff_hz: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters an array (e.g. 21×3 joints in mm) sample by sample; `reset()` when the hand is lost.

    Args:
        min_cutoff_hz: cutoff at rest; lower removes more jitter.
        beta: how fast the cutoff rises with speed (per mm/s); higher lags less in fast moves.
        d_cutoff_hz: cutoff of the speed estimate.
    """

    def __init__(self, min_cutoff_hz: float = 1.5, beta: float = 0.01, d_cutoff_hz: float = 1.0):
        self.min_cutoff_hz, self.beta, self.d_cutoff_hz = min_cutoff_hz, beta, d_cutoff_hz
        self.reset()

    @classmethod
    def of(cls, settings: Smoothing) -> OneEuroFilter:
        """A filter with these settings."""
        return cls(settings.min_cutoff_hz, settings.beta)

    def set(self, settings: Smoothing) -> None:
        """Use these settings from the next sample on (what it has filtered so far stays)."""
        self.min_cutoff_hz, self.beta = settings.min_cutoff_hz, settings.beta

    def reset(self) -> None:
        """Start afresh: the next sample passes unchanged."""
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        """The filtered value of sample `x` taken at time `t` (seconds)."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t <= self._t or x.shape != self._x.shape:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        dx = (x - self._x) / dt
        a_d = _alpha(self.d_cutoff_hz, dt)
        self._dx = a_d * dx + (1.0 - a_d) * self._dx
        # Speed per joint (norm over xyz when the last axis holds coordinates).
        speed = np.linalg.norm(self._dx, axis=-1, keepdims=True) if x.ndim > 1 else np.abs(self._dx)
        cutoff = self.min_cutoff_hz + self.beta * speed
        tau = 1.0 / (2.0 * np.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt)
        self._x = a * x + (1.0 - a) * self._x
        self._t = t
        return self._x.copy()
