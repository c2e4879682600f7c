"""Per-frame result files: JSON lines (one object per frame) or CSV (one row per frame); the sink
protocol that --stream implements."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import IO, Protocol

import numpy as np

from handpose_live.joints import Joint
from handpose_live.types import DepthFrame

OUTPUT_SUFFIXES = (".jsonl", ".csv")


def frame_record(frame: DepthFrame, hand_found: bool, joints_mm: np.ndarray, latency_ms: float | None,
                 joint_decimals: int = 1, confidence: float | None = None, fit_error_mm: float | None = None,
                 handedness: str | None = None) -> dict:
    """One frame's line of --headless / --output / .gt.jsonl: frame, timestamp_ms, hand_found,
    joints_mm (21 × [x, y, z], [] without a hand), latency_ms, and the model fit's confidence (0-1),
    fit_error_mm (median data → model mm) and handedness ("left" / "right"); None where there is
    none (no hand, the fit off, the truth file)."""
    return {
        "frame": int(frame.frame_number),
        "timestamp_ms": round(frame.timestamp_s * 1000.0, 3),
        "hand_found": bool(hand_found),
        "joints_mm": np.round(joints_mm, joint_decimals).tolist(),
        "latency_ms": _rounded(latency_ms, 2),
        "confidence": _rounded(confidence, 3),
        "fit_error_mm": _rounded(fit_error_mm, 2),
        "handedness": handedness,
    }


def _rounded(value: float | None, decimals: int) -> float | None:
    """A plain float rounded for the file, or None (also for NaN or inf, which JSON has no word for)."""
    return None if value is None or not math.isfinite(value) else round(float(value), decimals)


class FrameSink(Protocol):
    """Something each processed frame is handed to besides the window or stdout (a --stream)."""

    def publish(self, out) -> None:
        """Take one FrameOutput (called on the engine's thread: must not block)."""

    def close(self) -> None:
        """Release what it holds."""


# The scalar keys, in the CSV's column order; the joints follow them.
SCALAR_KEYS = ("frame", "timestamp_ms", "hand_found", "latency_ms", "confidence", "fit_error_mm", "handedness")


def csv_header() -> list[str]:
    """CSV columns: the scalar keys, then x, y, z of every joint in canonical order."""
    joints = [f"{j.name.lower()}_{axis}" for j in Joint for axis in "xyz"]
    return [*SCALAR_KEYS, *joints]


def _csv_cell(value) -> object:
    """A CSV cell: booleans as 0/1, None as an empty cell."""
    if isinstance(value, bool):
        return int(value)
    return "" if value is None else value


class RecordWriter:
    """Writes records to a .jsonl or .csv file (flushed per frame: a killed run keeps its lines)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if self.path.suffix not in OUTPUT_SUFFIXES:
            raise ValueError(f"--output must end in .jsonl or .csv, got {self.path}")
        if not self.path.parent.is_dir():
            raise ValueError(f"folder {self.path.parent} does not exist")
        self._file: IO[str] = open(self.path, "w", newline="", encoding="utf-8")
        self._csv = None
        if self.path.suffix == ".csv":
            self._csv = csv.writer(self._file)
            self._csv.writerow(csv_header())
        self.count = 0

    def write(self, record: dict) -> None:
        """Append one frame's record."""
        if self._csv is not None:
            flat = [v for joint in record["joints_mm"] for v in joint] or [""] * (3 * len(Joint))
            self._csv.writerow([*(_csv_cell(record[k]) for k in SCALAR_KEYS), *flat])
        else:
            self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        self.count += 1

    def close(self) -> None:
        """Close the file (safe to call twice)."""
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
