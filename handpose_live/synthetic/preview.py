"""Contact sheet of synthetic frames with their ground-truth skeletons, for people to look at."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from handpose_live.joints import BONES, FINGER_COLORS_BGR, JOINT_FINGER, WRIST_COLOR_BGR, bone_color_bgr
from handpose_live.synthetic.generator import (
    SynthFrame,
    SynthSettings,
    TrainingSample,
    make_sample,
    render_frame,
    sample_rng,
)


def colorize_depth(depth_mm: np.ndarray, near_mm: float, far_mm: float) -> np.ndarray:
    """BGR image of a depth map: near bright/warm to far dark/cold (turbo), no data black."""
    x = np.clip((far_mm - depth_mm) / max(far_mm - near_mm, 1.0), 0.0, 1.0)
    img = cv2.applyColorMap((x * 255).astype(np.uint8), cv2.COLORMAP_TURBO)
    img[depth_mm <= 0] = 0
    return img


def draw_skeleton(img: np.ndarray, uv: np.ndarray, thickness: int = 1) -> None:
    """Draw the 20 bones and 21 joints (pixel coordinates (21, 2)) onto a BGR image in place."""
    pts = [tuple(int(round(c)) for c in p) for p in uv]
    for a, b in BONES:
        cv2.line(img, pts[a], pts[b], bone_color_bgr((a, b)), thickness, cv2.LINE_AA)
    for k, p in enumerate(pts):
        color = WRIST_COLOR_BGR if JOINT_FINGER[k] < 0 else FINGER_COLORS_BGR[JOINT_FINGER[k]]
        cv2.circle(img, p, thickness + 1, color, -1, cv2.LINE_AA)


def frame_tile(frame: SynthFrame, sample: TrainingSample, inset_scale: int = 1) -> np.ndarray:
    """One frame with its skeleton and, in the corner, the network crop with its targets."""
    z = frame.joints_mm[:, 2]
    tile = colorize_depth(frame.depth_mm, float(z.min()) - 60.0, float(z.max()) + 600.0)
    draw_skeleton(tile, frame.intrinsics.project(frame.joints_mm)[:, :2])
    s = sample.crop.shape[0] * inset_scale
    crop = ((1.0 - sample.crop) * 127.5).astype(np.uint8)
    crop = cv2.cvtColor(cv2.resize(crop, (s, s), interpolation=cv2.INTER_NEAREST), cv2.COLOR_GRAY2BGR)
    draw_skeleton(crop, (sample.uvd[:, :2] + 1.0) * 0.5 * s)
    cv2.rectangle(crop, (0, 0), (s - 1, s - 1), (255, 255, 255), 1)
    h, w = tile.shape[:2]
    if s < h and s < w:
        tile[h - s :, w - s :] = crop
    side = "L" if frame.left else "R"
    cv2.putText(tile, f"{side} {z.mean():.0f} mm", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def contact_sheet(tiles: list[np.ndarray], columns: int = 4) -> np.ndarray:
    """Tiles of equal size in a grid, row by row, with a thin gap."""
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // columns)
    sheet = np.full((rows * (h + 2), columns * (w + 2), 3), 40, np.uint8)
    for k, t in enumerate(tiles):
        r, c = divmod(k, columns)
        sheet[r * (h + 2) : r * (h + 2) + h, c * (w + 2) : c * (w + 2) + w] = t
    return sheet


MAX_PREVIEW_FRAMES = 256


def write_preview(path: Path, count: int, seed: int, settings: SynthSettings) -> None:
    """Render frames 0…count-1 of `seed` into a contact-sheet PNG with their skeletons (raises
    ValueError for more than MAX_PREVIEW_FRAMES frames, OSError when the file cannot be written)."""
    if count > MAX_PREVIEW_FRAMES:
        raise ValueError(f"a preview shows at most {MAX_PREVIEW_FRAMES} frames, asked for {count}")
    tiles = []
    for k in range(count):
        rng = sample_rng(seed, k)
        frame = render_frame(rng, settings)
        tiles.append(frame_tile(frame, make_sample(frame, rng, settings)))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), contact_sheet(tiles)):
        raise OSError(f"could not write {path}")
