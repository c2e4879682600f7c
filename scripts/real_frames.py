"""Run the estimator with the hand-model fit on every real frame of ../shared/data/realdata; draw and score network vs fit.

    python scripts/real_frames.py ../shared/data/realdata OUT_DIR [--model NET.onnx] [--refiner REFINER.onnx]
        [--coarse-refiner COARSE.onnx | --no-coarse-refiner]

Sets: SR305 (19 unlabelled right-hand frames, 0.125 mm per count), NYU test frame 1 (depth = G << 8 | B,
labels: line 1 of ../benchmarks/groundtruth/nyu), FPHA put_salt (84 egocentric SR300 frames, 21-joint labels
in skeleton.txt) and one HANDS2017 frame (unlabelled). Each frame is estimated once, on its own (no tracking),
with the fit on; the result carries both the network's and the fitted joints. Per frame OUT_DIR gets an
overlay (left: the whole frame, network thin, fit bold, labels black; right: the hand zoomed, network above,
fit below) and per set a contact sheet of the zoomed pairs. Errors (labelled sets), the fit's label-free
errors, the side it chose and its time go to stdout and OUT_DIR/real_frames.json. A bad path: one sentence,
exit 2. Not a test: the frames are not in the repository.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from handpose_live.camera import KNOWN_CAMERAS, Intrinsics
from handpose_live.joints import BONES, NYU, DatasetJoint, DatasetJointMap, Joint, bone_color_bgr
from handpose_live.pipeline.crop import make_crop_box
from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.types import HandPoseResult

SR305 = Intrinsics(476.007, 476.007, 313.683, 242.755, 640, 480)  # ondris_sr305/readme.txt
SR300 = Intrinsics(475.065948, 475.065857, 315.944855, 245.287079, 640, 480)  # fpha_put_salt/NOTES.md
NYU_LABELS = Path("benchmarks/groundtruth/nyu/nyu_test_groundtruth_label.txt")  # relative to realdata/..
FOUND_MM = 50.0  # "hand found in the right place": wrist and middle MCP both this close to the labels
ZOOM = 240  # side of a zoomed panel, px
LABEL_BGR = (0, 0, 0)  # labels in black: the hand is the brightest thing in a panel

# FPHA's order (fpha_put_salt/NOTES.md), by name; its thumb "MCP, PIP, DIP, TIP" are CMC, MCP, IP, tip.
_FPHA_NAMES = ("wrist", "thumb_mcp", "index_mcp", "middle_mcp", "ring_mcp", "little_mcp", "thumb_pip", "thumb_dip",
               "thumb_tip", "index_pip", "index_dip", "index_tip", "middle_pip", "middle_dip", "middle_tip",
               "ring_pip", "ring_dip", "ring_tip", "little_pip", "little_dip", "little_tip")
_FPHA_TO_CANONICAL = {"wrist": Joint.WRIST, "thumb_mcp": Joint.THUMB_CMC, "thumb_pip": Joint.THUMB_MCP,
                      "thumb_dip": Joint.THUMB_IP, "thumb_tip": Joint.THUMB_TIP}
for _f, _c in (("index", "INDEX"), ("middle", "MIDDLE"), ("ring", "RING"), ("little", "PINKY")):
    _FPHA_TO_CANONICAL.update({f"{_f}_{k}": Joint[f"{_c}_{K}"] for k, K in
                               (("mcp", "MCP"), ("pip", "PIP"), ("dip", "DIP"), ("tip", "TIP"))})
FPHA = DatasetJointMap("fpha", tuple(DatasetJoint(n, _FPHA_TO_CANONICAL[n]) for n in _FPHA_NAMES))
# Cross-check against hassony2's loader (NOTES.md): canonical joint i is FPHA joint _HASSONY2[i].
_HASSONY2 = [0, 1, 6, 7, 8, 2, 9, 10, 11, 3, 12, 13, 14, 4, 15, 16, 17, 5, 18, 19, 20]
assert [FPHA.canonical_indices().index(i) for i in range(21)] == _HASSONY2

Errors = dict[str, float] | None  # a frame's errors in mm (errors()), None without labels or hand
TIPS = [int(j) for j in (Joint.THUMB_TIP, Joint.INDEX_TIP, Joint.MIDDLE_TIP, Joint.RING_TIP, Joint.PINKY_TIP)]
TIP_NOTE = {  # SPEC §8: dataset labels put a tip at the finger's surface end, and so does the model: its
    # tip sphere sits one radius inside the tip joint (hand/shape.tip_sphere_centre).
    "nyu": "labels: tip at the surface end of the finger (SPEC §8; no NOTES.md for this set); so is the model's",
    "fpha": "NOTES.md does not state the tip convention; labels are magnetic-sensor positions (a few mm to ~1 cm "
            "bias); SPEC §8 says FPHA tips are at the surface end. Model tip = the finger's surface end.",
}


@dataclass
class Frame:
    """One real depth frame in mm with its camera, labels (canonical order, or None) and the true side."""

    set: str
    name: str
    depth_mm: np.ndarray
    intr: Intrinsics
    truth: np.ndarray | None = None
    mask: np.ndarray | None = None
    left: bool | None = None


def read_png(path: Path, scale: float = 1.0) -> np.ndarray:
    """A 16-bit depth PNG in mm."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FileNotFoundError(f"{path} is not a readable PNG")
    return img.astype(np.float32) * scale


def load_frames(root: Path) -> list[Frame]:
    """All real frames under `root`, in set order SR305, NYU, FPHA, HANDS2017."""
    frames: list[Frame] = []
    sr = root / "ondris_sr305"
    sides = {ln.split()[0]: ln.split()[2:4] == ["1", "0"] for ln in (sr / "annotations.txt").read_text().splitlines()
             if ln.strip()}  # directory gesture left right subject
    for png in sorted(sr.glob("*/*.png"), key=lambda p: (p.parent.name, int(p.stem))):
        frames.append(Frame("sr305", f"{png.parent.name}_{png.stem}", read_png(png, 0.125), SR305,
                            left=sides.get(png.parent.name)))
    rgb = cv2.imread(str(root / "nyu_wdkwyf" / "depth_1_0000001.png"), cv2.IMREAD_COLOR)  # BGR order
    nyu_intr = KNOWN_CAMERAS["kinect_v1_nyu"]
    uvd = np.array((root.parent / NYU_LABELS).read_text().splitlines()[0].split(), np.float64).reshape(-1, 3)
    truth, mask = NYU.to_canonical(nyu_intr.backproject(uvd))
    frames.append(Frame("nyu", "test_1", ((rgb[:, :, 1].astype(np.uint16) << 8) | rgb[:, :, 0]).astype(np.float32),
                        nyu_intr, truth, mask, left=False))  # right: labelled thumb toward the body, palm to camera
    fp = root / "fpha_put_salt"
    for line in (fp / "skeleton.txt").read_text().splitlines():
        t, *xyz = line.split()
        truth, mask = FPHA.to_canonical(np.array(xyz, np.float64).reshape(21, 3))
        frames.append(Frame("fpha", f"{int(t):04d}", read_png(fp / "depth" / f"depth_{int(t):04d}.png"), SR300,
                            truth, mask, left=False))
    frames.append(Frame("hands2017", "D00000030", read_png(root / "hands2017_sr300" / "image_D00000030.png"), SR300))
    return frames


def errors(joints: np.ndarray, f: Frame) -> Errors:
    """Mean error over the mapped joints, over tips and non-tips, and wrist / middle-MCP distances."""
    if f.truth is None or len(joints) == 0:
        return None
    d = np.linalg.norm(joints - f.truth, axis=1)
    tips = np.zeros(21, bool)
    tips[TIPS] = True
    out = {"mean": float(d[f.mask].mean()), "tips": float(d[f.mask & tips].mean()),
           "non_tips": float(d[f.mask & ~tips].mean())}
    out.update({k: float(d[j]) for k, j in (("wrist", Joint.WRIST), ("middle_mcp", Joint.MIDDLE_MCP)) if f.mask[j]})
    return out


def found(e: Errors) -> bool:
    """Wrist and middle MCP both within FOUND_MM of the labels."""
    return e is not None and e.get("wrist", np.inf) <= FOUND_MM and e.get("middle_mcp", np.inf) <= FOUND_MM


def grey(depth_mm: np.ndarray, near: float, far: float) -> np.ndarray:
    """Depth as BGR grey, near bright, no data black."""
    g = 255 - np.clip((depth_mm - near) / max(far - near, 1.0), 0, 1) * 200
    return cv2.cvtColor(np.where(depth_mm > 0, g, 0).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def draw(img: np.ndarray, px: np.ndarray, width: int, colour: tuple[int, int, int] | None = None) -> None:
    """The bones (finger colours unless `colour`) and dots at pixel positions `px`; NaN rows are left out."""
    ok = np.all(np.isfinite(px), axis=1)
    p = [tuple(round(float(c)) for c in q) if k else None for q, k in zip(px, ok)]
    for a, b in BONES:
        if ok[a] and ok[b]:
            cv2.line(img, p[a], p[b], colour or bone_color_bgr((a, b)), width, cv2.LINE_AA)
    for q in p:
        if q is not None:
            cv2.circle(img, q, max(2, width), colour or (255, 255, 255), -1, cv2.LINE_AA)


def label_px(f: Frame) -> np.ndarray:
    """The labels in pixels, NaN where the dataset has no such joint."""
    px = np.full((21, 2), np.nan)
    px[f.mask] = f.intr.project(f.truth[f.mask])[:, :2]
    return px


def zoom(f: Frame, r: HandPoseResult, est: HandPoseEstimator, joints: np.ndarray, title: str) -> np.ndarray:
    """The hand's surroundings, ZOOM px square, with `joints` bold and the labels thin black."""
    z = r.center_mm[2]
    box = make_crop_box(r.center_mm, f.intr, est.cube_mm, est.input_size)
    (uc, vc, _), (hu, hv) = box.center_uvz, box.half_px
    half = 1.3 * max(hu, hv)
    s = ZOOM / (2 * half)
    m = np.array([[s, 0, half * s - uc * s], [0, s, half * s - vc * s]])
    img = cv2.warpAffine(grey(f.depth_mm, z - 150, z + 150), m, (ZOOM, ZOOM), flags=cv2.INTER_NEAREST)
    if f.truth is not None:
        draw(img, label_px(f) * s + m[:, 2], 1, LABEL_BGR)
    draw(img, f.intr.project(joints)[:, :2] * s + m[:, 2], 2)
    cv2.putText(img, title, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 0), 1, cv2.LINE_AA)
    return img


def render(f: Frame, r: HandPoseResult, est: HandPoseEstimator, net_err: Errors, fit_err: Errors
           ) -> tuple[np.ndarray, np.ndarray]:
    """The overlay (full frame | network above fit) and the contact-sheet tile (network | fit)."""
    valid = f.depth_mm > 0
    lo, hi = np.percentile(f.depth_mm[valid], [1, 99]) if valid.any() else (0.0, 1.0)
    full = grey(f.depth_mm, lo, hi)
    head = f"{f.set} {f.name}"
    if not r.hand_found:
        cv2.putText(full, f"{head}: no hand", (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 255), 1)
        blank = np.zeros((ZOOM, ZOOM, 3), np.uint8)
        return np.hstack([full, np.vstack([blank, blank])]), np.hstack([blank, blank])
    box = make_crop_box(r.center_mm, f.intr, est.cube_mm, est.input_size)
    (uc, vc, _), (hu, hv) = box.center_uvz, box.half_px
    cv2.rectangle(full, (int(uc - hu), int(vc - hv)), (int(uc + hu), int(vc + hv)), (0, 200, 255), 1)
    if f.truth is not None:
        draw(full, label_px(f), 1, LABEL_BGR)
    draw(full, f.intr.project(r.network_joints_mm)[:, :2], 1)
    draw(full, r.joints_px, 3)
    side = "L" if r.shape.left else "R"
    cv2.putText(full, f"{head}: fit {r.fit_error_mm:.1f} mm, sil {r.silhouette_error_px:.1f} px, conf "
                f"{r.confidence:.2f}, {side} hand, {r.timings_ms['fit']:.1f} ms", (8, 22),
                cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 255, 0), 1, cv2.LINE_AA)
    cv2.putText(full, "thin: network, bold: fit, black: labels", (8, 470), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (0, 255, 0), 1, cv2.LINE_AA)
    net_txt, fit_txt = ("", "") if net_err is None else (f" {net_err['mean']:.0f} mm", f" {fit_err['mean']:.0f} mm")
    net = zoom(f, r, est, r.network_joints_mm, f"network{net_txt}")
    fit = zoom(f, r, est, r.joints_mm, f"fit{fit_txt} {side} {r.fit_error_mm:.0f}mm {r.silhouette_error_px:.0f}px")
    tile = np.hstack([net, fit])
    cv2.putText(tile, head, (4, ZOOM - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 255), 1, cv2.LINE_AA)
    return np.hstack([full, np.vstack([net, fit])]), tile


def sheet(tiles: list[np.ndarray]) -> np.ndarray:
    """Tiles in rows of 4 (a long set: 6 per row at half size), padded with black."""
    per_row = 4 if len(tiles) <= 24 else 6
    tiles = [t if per_row == 4 else cv2.resize(t, (t.shape[1] // 2, t.shape[0] // 2), interpolation=cv2.INTER_AREA)
             for t in tiles]
    while len(tiles) % per_row:
        tiles.append(np.zeros_like(tiles[0]))
    return np.vstack([np.hstack(tiles[k:k + per_row]) for k in range(0, len(tiles), per_row)])


def median(xs: list[float]) -> float | None:
    """Median of the finite values, None when there are none."""
    xs = [x for x in xs if x is not None and np.isfinite(x)]
    return float(np.median(xs)) if xs else None


def summarise(name: str, rows: list[dict]) -> dict:
    """One set's figures: label-free fit errors, side chosen, fit ms; errors and found counts with labels."""
    hands = [r for r in rows if r["hand_found"]]
    out: dict = {"frames": len(rows), "hand_found": len(hands),
                 "median_fit_error_mm": median([r["fit_error_mm"] for r in hands]),
                 "median_silhouette_error_px": median([r["silhouette_error_px"] for r in hands]),
                 "median_confidence": median([r["confidence"] for r in hands]),
                 "median_fit_ms": median([r["fit_ms"] for r in hands]),
                 "left_hand_chosen": sum(r["fit_left"] for r in hands),
                 "wrong_side": sum(r["fit_left"] != r["true_left"] for r in hands if r["true_left"] is not None)}
    if any(r["network"] is not None for r in rows):
        for who in ("network", "fit"):
            errs = [r[who] for r in rows if r[who] is not None]
            out[who] = {k: float(np.mean([e[k] for e in errs])) for k in ("mean", "non_tips", "tips")}
            if "wrist" in errs[0]:
                out[who]["found_within_50mm"] = sum(found(e) for e in errs)
        both = [r for r in rows if found(r["network"]) and found(r["fit"])]
        if both:
            out["found_by_both"] = len(both)
            out["mean_over_found_by_both"] = {w: float(np.mean([r[w]["mean"] for r in both])) for w in ("network", "fit")}
        out["tip_convention"] = TIP_NOTE[name]
    return out


def main(root: Path, out: Path, options: EstimatorOptions = EstimatorOptions()) -> None:
    """Estimate, draw and score every real frame under `root` into `out` with these options (each frame
    a new hand, fitted)."""
    frames = load_frames(root)
    est = HandPoseEstimator(replace(options, tracking=False, fit=True))
    est.estimate(frames[0].depth_mm, frames[0].intr)  # warm-up, not scored: the fit's first call compiles/loads numba
    rows: dict[str, list[dict]] = {}
    tiles: dict[str, list[np.ndarray]] = {}
    for f in frames:
        r = est.estimate(f.depth_mm, f.intr)
        net_err = errors(r.network_joints_mm, f) if r.hand_found else None
        fit_err = errors(r.joints_mm, f) if r.hand_found else None
        overlay, tile = render(f, r, est, net_err, fit_err)
        cv2.imwrite(str(out / f"{f.set}_{f.name}.png"), overlay)
        tiles.setdefault(f.set, []).append(tile)
        row = {"frame": f.name, "hand_found": r.hand_found, "network": net_err, "fit": fit_err,
               "fit_error_mm": r.fit_error_mm, "silhouette_error_px": r.silhouette_error_px,
               "confidence": r.confidence, "fit_left": bool(r.shape.left) if r.shape else None,
               "true_left": f.left, "fit_ms": r.timings_ms.get("fit")}
        rows.setdefault(f.set, []).append(row)
        scores = "" if net_err is None else f" error network {net_err['mean']:.1f} → fit {fit_err['mean']:.1f} mm,"
        print(f"{f.set} {f.name}: " + ("no hand" if not r.hand_found else
              f"{scores} fit {r.fit_error_mm:.1f} mm / {r.silhouette_error_px:.1f} px, conf {r.confidence:.2f}, "
              f"{'left' if r.shape.left else 'right'}, {r.timings_ms['fit']:.1f} ms"), flush=True)
    est.close()
    for name, ts in tiles.items():
        cv2.imwrite(str(out / f"{name}_sheet.png"), sheet(ts))
    summary = {name: summarise(name, rs) for name, rs in rows.items()}
    (out / "real_frames.json").write_text(json.dumps({"summary": summary, "frames": rows}, indent=1))
    print(json.dumps(summary, indent=1))


def check_paths(root: Path, out: Path) -> str | None:
    """One sentence saying what is wrong with the two paths, or None."""
    need = [root / "ondris_sr305" / "annotations.txt", root / "nyu_wdkwyf" / "depth_1_0000001.png",
            root.parent / NYU_LABELS, root / "fpha_put_salt" / "skeleton.txt",
            root / "hands2017_sr300" / "image_D00000030.png"]
    missing = [str(p) for p in need if not p.is_file()]
    if missing:
        return f"{root} is not the realdata folder: {missing[0]} is missing."
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return f"cannot create the output folder {out}: {e.strerror}."
    return None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Estimate, draw and score the real frames of ../shared/data/realdata.")
    parser.add_argument("realdata", type=Path, help="the realdata folder")
    parser.add_argument("out", type=Path, help="folder for the overlays and real_frames.json")
    parser.add_argument("--model", type=Path, help="pose network (default: the shipped one)")
    parser.add_argument("--refiner", type=Path, help="centre refiner (default: the shipped one)")
    parser.add_argument("--coarse-refiner", type=Path, help="coarse refiner (default: the shipped one, when there)")
    parser.add_argument("--no-coarse-refiner", action="store_true", help="no coarse refinement")
    a = parser.parse_args()
    problem = check_paths(a.realdata, a.out)
    for flag, path in (("--model", a.model), ("--refiner", a.refiner), ("--coarse-refiner", a.coarse_refiner)):
        if problem is None and path is not None and not path.is_file():
            problem = f"{flag} {path} is not a file."
    if problem:
        print(problem, file=sys.stderr)
        sys.exit(2)
    opts = EstimatorOptions(model_path=a.model)
    if a.refiner is not None:
        opts = replace(opts, refiner_path=a.refiner)
    if a.coarse_refiner is not None or a.no_coarse_refiner:
        opts = replace(opts, coarse_refiner_path=a.coarse_refiner)
    main(a.realdata, a.out, opts)
