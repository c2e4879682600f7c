"""Hand pose sampling within anatomical limits, and global placement in front of a camera (SPEC §5).

Angles in degrees, rows thumb … pinky, columns: base flexion, base abduction, middle
flexion, distal flexion (see `hand.pose.HandPose`).
"""
from __future__ import annotations

import numpy as np

from handpose_live.hand.limits import LIMITS_HI, LIMITS_LO, WRIST_LIMITS, clip_to_limits
from handpose_live.hand.pose import HandPose

# Gesture templates (same layout). DIP of the fingers follows the PIP (SPEC: DIP ≈ ⅔·PIP).
_OPEN_THUMB = [0.0, 20.0, 5.0, 5.0]
_CLOSED_THUMB = [35.0, 15.0, 45.0, 50.0]
_STRAIGHT = [0.0, 0.0, 0.0, 0.0]
_CURLED = [85.0, 0.0, 100.0, 65.0]
GESTURES: dict[str, np.ndarray] = {
    "open": np.array([_OPEN_THUMB, [0, 12, 0, 0], [0, 0, 0, 0], [0, 10, 0, 0], [0, 18, 0, 0]], float),
    "flat": np.array([[-10, 0, 0, 0], _STRAIGHT, _STRAIGHT, _STRAIGHT, _STRAIGHT], float),
    "fist": np.array([_CLOSED_THUMB, _CURLED, _CURLED, _CURLED, _CURLED], float),
    "point": np.array([_CLOSED_THUMB, _STRAIGHT, _CURLED, _CURLED, _CURLED], float),
    "v": np.array([_CLOSED_THUMB, [0, 12, 0, 0], [0, 12, 0, 0], _CURLED, _CURLED], float),
    "ok": np.array([[30, 35, 25, 30], [45, 0, 60, 40], [10, 0, 10, 7], [10, 5, 10, 7], [10, 10, 10, 7]], float),
    "pinch": np.array([[25, 40, 20, 25], [35, 0, 45, 30], [40, 0, 50, 33], [45, 0, 55, 37], [50, 0, 60, 40]], float),
    "thumbs_up": np.array([[-5, 0, 0, 0], _CURLED, _CURLED, _CURLED, _CURLED], float),
    "claw": np.array([[20, 30, 30, 40], [10, 8, 80, 60], [10, 0, 80, 60], [10, 6, 80, 60], [10, 12, 80, 60]], float),
    "three": np.array([_OPEN_THUMB, [0, 10, 0, 0], [0, 0, 0, 0], _CURLED, _CURLED], float),
    "rock": np.array([_CLOSED_THUMB, _STRAIGHT, _CURLED, _CURLED, [0, 15, 0, 0]], float),
    "call": np.array([[-10, 30, 0, 0], _CURLED, _CURLED, _CURLED, [0, 18, 0, 0]], float),
    "grasp": np.array([[30, 45, 20, 20], [45, 0, 45, 30], [45, 0, 45, 30], [45, 0, 45, 30], [45, 0, 45, 30]], float),
}


def _dip_from_pip(rng: np.random.Generator, pip: np.ndarray) -> np.ndarray:
    return np.clip(2.0 / 3.0 * pip + rng.normal(0.0, 6.0, size=pip.shape), 0.0, 90.0)


def sample_uniform(rng: np.random.Generator) -> np.ndarray:
    """Angles uniform within the limits (finger DIP coupled to PIP)."""
    a = rng.uniform(LIMITS_LO, LIMITS_HI)
    a[1:, 3] = _dip_from_pip(rng, a[1:, 2])
    return clip_to_limits(a)


def sample_synergy(rng: np.random.Generator) -> np.ndarray:
    """One global closure shared by all fingers plus per-finger noise."""
    closure = rng.uniform(0.0, 1.0)
    a = LIMITS_LO.clip(min=0.0) + closure * (LIMITS_HI * np.array([0.8, 0.0, 0.9, 0.0]))
    a = a + rng.normal(0.0, 12.0, size=a.shape) * np.array([1.0, 0.0, 1.0, 0.0])
    a[:, 1] = rng.uniform(-0.5, 1.0, size=5) * LIMITS_HI[:, 1] * (1.0 - closure)
    a[0, 1] = rng.uniform(0.0, 45.0)
    a[0, 3] = closure * 60.0 + rng.normal(0.0, 10.0)
    a[1:, 3] = _dip_from_pip(rng, a[1:, 2])
    return clip_to_limits(a)


def sample_gesture(rng: np.random.Generator, name: str | None = None) -> np.ndarray:
    """A gesture template (random if `name` is None) with Gaussian noise."""
    if name is None:
        name = list(GESTURES)[rng.integers(len(GESTURES))]
    a = GESTURES[name] + rng.normal(0.0, 7.0, size=(5, 4))
    return clip_to_limits(a)


def sample_pose(rng: np.random.Generator, mix: tuple[float, float, float] = (0.3, 0.3, 0.4)) -> HandPose:
    """A pose from the mix (uniform, synergy, gesture) with a random wrist angle."""
    kind = rng.choice(3, p=np.asarray(mix) / np.sum(mix))
    fingers = (sample_uniform, sample_synergy, sample_gesture)[kind](rng)
    wrist = rng.uniform(-WRIST_LIMITS, WRIST_LIMITS)
    return HandPose(fingers, wrist)


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A rotation matrix uniform over SO(3)."""
    q = rng.normal(size=4)
    w, x, y, z = q / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def sample_view_rotation(rng: np.random.Generator, forearm_dir_hand: np.ndarray, max_toward_camera: float = 0.25) -> np.ndarray:
    """A uniformly random hand orientation whose forearm does not point at the camera.

    The arm comes from a body behind the hand, so views where the forearm runs towards the
    camera (camera-frame z component below −max_toward_camera) are redrawn.
    """
    while True:
        rot = random_rotation(rng)
        if (rot @ forearm_dir_hand)[2] >= -max_toward_camera:
            return rot
