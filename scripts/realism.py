"""The realism table of issue 13: the same figures around the hand on real frames and on synthetic
frames of the same camera, side by side (handpose_live/evaluation/realism.py says what each is).

    python scripts/realism.py ../shared/data/realdata [--synthetic 100] [--json OUT.json]

Real: the 19 SR305 frames (hands held up in front of the body) and the 84 FPHA (SR300) frames (seen
from the head) of SPEC §9. Synthetic: frames of the test seed rendered at 640×480 with the SR305
camera from the front and with the SR300 camera from the head. Every frame goes through the
estimator with the fit (no tracking); the hand's region is the fitted model's silhouette. A bad
path: one sentence, exit 2. Not a test: the real frames are not in the repository.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from real_frames import check_paths, load_frames
from tqdm import tqdm

from handpose_live.evaluation.realism import FrameRealism, frame_realism, realism_table, summarise
from handpose_live.evaluation.testset import TEST_SEED
from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.synthetic.generator import SynthSettings, render_frame, sample_rng
from handpose_live.synthetic.views import VIEWS, ViewSettings


def measure(est: HandPoseEstimator, frames, desc: str) -> list[FrameRealism]:
    """The figures of each frame (depth_mm, intrinsics) whose hand is found."""
    out = []
    for depth, intr in tqdm(frames, desc=desc, unit="frame"):
        r = est.estimate(depth, intr)
        if r.hand_found and r.shape is not None:
            out.append(frame_realism(depth, intr, r.joints_mm, r.shape.joint_radii))
    return out


def synthetic(camera: str, view: str, count: int):
    """`count` synthetic frames of the test seed with one camera and one view, as (depth_mm, intrinsics)."""
    settings = SynthSettings(width=640, height=480, cameras=(camera,),
                             views=ViewSettings(mix=tuple(float(v == view) for v in VIEWS)))
    for k in range(count):
        f = render_frame(sample_rng(TEST_SEED, k), settings)
        yield f.depth_mm, f.intrinsics


def main() -> int:
    """Measure, print the table, write --json."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("realdata", type=Path, help="the realdata folder of SPEC §9")
    p.add_argument("--synthetic", type=int, default=100, help="synthetic frames per camera (default 100)")
    p.add_argument("--json", type=Path, help="also write the summaries as JSON")
    a = p.parse_args()
    problem = check_paths(a.realdata, Path("."))
    if problem or a.synthetic < 1:
        print(problem or "--synthetic must be at least 1", file=sys.stderr)
        return 2
    real = load_frames(a.realdata)
    est = HandPoseEstimator(EstimatorOptions(tracking=False))
    columns = {
        "SR305 real": measure(est, [(f.depth_mm, f.intr) for f in real if f.set == "sr305"], "SR305 real"),
        "SR305 synthetic, front": measure(est, synthetic("realsense_sr305", "front", a.synthetic), "SR305 synthetic"),
        "FPHA SR300 real": measure(est, [(f.depth_mm, f.intr) for f in real if f.set == "fpha"], "FPHA real"),
        "SR300 synthetic, egocentric": measure(est, synthetic("realsense_sr300", "egocentric", a.synthetic),
                                               "SR300 synthetic"),
    }
    summaries = {name: summarise(frames) for name, frames in columns.items()}
    print("\n".join(realism_table(summaries)))
    if a.json is not None:
        a.json.write_text(json.dumps({n: asdict(s) for n, s in summaries.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
