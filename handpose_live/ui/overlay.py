"""What the window draws besides images: skeleton colours and geometry, the legend, the panel's text."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from handpose_live.joints import BONES, FINGER_COLORS_BGR, JOINT_FINGER, WRIST_COLOR_BGR, Joint
from handpose_live.runtime.prompts import complete, progress_text, prompt_for
from handpose_live.types import HandPoseResult

if TYPE_CHECKING:  # the fit's modules are heavy to import, and the panel only reads the state's fields
    from handpose_live.fit.calibrate import CalibrationState

# Camera frame (x right, y down, z forward) → the 3D view's frame (X right, Y forward, Z up).
CAMERA_TO_VIEW = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

# The legend says "little" where the code says "pinky": the word a user reads on a hand diagram.
LEGEND_NAMES: tuple[str, ...] = ("thumb", "index", "middle", "ring", "little", "wrist")

KEY_HELP = ("space pause · ← → step · r record · s screenshot · v reset view · f smoothing ([ ] - = tune) · "
            "m model fit · q quit")


def finger_rgb(finger: int) -> tuple[int, int, int]:
    """RGB colour of a finger (0 thumb … 4 little; -1 the wrist)."""
    b, g, r = WRIST_COLOR_BGR if finger < 0 else FINGER_COLORS_BGR[finger]
    return (r, g, b)


def legend_entries() -> list[tuple[str, tuple[int, int, int]]]:
    """(name, RGB) of the five fingers and the wrist, in drawing order."""
    return [(name, finger_rgb(f)) for name, f in zip(LEGEND_NAMES, (0, 1, 2, 3, 4, -1))]


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


def to_view(points_mm: np.ndarray) -> np.ndarray:
    """Camera-frame points (mm) in the 3D view's frame (still mm, camera at the origin)."""
    return np.asarray(points_mm, dtype=np.float64) @ CAMERA_TO_VIEW.T


def depth_to_gray(depth_mm: np.ndarray, near_mm: float, far_mm: float) -> np.ndarray:
    """uint8 image: near bright, far dark, no data (0) black; 1-255 used for data."""
    scale = 254.0 / (far_mm - near_mm)
    g = (far_mm - depth_mm) * scale + 1.0
    np.clip(g, 1.0, 255.0, out=g)
    g[depth_mm <= 0] = 0.0
    return g.astype(np.uint8)


def guidance_line(result: HandPoseResult | None, hand_range_mm: tuple[float, float],
                  camera_range_mm: tuple[float, float] | None = None) -> str:
    """The panel's first line, for the person in front of the camera: how far the hand is, or where
    to hold it when it is not found or out of the range that works (a ▶ marks advice)."""
    near, far = hand_range_mm
    where = f"{near / 10:.0f}–{far / 10:.0f} cm away"
    if result is None or not result.hand_found:
        return f"▶ no hand: hold your hand nearest to the camera, {where}"
    z = float(result.joints_mm[Joint.MIDDLE_MCP][2])
    sees = f" (this camera sees from {camera_range_mm[0] / 10:.0f} cm)" if camera_range_mm else ""
    if z < near:
        return f"▶ too close: move your hand back to {where}{sees}"
    if z > far:
        return f"▶ too far: bring your hand nearer, {where}"
    return f"hand {z / 10:.0f} cm away (works {where.removesuffix(' away')})"


def crop_to_gray(crop: np.ndarray) -> np.ndarray:
    """uint8 image of a network crop (normalised depth in [−1, 1], +1 far or missing): near bright."""
    return np.ascontiguousarray(np.clip((1.0 - crop) * 127.5, 0.0, 255.0).astype(np.uint8))


def fit_line(fit_on: bool, result: HandPoseResult | None, fit_ms: float | None, profile: str | None = None) -> str:
    """The panel's line about the model fit: off, or the shown frame's side (and how sure), confidence and
    errors, and whose hand shape it fits (a calibrated profile's name, or the average hand)."""
    if not fit_on:
        return "model fit off (m) · network joints"
    ms = f" · fit {fit_ms:.1f} ms" if fit_ms is not None else ""
    ms += f" · profile '{profile}'" if profile else " · average hand"
    if result is None or not result.hand_found:
        return f"model fit on{ms} · no hand"
    if result.confidence is None:  # the frame just after the key, still estimated without the fit
        return f"model fit on{ms} · starting"
    hand = ("left" if result.shape is not None and result.shape.left else "right") + " hand"
    if result.handedness_score is not None:  # how sure the fit is of the side, 0.5-1
        hand += f" ({result.handedness_score:.0%} sure)"
    return (f"model fit on · {hand} · confidence {result.confidence:.2f}{ms} · error "
            f"{_figure(result.fit_error_mm, 'mm')} · silhouette {_figure(result.silhouette_error_px, 'px')}")


def calibration_line(state: CalibrationState | None, frame: int, calibrating: bool) -> str | None:
    """The panel's line while a profile is calibrated or refined: the prompt (calibrating) and each
    factor's progress; None otherwise."""
    if state is None:
        return None
    progress = progress_text(state.information)
    if not calibrating:
        return f"refining the profile · {state.frames} frames · {progress}"
    if complete(state.information):
        return f"CALIBRATED from {state.frames} frames · close the window (q) to save · {progress}"
    return f"CALIBRATING: {prompt_for(frame)} · {state.frames} frames · {progress}"


def _figure(value: float | None, unit: str) -> str:
    """One decimal and the unit, or a dash where the fit gave no finite value."""
    return f"{value:.1f} {unit}" if value is not None and np.isfinite(value) else f"– {unit}"


def overlay_text(*, source: str, provider: str, fps: tuple[float, float, float], latency_ms: float | None,
                 latency_frames: int, stages_ms: dict[str, float], dropped: int, smoothing: bool, paused: bool,
                 recording: str | None, truth_error_mm: float | None, fit_on: bool = False,
                 fit_result: HandPoseResult | None = None, profile: str | None = None,
                 calibration: str | None = None, smoothing_label: str | None = None,
                 guidance: str | None = None) -> str:
    """The text panel's lines (plain text, monospace); key help and messages live in the status bar."""
    cap, inf, disp = fps
    # The fit's time goes on the fit's own line, and not at all while it is off (its median would
    # otherwise linger in the stage line from before the key).
    stages_ms = dict(stages_ms)
    fit_ms = stages_ms.pop("fit", None)
    # A median over recent frames, not the last frame's value: one late frame (a GC pause, another
    # process) would otherwise be what a screenshot shows.
    latency = f"{latency_ms:6.1f} ms" if latency_ms is not None else "   – ms"
    lines = [f"{source} · {provider}",
             f"FPS capture {cap:5.1f} · inference {inf:5.1f} · display {disp:5.1f}",
             f"latency {latency} capture→display, median of {latency_frames} frames",
             " · ".join(f"{k} {v:.1f}" for k, v in stages_ms.items()) + " ms" if stages_ms else "stages – ms",
             fit_line(fit_on, fit_result, fit_ms, profile),
             f"dropped {dropped} · smoothing "
             + (("on" + (f" ({smoothing_label})" if smoothing_label else "")) if smoothing else "off")
             + (f" · error vs truth {truth_error_mm:5.1f} mm" if truth_error_mm is not None else "")]
    if calibration:
        lines.append(calibration)
    if guidance:
        lines.insert(0, guidance)
    flags = ([f"● REC {recording}"] if recording else []) + (["PAUSED (space)"] if paused else [])
    if flags:
        lines.append(" · ".join(flags))
    return "\n".join(lines)
