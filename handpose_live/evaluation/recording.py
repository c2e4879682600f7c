"""A recording scored against the true joints beside it (`record-synthetic` writes OUT.gt.jsonl):
the whole estimator run on it as the live app runs it (tracking, frame after frame), the network's
joints and the fitted ones each against the truth. How a model or an adapted one does on a domain
of your choosing (distance, camera, hand) that you can record and score."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from handpose_live.errors import UserError
from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.runtime.recordings import truth_path
from handpose_live.sources.factory import make_source


@dataclass(frozen=True)
class RecordingScore:
    """Joint errors (mm, mean over the 21 joints, then over the frames with a hand) of one recording."""

    recording: str
    frames: int
    found: int  # frames with a hand found
    network_mean_mm: float
    network_median_mm: float  # the median frame's mean joint error
    fit_mean_mm: float | None  # None with the fit off
    fit_median_mm: float | None

    def to_dict(self) -> dict:
        """JSON-able form."""
        return asdict(self)


def read_truth(path: Path) -> dict[int, np.ndarray]:
    """Frame number → (21, 3) true joints from a .gt.jsonl; raises UserError for a missing or bad file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} does not exist (record-synthetic writes the true joints there)")
    truth: dict[int, np.ndarray] = {}
    for k, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            joints = np.asarray(row["joints_mm"], np.float64)
            if joints.shape != (21, 3):
                raise ValueError
            truth[int(row["frame"])] = joints
        except (ValueError, KeyError, TypeError):
            raise UserError(f"{path}, line {k}: not a ground-truth record (frame and 21 joints_mm)") from None
    return truth


def score_recording(recording: Path, options: EstimatorOptions, progress: bool = True) -> RecordingScore:
    """Run the estimator over `recording` and score it against the truth file beside it."""
    truth = read_truth(truth_path(recording))
    source = make_source(None, Path(recording), realtime=False)
    network: list[float] = []
    fitted: list[float] = []
    frames = 0
    with HandPoseEstimator(options) as est:
        source.open()
        try:
            for frame in tqdm(iter(source.read, None), desc=Path(recording).name, unit="frame", disable=not progress):
                frames += 1
                true = truth.get(frame.frame_number)
                if true is None:
                    raise UserError(f"{truth_path(recording)} has no joints for frame {frame.frame_number}")
                r = est.estimate(frame.depth_mm, frame.intrinsics)
                if not r.hand_found:
                    continue
                network.append(float(np.linalg.norm(r.network_joints_mm - true, axis=1).mean()))
                if options.fit:
                    fitted.append(float(np.linalg.norm(r.joints_mm - true, axis=1).mean()))
        finally:
            source.close()

    def stat(xs: list[float], f) -> float | None:
        return float(f(xs)) if xs else None

    return RecordingScore(str(recording), frames, len(network), stat(network, np.mean), stat(network, np.median),
                          stat(fitted, np.mean), stat(fitted, np.median))


def recording_report(s: RecordingScore) -> list[str]:
    """The score as lines for the terminal."""
    lines = [f"{s.recording}: {s.frames} frames, a hand found in {s.found}"]
    if s.found:
        lines.append(f"  network: mean joint error {s.network_mean_mm:.2f} mm (median frame {s.network_median_mm:.2f})")
        if s.fit_mean_mm is not None:
            lines.append(f"  with the fit: {s.fit_mean_mm:.2f} mm (median frame {s.fit_median_mm:.2f})")
    return lines
