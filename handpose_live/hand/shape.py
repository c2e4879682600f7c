"""The hand's shape: bone lengths, base joint positions, radii and palm thickness, with per-hand
variation (SPEC §5), in the hand frame.

Hand frame (right hand): origin at the wrist, +x towards the thumb (radial), +y along the palm
towards the fingers, +z out of the palm (palmar). A left hand is the mirror image (x → −x).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Bone lengths in mm (proximal, middle, distal; thumb: metacarpal, proximal, distal), SPEC §5.
BONE_LENGTHS_MM = np.array(
    [[44.0, 33.0, 27.0], [44.0, 26.0, 22.0], [48.0, 30.0, 23.0], [45.0, 29.0, 22.0], [35.0, 21.0, 20.0]]
)
# Base joints in the hand frame (thumb CMC, then the MCPs 69-82 mm from the wrist, ~18 mm apart).
BASE_POSITIONS_MM = np.array(
    [[21.0, 25.0, 9.0], [25.0, 77.0, 0.0], [6.0, 79.0, 0.0], [-12.0, 75.0, 1.5], [-29.0, 67.0, 4.0]]
)
# Resting in-palm direction of each finger, degrees towards the thumb side (fingers fan out).
FINGER_SPREAD_DEG = np.array([0.0, 6.0, 0.0, -6.0, -14.0])
# Joint radii in mm, canonical order: wrist, thumb (CMC → tip), then each finger (MCP → tip).
JOINT_RADII_MM = np.array(
    [17.0, 14.5, 11.5, 9.5, 8.0]
    + [9.8, 8.4, 7.4, 6.5]
    + [10.2, 8.7, 7.6, 6.7]
    + [9.6, 8.2, 7.2, 6.4]
    + [8.4, 7.2, 6.5, 5.8]
)
PALM_THICKNESS_MM = 27.0
# Abduction sign per finger so that positive abduction spreads a finger away from the middle.
ABDUCTION_SIGN = np.array([1.0, 1.0, -1.0, -1.0, -1.0])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def tip_sphere_centre(dip_mm: np.ndarray, tip_mm: np.ndarray, tip_radius_mm: float) -> np.ndarray:
    """Where a finger's last sphere sits: one radius back from the tip joint along the distal bone,
    so that the finger's surface ends at the tip joint (SPEC §8's fingertip convention: datasets
    label the end of the finger, not the centre of its tip)."""
    return tip_mm - tip_radius_mm * _unit(np.asarray(tip_mm, np.float64) - dip_mm)


def _thumb_base_frame() -> np.ndarray:
    """Rest frame of the thumb: columns lateral, along-bone, and the side its pad faces."""
    d = _unit(np.array([0.42, 0.82, 0.38]))
    pad = np.array([-0.75, 0.05, 0.65])
    n = _unit(pad - (pad @ d) * d)
    lat = np.cross(d, n)
    return np.stack([lat, d, n], axis=1)


def _finger_base_frame(spread_deg: float) -> np.ndarray:
    a = np.radians(spread_deg)
    # Rotating +y towards +x about the palmar axis z keeps the frame right-handed.
    lat = np.array([np.cos(a), -np.sin(a), 0.0])
    d = np.array([np.sin(a), np.cos(a), 0.0])
    return np.stack([lat, d, np.array([0.0, 0.0, 1.0])], axis=1)


BASE_FRAMES = np.stack([_thumb_base_frame()] + [_finger_base_frame(s) for s in FINGER_SPREAD_DEG[1:]])


@dataclass(frozen=True)
class HandShape:
    """Geometry of one hand in its hand frame, in mm."""

    bone_lengths: np.ndarray  # (5, 3)
    base_positions: np.ndarray  # (5, 3) thumb CMC and finger MCPs
    joint_radii: np.ndarray  # (21,)
    palm_thickness: float
    left: bool = False

    @classmethod
    def default(cls) -> "HandShape":
        """The average right hand of SPEC §5."""
        return cls(BONE_LENGTHS_MM.copy(), BASE_POSITIONS_MM.copy(), JOINT_RADII_MM.copy(), PALM_THICKNESS_MM)


FACTOR_NAMES = ("scale", "palm_width", "thumb_length", "index_length", "middle_length", "ring_length",
                "little_length")


@dataclass(frozen=True)
class ShapeFactors:
    """A hand's shape as factors of the average hand (SPEC §8, honline): a global scale, the palm's
    width, and each finger's length (thumb first)."""

    scale: float = 1.0
    palm_width: float = 1.0
    finger_lengths: tuple[float, float, float, float, float] = (1.0, 1.0, 1.0, 1.0, 1.0)

    def as_array(self) -> np.ndarray:
        """The seven factors in FACTOR_NAMES order."""
        return np.array([self.scale, self.palm_width, *self.finger_lengths], np.float64)

    @classmethod
    def from_array(cls, values: np.ndarray) -> "ShapeFactors":
        """Factors from seven numbers in FACTOR_NAMES order."""
        v = [float(x) for x in np.asarray(values, np.float64).ravel()]
        if len(v) != len(FACTOR_NAMES) or not all(np.isfinite(v)) or min(v) <= 0:
            raise ValueError(f"shape factors need {len(FACTOR_NAMES)} positive numbers ({', '.join(FACTOR_NAMES)})")
        return cls(v[0], v[1], tuple(v[2:]))

    def shape(self, left: bool = False) -> HandShape:
        """The hand these factors describe: lengths and widths scaled, radii with the global scale."""
        s = self.scale
        lengths = BONE_LENGTHS_MM * s * np.asarray(self.finger_lengths)[:, None]
        base = BASE_POSITIONS_MM * s * np.array([self.palm_width, 1.0, 1.0])
        return HandShape(lengths, base, JOINT_RADII_MM * s, PALM_THICKNESS_MM * s, left)


def sample_shape(rng: np.random.Generator, left: bool | None = None) -> HandShape:
    """A random hand: scale 0.85-1.12, width/thickness ±10 %, bone lengths ±4 %; left or right."""
    scale = rng.uniform(0.85, 1.12)
    width = rng.uniform(0.9, 1.1)
    thickness = rng.uniform(0.9, 1.1)
    lengths = BONE_LENGTHS_MM * scale * rng.uniform(0.96, 1.04, size=BONE_LENGTHS_MM.shape)
    base = BASE_POSITIONS_MM * scale * np.array([width, rng.uniform(0.96, 1.04), 1.0])
    radii = JOINT_RADII_MM * scale * thickness
    if left is None:
        left = bool(rng.random() < 0.5)
    return HandShape(lengths, base, radii, PALM_THICKNESS_MM * scale * thickness, left)
