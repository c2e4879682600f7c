"""Run the estimator on the real frames of ../shared/data/realdata and save overlays to look at.

    python scripts/real_frames.py ../shared/data/realdata OUT_DIR

SR305 (19 unlabelled frames of a right hand in front of a torso and face, 16-bit PNG, 0.125 mm
per count): one overlay per frame and a contact sheet, each frame estimated on its own (no
tracking). The blue cross is the detector's centre, the red one the refined centre, the square
the crop. NYU test frame 1 (depth = G << 8 | B in mm): the overlay and the mean error over the
joints its labels share with ours. Not a test: the files are not in the repository.
"""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from handpose_live.camera import KNOWN_CAMERAS, Intrinsics
from handpose_live.joints import BONES, NYU, bone_color_bgr
from handpose_live.pipeline.crop import make_crop_box
from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator

SR305 = Intrinsics(476.007, 476.007, 313.683, 242.755, 640, 480)  # from the dataset's readme.txt


def overlay(depth_mm: np.ndarray, intr: Intrinsics, est: HandPoseEstimator, result, title: str) -> np.ndarray:
    """Depth in grey with the skeleton, both centres and the crop square."""
    valid = depth_mm > 0
    lo, hi = (np.percentile(depth_mm[valid], [1, 99]) if valid.any() else (0.0, 1.0))
    gray = np.where(valid, 255 - np.clip((depth_mm - lo) / max(hi - lo, 1.0), 0, 1) * 200, 0).astype(np.uint8)
    img = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    if result.hand_found:
        box = make_crop_box(result.center_mm, intr, est.cube_mm, est.input_size)
        (uc, vc, _), (hu, hv) = box.center_uvz, box.half_px
        cv2.rectangle(img, (int(uc - hu), int(vc - hv)), (int(uc + hu), int(vc + hv)), (0, 200, 255), 1)
        for a, b in BONES:
            pa, pb = result.joints_px[a], result.joints_px[b]
            cv2.line(img, tuple(int(x) for x in pa), tuple(int(x) for x in pb), bone_color_bgr((a, b)), 2)
        for centre, colour in ((result.detected_center_mm, (255, 0, 0)), (result.center_mm, (0, 0, 255))):
            u, v, _ = intr.project(centre)
            cv2.drawMarker(img, (int(u), int(v)), colour, cv2.MARKER_CROSS, 16, 2)
    cv2.putText(img, title, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 0), 1)
    return img


def main(root: Path, out: Path) -> None:
    """Overlays of every real frame under `root` into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    est = HandPoseEstimator(EstimatorOptions(tracking=False))
    tiles = []
    for png in sorted((root / "ondris_sr305").glob("*/*.png"), key=lambda p: (p.parent.name, int(p.stem))):
        depth = cv2.imread(str(png), cv2.IMREAD_UNCHANGED).astype(np.float32) * 0.125
        r = est.estimate(depth, SR305)
        name = f"{png.parent.name}_{png.stem}"
        centre = "no hand" if not r.hand_found else f"centre z {r.center_mm[2]:.0f} mm"
        img = overlay(depth, SR305, est, r, f"{name}: {centre}")
        cv2.imwrite(str(out / f"sr305_{name}.png"), img)
        tiles.append(cv2.resize(img, (320, 240)))
        print(f"{name}: {centre}, detect→refine moved {np.linalg.norm(r.center_mm - r.detected_center_mm):.0f} mm"
              if r.hand_found else f"{name}: no hand")
    while len(tiles) % 5:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[k:k + 5]) for k in range(0, len(tiles), 5)]
    cv2.imwrite(str(out / "sr305_sheet.png"), np.vstack(rows))

    rgb = cv2.imread(str(root / "nyu_wdkwyf" / "depth_1_0000001.png"), cv2.IMREAD_COLOR)  # BGR order
    depth = ((rgb[:, :, 1].astype(np.uint16) << 8) | rgb[:, :, 0]).astype(np.float32)
    intr = KNOWN_CAMERAS["kinect_v1_nyu"]
    labels = root.parent / "benchmarks" / "groundtruth" / "nyu" / "nyu_test_groundtruth_label.txt"
    uvd = np.array(labels.read_text().splitlines()[0].split(), dtype=np.float64).reshape(-1, 3)
    truth, present = NYU.to_canonical(intr.backproject(uvd))
    r = est.estimate(depth, intr)
    err = np.linalg.norm(r.joints_mm[present] - truth[present], axis=1) if r.hand_found else None
    title = "NYU test 1: no hand" if err is None else f"NYU test 1: {err.mean():.1f} mm over {present.sum()} joints"
    cv2.imwrite(str(out / "nyu_test_1.png"), overlay(depth, intr, est, r, title))
    print(title)
    est.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
