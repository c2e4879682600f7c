"""What the window draws besides images: skeleton colours and geometry, the overlay's text."""
from __future__ import annotations

import numpy as np

from handpose_live.joints import BONES, FINGER_COLORS_BGR, JOINT_FINGER

# Camera frame (x right, y down, z forward) → the 3D view's frame (X right, Y forward, Z up).
CAMERA_TO_VIEW = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def finger_rgb(finger: int) -> tuple[int, int, int]:
    """RGB colour of a finger (0 thumb … 4 pinky; -1 the wrist, white)."""
    if finger < 0:
        return (255, 255, 255)
    b, g, r = FINGER_COLORS_BGR[finger]
    return (r, g, b)


def _bones_by_finger() -> tuple[np.ndarray, ...]:
    groups: list[list[int]] = [[] for _ in range(5)]
    for a, b in BONES:
        groups[JOINT_FINGER[b]].extend((a, b))
    return tuple(np.array(g) for g in groups)


# Constant per skeleton, so computed once rather than per drawn frame.
FINGER_BONE_INDEX: tuple[np.ndarray, ...] = _bones_by_finger()  # per finger: bone endpoints as pairs
BONE_INDEX = np.array(BONES).ravel()  # the 20 bones' endpoints as consecutive pairs
BONE_COLORS_RGBA = np.array([(*finger_rgb(JOINT_FINGER[b]), 255) for a, b in BONES for _ in (a, b)], float) / 255.0
JOINT_COLORS_RGBA = np.array([(*finger_rgb(f), 255) for f in JOINT_FINGER], dtype=np.float64) / 255.0


def to_view(joints_mm: np.ndarray, centre_mm: np.ndarray) -> np.ndarray:
    """Joints in the 3D view's frame, centred on `centre_mm` (the view turns about the hand)."""
    return (np.asarray(joints_mm) - centre_mm) @ CAMERA_TO_VIEW.T


def depth_to_gray(depth_mm: np.ndarray, near_mm: float, far_mm: float) -> np.ndarray:
    """uint8 image: near bright, far dark, no data (0) black; 1-255 used for data."""
    scale = 254.0 / (far_mm - near_mm)
    g = (far_mm - depth_mm) * scale + 1.0
    np.clip(g, 1.0, 255.0, out=g)
    g[depth_mm <= 0] = 0.0
    return g.astype(np.uint8)


def overlay_text(*, source: str, provider: str, fps: tuple[float, float, float], latency_ms: float | None,
                 stages_ms: dict[str, float], dropped: int, smoothing: bool, paused: bool,
                 recording: str | None, truth_error_mm: float | None, status: str | None) -> str:
    """The overlay's lines (plain text, monospace)."""
    cap, inf, disp = fps
    lines = [f"{source} · {provider}",
             f"FPS capture {cap:5.1f} · inference {inf:5.1f} · display {disp:5.1f}",
             "latency " + (f"{latency_ms:6.1f} ms" if latency_ms is not None else "   – ms") + " capture→display",
             " · ".join(f"{k} {v:.1f}" for k, v in stages_ms.items()) + " ms" if stages_ms else "stages – ms",
             f"dropped {dropped} · smoothing {'on' if smoothing else 'off'}"]
    if truth_error_mm is not None:
        lines.append(f"error vs ground truth {truth_error_mm:5.1f} mm")
    if recording:
        lines.append(f"● REC {recording}")
    if paused:
        lines.append("PAUSED (space)")
    if status:
        lines.append(status)
    lines.append("space pause · r record · s screenshot · v view · f smoothing · q quit")
    return "\n".join(lines)
