"""Synthetic test and demo recordings: the synthetic camera written to a RealSense `.bag` or an
Azure Kinect `.mkv`, with the true joints of every frame in `OUT.gt.jsonl` (demo.bag → demo.bag.gt.jsonl)."""
from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from handpose_live.camera import CAMERA_RANGE_MM
from handpose_live.runtime.output import RecordWriter, frame_record
from handpose_live.sources.base import SourceError
from handpose_live.sources.synthetic import SyntheticCamera
from handpose_live.synthetic.animation import AnimationSettings

RECORDING_SUFFIXES = (".bag", ".mkv")
KINECT_SIZE = (640, 576)  # an Azure Kinect's NFOV unbinned depth


def truth_path(recording: Path) -> Path:
    """Where a recording's ground truth goes: demo.bag → demo.bag.gt.jsonl (a .bag and a .mkv of one name
    each keep their own)."""
    recording = Path(recording)
    return recording.with_name(recording.name + ".gt.jsonl")


def write_synthetic_recording(out: Path, frames: int, fps: float = 30.0, seed: int = 0,
                              size: tuple[int, int] | None = None, progress: bool = True,
                              distance_mm: float | None = None) -> AnimationSettings:
    """Record `frames` frames of the synthetic camera to `out` (.bag or .mkv) and their true joints
    to `truth_path(out)`; returns what was rendered. `distance_mm`: the hand's mean distance
    (default: the animation's, 650 mm for a .mkv). Raises SourceError (nothing is overwritten)."""
    out = Path(out)
    if out.suffix not in RECORDING_SUFFIXES:
        raise SourceError(f"the recording must be a .bag (RealSense) or .mkv (Azure Kinect) file, got {out}")
    for path in (out, truth_path(out)):
        if path.exists():
            raise SourceError(f"{path} already exists; choose another name or remove it first")
    if out.suffix == ".mkv":
        from handpose_live.sources.kinect import MkvWriter as Writer

        if size is not None and tuple(size) != KINECT_SIZE:
            raise SourceError("Azure Kinect .mkv recordings are 640x576 (NFOV unbinned depth)")
        # An Azure Kinect's depth, with time-of-flight artefacts; its NFOV mode sees from 500 mm on
        # (camera.CAMERA_RANGE_MM), so the hand moves about 650 mm away.
        settings = AnimationSettings(camera="azure_kinect_nfov", width=KINECT_SIZE[0], height=KINECT_SIZE[1],
                                     fps=fps, seed=seed, sensor="tof", distance_mm=distance_mm or 650.0)
    else:
        from handpose_live.sources.bag_writer import BagWriter as Writer

        width, height = size or (640, 480)
        try:
            settings = AnimationSettings(width=width, height=height, fps=fps, seed=seed,
                                         distance_mm=distance_mm or AnimationSettings.distance_mm)
        except ValueError as e:
            raise SourceError(str(e)) from None
    near, far = CAMERA_RANGE_MM[settings.camera]
    if not near + 100.0 <= settings.distance_mm <= far - 100.0:
        raise SourceError(f"a hand {settings.distance_mm:g} mm away is outside what this camera sees well "
                          f"({near + 100.0:g}-{far - 100.0:g} mm)")
    camera = SyntheticCamera(settings, realtime=False, frames=frames)
    camera.open()
    with Writer(out, camera.intrinsics, fps, "handpose-live synthetic camera") as recording, \
            RecordWriter(truth_path(out)) as truth:
        for frame in tqdm(camera, total=frames, unit="frame", desc=out.name, disable=not progress):
            recording.write(frame)
            truth.write(frame_record(frame, True, camera.ground_truth(frame.frame_number), None, joint_decimals=2))
    return settings
