"""Where the camera sees the hand from (SPEC §5, issue 13): in front of the user (the hand held up
before the body, the forearm going away from the camera), from the user's head (egocentric, as in
FPHA: the forearm enters from the bottom of the image, nearer than the hand, over a table) or from
above a desk (top-down: the forearm enters from an image border, along the desk behind the hand).

Each placement gives the hand's rotation (hand frame → camera), where its reference point goes and
how long the visible arm is; the surroundings come from synthetic/scene.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.synthetic.poses import sample_view_rotation

VIEWS = ("front", "egocentric", "top_down")


@dataclass(frozen=True)
class ViewSettings:
    """How often each view is drawn and where it puts the hand."""

    mix: tuple[float, float, float] = (0.6, 0.2, 0.2)  # front, egocentric, top-down
    front_distance_mm: tuple[float, float] = (200.0, 800.0)
    image_margin: float = 0.1  # front: the hand centre lands at least this fraction inside the image
    forearm_length_mm: tuple[float, float] = (120.0, 260.0)  # front: the body behind takes over beyond
    # Egocentric: FPHA's hands are 330-500 mm from the head camera, the forearm running towards the
    # camera (z −0.15 to −0.7 of its direction) and down the image (y about 0.8).
    egocentric_distance_mm: tuple[float, float] = (250.0, 600.0)
    egocentric_pitch_deg: tuple[float, float] = (25.0, 70.0)  # how far the head looks down at the table
    top_down_distance_mm: tuple[float, float] = (300.0, 750.0)
    desk_tilt_deg: float = 30.0
    # Egocentric and top-down: the arm is long enough to leave the image (no body in view).
    arm_length_mm: tuple[float, float] = (380.0, 550.0)

    def __post_init__(self) -> None:
        if len(self.mix) != len(VIEWS) or min(self.mix) < 0 or sum(self.mix) <= 0:
            raise ValueError(f"view mix needs {len(VIEWS)} non-negative weights ({', '.join(VIEWS)}), got {self.mix}")


@dataclass(frozen=True)
class Placement:
    """Where one frame puts the hand."""

    view: str
    rotation: np.ndarray  # (3, 3) hand frame → camera
    target_mm: np.ndarray  # where the hand's reference point goes, camera mm
    forearm_mm: float  # visible length of the arm from the wrist
    up: np.ndarray | None  # unit normal of the table or desk, pointing to the camera's side (None: front)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def rotation_about(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation by `angle` (rad) about a unit axis (Rodrigues)."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * (k @ k)


def rotation_with_forearm(rng: np.random.Generator, forearm_hand: np.ndarray, forearm_camera: np.ndarray) -> np.ndarray:
    """A hand rotation that points the forearm (hand frame) along `forearm_camera`, turned by a random
    angle about it: every roll of the hand about its arm is as likely."""
    a, b = _unit(np.asarray(forearm_hand, float)), _unit(np.asarray(forearm_camera, float))
    v, c = np.cross(a, b), float(a @ b)
    # The turn from a to b about their common normal; opposite vectors: half a turn about any axis across a.
    axis = v if np.linalg.norm(v) > 1e-9 else np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
    align = rotation_about(_unit(axis), float(np.arctan2(np.linalg.norm(v), c)))
    return rotation_about(b, rng.uniform(0.0, 2.0 * np.pi)) @ align


def _image_point(rng: np.random.Generator, intr: Intrinsics, u: tuple[float, float], v: tuple[float, float],
                 z: float) -> np.ndarray:
    return intr.backproject(np.array([rng.uniform(*u) * intr.width, rng.uniform(*v) * intr.height, z]))


def front(rng: np.random.Generator, forearm_hand: np.ndarray, intr: Intrinsics, s: ViewSettings) -> Placement:
    """The hand anywhere in the image in any orientation whose forearm does not point at the camera."""
    rot = sample_view_rotation(rng, forearm_hand)
    m = s.image_margin
    target = _image_point(rng, intr, (m, 1 - m), (m, 1 - m), rng.uniform(*s.front_distance_mm))
    return Placement("front", rot, target, rng.uniform(*s.forearm_length_mm), None)


def egocentric(rng: np.random.Generator, forearm_hand: np.ndarray, intr: Intrinsics, s: ViewSettings) -> Placement:
    """A head camera looking down at a table: the forearm comes up from the bottom of the image."""
    pitch = np.radians(rng.uniform(*s.egocentric_pitch_deg))
    up = _unit(np.array([rng.normal(0.0, 0.1), -np.cos(pitch), -np.sin(pitch)]))
    while True:  # the elbow not far under the table
        f = _unit(np.array([rng.normal(0.0, 0.35), rng.uniform(0.3, 1.0), -rng.uniform(0.1, 0.8)]))
        if f @ up > -0.4:
            break
    target = _image_point(rng, intr, (0.2, 0.8), (0.15, 0.65), rng.uniform(*s.egocentric_distance_mm))
    return Placement("egocentric", rotation_with_forearm(rng, forearm_hand, f), target,
                     rng.uniform(*s.arm_length_mm), up)


def top_down(rng: np.random.Generator, forearm_hand: np.ndarray, intr: Intrinsics, s: ViewSettings) -> Placement:
    """A camera above a desk: the forearm lies along the desk and leaves the image at a border."""
    tilt, az = np.radians(rng.uniform(0.0, s.desk_tilt_deg)), rng.uniform(0.0, 2.0 * np.pi)
    up = np.array([np.sin(tilt) * np.cos(az), np.sin(tilt) * np.sin(az), -np.cos(tilt)])  # towards the camera
    along = rng.uniform(0.0, 2.0 * np.pi)
    in_plane = _unit(np.cross(up, [np.cos(along), np.sin(along), 0.0]))
    f = _unit(in_plane + rng.uniform(-0.1, 0.4) * up)  # the elbow on the desk or lifted a little
    target = _image_point(rng, intr, (0.15, 0.85), (0.15, 0.85), rng.uniform(*s.top_down_distance_mm))
    return Placement("top_down", rotation_with_forearm(rng, forearm_hand, f), target,
                     rng.uniform(*s.arm_length_mm), up)


PLACEMENTS = {"front": front, "egocentric": egocentric, "top_down": top_down}


def sample_placement(rng: np.random.Generator, forearm_hand: np.ndarray, intr: Intrinsics,
                     s: ViewSettings = ViewSettings()) -> Placement:
    """One of the views, drawn by `s.mix`, and where it puts the hand."""
    p = np.asarray(s.mix, float) / sum(s.mix)
    return PLACEMENTS[VIEWS[rng.choice(len(VIEWS), p=p)]](rng, forearm_hand, intr, s)
