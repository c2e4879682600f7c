"""How a depth frame looks around the hand, measured the same way on real and on synthetic frames
(issue 13's realism table): the hand's region is the silhouette of the fitted hand model, so no
labels are needed and both kinds of frame go through one procedure.

Per frame: the valid-pixel fraction over the region; the holes (invalid blobs) inside it; the gap
between the hand's outline and the nearest valid background pixel (the dropout band of
structured-light and stereo sensors along depth edges); the distance from the hand to the surface
behind it; the observed finger width across the fingers' middle bones; and, with the palm facing
the camera, the palm's width across the knuckles.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.hand.shape import tip_sphere_centre
from handpose_live.joints import FINGER_JOINTS, Joint

HAND_BAND_MM = 25.0  # a valid pixel of the region this close to the model's depth is hand
GAP_CAP_PX = 15  # an outline with no valid background this near (a far wall out of range) has no gap
BEHIND_RING_PX = 20  # the surface behind is looked for in this ring around the region
BEHIND_MIN_MM = 40.0  # and is at least this much deeper than the hand
PALM = (Joint.WRIST, Joint.THUMB_CMC, Joint.INDEX_MCP, Joint.MIDDLE_MCP, Joint.RING_MCP, Joint.PINKY_MCP)


def model_silhouette(joints_mm: np.ndarray, radii_mm: np.ndarray, intrinsics: Intrinsics) -> np.ndarray:
    """Where the hand model covers the image (bool, H × W): each bone a stroke as wide as the
    finger, the palm the polygon of the wrist and the finger bases."""
    mask = np.zeros((intrinsics.height, intrinsics.width), np.uint8)
    px = intrinsics.project(joints_mm)
    if not np.all(np.isfinite(px)) or np.any(joints_mm[:, 2] <= 0):
        return mask.astype(bool)
    f = abs(intrinsics.fx)
    for chain in FINGER_JOINTS:
        for a, b in zip(chain[:-1], chain[1:]):
            width = f * (radii_mm[a] + radii_mm[b]) / (joints_mm[a, 2] + joints_mm[b, 2]) * 2.0
            # The stroke's round cap reaches one radius past its end: the tip stroke ends inside the tip.
            end = intrinsics.project(tip_sphere_centre(joints_mm[a], joints_mm[b], radii_mm[b])[None])[0] \
                if b == chain[-1] else px[b]
            cv2.line(mask, tuple(int(round(v)) for v in px[a, :2]), tuple(int(round(v)) for v in end[:2]), 1,
                     max(1, int(round(width))), cv2.LINE_AA)
    palm = np.round(px[list(PALM), :2]).astype(np.int32)
    cv2.fillConvexPoly(mask, cv2.convexHull(palm), 1)
    return mask.astype(bool)


@dataclass(frozen=True)
class FrameRealism:
    """One frame's figures (NaN where a figure does not apply)."""

    valid_fraction: float  # valid pixels over the model's silhouette, dilated 3 px
    hole_sizes_px: tuple[int, ...]  # sizes of the invalid blobs inside it
    edge_gap_px: float  # median distance from the hand's outline to the nearest valid background pixel
    behind_mm: float  # median depth of the background around the hand minus the hand's median depth
    finger_width_mm: float  # median observed width across the four fingers' middle bones
    palm_width_mm: float = float("nan")  # across the knuckles, with the palm or its back facing the camera


def frame_realism(depth_mm: np.ndarray, intrinsics: Intrinsics, joints_mm: np.ndarray,
                  radii_mm: np.ndarray) -> FrameRealism:
    """The figures of one frame around the hand whose fitted joints are `joints_mm`."""
    depth = np.nan_to_num(np.asarray(depth_mm, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    valid = depth > 0
    kernel = np.ones((3, 3), np.uint8)
    region = cv2.dilate(model_silhouette(joints_mm, radii_mm, intrinsics).astype(np.uint8), kernel, iterations=3)
    region = region.astype(bool)
    if not region.any():
        return FrameRealism(float("nan"), (), float("nan"), float("nan"), float("nan"))
    hand_z = float(np.median(joints_mm[:, 2]))
    # Only pixels near the model's own depth: the palm and fingers, not a body seen between them.
    hand = region & valid & (np.abs(depth - hand_z) < HAND_BAND_MM + np.ptp(joints_mm[:, 2]) / 2)
    _, _, stats, _ = cv2.connectedComponentsWithStats((region & ~valid).astype(np.uint8), connectivity=8)
    holes = tuple(int(a) for a in stats[1:, cv2.CC_STAT_AREA])
    # The gap along the outline: distance to the nearest valid pixel that is not hand.
    background = valid & ~hand
    to_background = cv2.distanceTransform((~background).astype(np.uint8), cv2.DIST_L2, 3)
    outline = hand & ~cv2.erode(hand.astype(np.uint8), kernel).astype(bool)
    gaps = to_background[outline]
    gaps = gaps[gaps <= GAP_CAP_PX]
    ring = cv2.dilate(region.astype(np.uint8), kernel, iterations=BEHIND_RING_PX).astype(bool) & ~region
    # Deeper than the hand by more than its own band: not the wrist or forearm leaving the region.
    behind = depth[ring & valid & (depth > hand_z + BEHIND_MIN_MM)]
    return FrameRealism(float(valid[region].mean()), holes, float(np.median(gaps)) if len(gaps) else float("nan"),
                        float(np.median(behind) - np.median(depth[hand])) if len(behind) and hand.any() else float("nan"),
                        _finger_width_mm(hand, joints_mm, intrinsics), _palm_width_mm(hand, joints_mm, intrinsics))


PALM_FACING = 0.8  # |cos| of the palm normal's angle to the view ray: a tilted palm looks narrower


def _palm_width_mm(hand: np.ndarray, joints_mm: np.ndarray, intrinsics: Intrinsics) -> float:
    """The hand mask's extent along the line through the index and little-finger MCPs, in mm at
    their depth; NaN unless the palm (or its back) faces the camera."""
    a, b = joints_mm[Joint.INDEX_MCP], joints_mm[Joint.PINKY_MCP]
    normal = np.cross(b - a, joints_mm[Joint.MIDDLE_MCP] - joints_mm[Joint.WRIST])
    centre = 0.5 * (a + b)
    if not hand.any() or abs(normal @ centre) < PALM_FACING * np.linalg.norm(normal) * np.linalg.norm(centre):
        return float("nan")
    solid = cv2.morphologyEx(hand.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).astype(bool)
    pa, pb = intrinsics.project(np.stack([a, b]))[:, :2]
    mid, step = 0.5 * (pa + pb), (pb - pa) / max(np.linalg.norm(pb - pa), 1e-9)
    h, w = solid.shape
    reach = []
    for sign in (1.0, -1.0):
        t = 0.0
        while True:
            u, v = np.round(mid + sign * (t + 0.5) * step).astype(int)
            if not (0 <= v < h and 0 <= u < w and solid[v, u]) or t > 400:
                break
            t += 0.5
        reach.append(t)
    if min(reach) == 0.0:
        return float("nan")  # the knuckles' midpoint is not on the hand mask
    return float(sum(reach) * centre[2] / abs(intrinsics.fx))


def _finger_width_mm(hand: np.ndarray, joints_mm: np.ndarray, intrinsics: Intrinsics) -> float:
    """Twice the distance from the middle of each finger's middle bone to the hand mask's edge, in mm."""
    if not hand.any():
        return float("nan")
    # Single dropped pixels inside a finger are sensor noise, not its edge: closed before measuring.
    solid = cv2.morphologyEx(hand.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    inside = cv2.distanceTransform(solid, cv2.DIST_L2, 3)
    widths = []
    for chain in FINGER_JOINTS[1:]:
        mid = 0.5 * (joints_mm[chain[1]] + joints_mm[chain[2]])  # PIP → DIP
        u, v = intrinsics.project(mid[None])[0, :2]
        iu, iv = int(round(u)), int(round(v))
        if 0 <= iv < hand.shape[0] and 0 <= iu < hand.shape[1] and solid[iv, iu]:
            # The axis may run a pixel off the mask's middle: the widest point nearby is the width.
            patch = inside[max(iv - 2, 0): iv + 3, max(iu - 2, 0): iu + 3]
            widths.append(2.0 * float(patch.max()) * mid[2] / abs(intrinsics.fx))
    return float(np.median(widths)) if widths else float("nan")


@dataclass(frozen=True)
class RealismSummary:
    """Medians over frames (holes: over all holes of all frames)."""

    frames: int
    valid_fraction: float
    holes_per_frame: float
    hole_median_px: float
    hole_p90_px: float
    edge_gap_px: float
    behind_mm: float
    behind_within_300mm: float  # fraction of frames with a surface 40-300 mm behind the hand
    finger_width_mm: float
    palm_width_mm: float

    ROWS = (("valid pixels over the hand's region", "valid_fraction", "{:.1%}"),
            ("holes inside it, per frame", "holes_per_frame", "{:.1f}"),
            ("hole size, median (px)", "hole_median_px", "{:.0f}"),
            ("hole size, 90th percentile (px)", "hole_p90_px", "{:.0f}"),
            ("gap between outline and background (px)", "edge_gap_px", "{:.1f}"),
            ("surface behind the hand, median (mm)", "behind_mm", "{:.0f}"),
            ("frames with a surface 40-300 mm behind", "behind_within_300mm", "{:.0%}"),
            ("finger width across the middle bones (mm)", "finger_width_mm", "{:.1f}"),
            ("palm width across the knuckles, palm facing the camera (mm)", "palm_width_mm", "{:.1f}"))


def summarise(frames: list[FrameRealism]) -> RealismSummary:
    """The medians of per-frame figures."""
    def med(name: str) -> float:
        values = np.array([getattr(f, name) for f in frames], float)
        values = values[np.isfinite(values)]
        return float(np.median(values)) if len(values) else float("nan")

    holes = np.array([h for f in frames for h in f.hole_sizes_px], float)
    behind = np.array([f.behind_mm for f in frames], float)
    return RealismSummary(len(frames), med("valid_fraction"), float(np.mean([len(f.hole_sizes_px) for f in frames])),
                          float(np.median(holes)) if len(holes) else float("nan"),
                          float(np.percentile(holes, 90)) if len(holes) else float("nan"), med("edge_gap_px"),
                          med("behind_mm"), float(np.mean(np.isfinite(behind) & (behind < 300.0))),
                          med("finger_width_mm"), med("palm_width_mm"))


def realism_table(columns: dict[str, RealismSummary]) -> list[str]:
    """The summaries side by side, one row per figure (markdown)."""
    names = list(columns)
    lines = ["| figure | " + " | ".join(f"{n} ({columns[n].frames} frames)" for n in names) + " |",
             "|---|" + "---|" * len(names)]
    for label, attr, fmt in RealismSummary.ROWS:
        cells = []
        for n in names:
            v = getattr(columns[n], attr)
            cells.append("–" if not np.isfinite(v) else fmt.format(v))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines
