"""Write the real SR305 frames of ../shared/data/realdata as RealSense .bag recordings, for `adapt`.

    python scripts/real_recordings.py ../shared/data/realdata OUT_DIR

One bag per SR305 sequence (ondris_sr305/<sequence>/*.png, frames in number order, at 30 fps frame
numbers: the PNGs are every 20th frame of the camera's stream). Only these frames: FPHA's and
HANDS2017's terms allow checks, not training, so they stay for scoring (scripts/real_frames.py).
The bags are written outside the repository and never committed. A bad path: one sentence, exit 2.
"""
from __future__ import annotations

import sys
from pathlib import Path

from real_frames import check_paths, load_frames

from handpose_live.sources.bag_writer import BagWriter
from handpose_live.types import DepthFrame

CAMERA_FPS = 30.0


def main(root: Path, out: Path) -> list[Path]:
    """Write one bag per SR305 sequence into `out`; returns their paths."""
    sequences: dict[str, list] = {}
    for f in load_frames(root):
        if f.set == "sr305":
            sequence, number = f.name.rsplit("_", 1)
            sequences.setdefault(sequence, []).append((int(number), f))
    paths = []
    for sequence, frames in sequences.items():
        path = out / f"sr305_{sequence}.bag"
        with BagWriter(path, frames[0][1].intr, CAMERA_FPS, device_name="Intel RealSense SR305") as bag:
            for number, f in frames:
                bag.write(DepthFrame(f.depth_mm, f.intr, number / CAMERA_FPS, number))
        print(f"{path}: {len(frames)} frames")
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python scripts/real_recordings.py ../shared/data/realdata OUT_DIR", file=sys.stderr)
        sys.exit(2)
    problem = check_paths(Path(sys.argv[1]), Path(sys.argv[2]))
    existing = [p for p in Path(sys.argv[2]).glob("sr305_*.bag")] if problem is None else []
    if problem or existing:
        print(problem or f"{existing[0]} already exists; choose an empty OUT_DIR.", file=sys.stderr)
        sys.exit(2)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
