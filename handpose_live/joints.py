"""The 21 hand joints in canonical (MediaPipe) order, the 20 bones, and dataset joint maps.

Dataset loaders convert to the canonical order through the explicit name maps below,
never by position alone (SPEC §2).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Joint(IntEnum):
    """Canonical joint indices, the order MediaPipe Hands uses."""

    WRIST = 0
    THUMB_CMC = 1
    THUMB_MCP = 2
    THUMB_IP = 3
    THUMB_TIP = 4
    INDEX_MCP = 5
    INDEX_PIP = 6
    INDEX_DIP = 7
    INDEX_TIP = 8
    MIDDLE_MCP = 9
    MIDDLE_PIP = 10
    MIDDLE_DIP = 11
    MIDDLE_TIP = 12
    RING_MCP = 13
    RING_PIP = 14
    RING_DIP = 15
    RING_TIP = 16
    PINKY_MCP = 17
    PINKY_PIP = 18
    PINKY_DIP = 19
    PINKY_TIP = 20


NUM_JOINTS = len(Joint)

FINGER_NAMES: tuple[str, ...] = ("thumb", "index", "middle", "ring", "pinky")

# The four joints of each finger, base to tip, in canonical indices.
FINGER_JOINTS: tuple[tuple[int, int, int, int], ...] = tuple(
    (1 + 4 * f, 2 + 4 * f, 3 + 4 * f, 4 + 4 * f) for f in range(5)
)

# 20 bones: wrist → each finger base, then along each finger.
BONES: tuple[tuple[int, int], ...] = tuple(
    bone
    for chain in FINGER_JOINTS
    for bone in ((int(Joint.WRIST), chain[0]), (chain[0], chain[1]), (chain[1], chain[2]), (chain[2], chain[3]))
)

# Finger of every joint (0 thumb … 4 pinky; the wrist counts as -1), for colouring.
JOINT_FINGER: tuple[int, ...] = (-1,) + tuple(f for f in range(5) for _ in range(4))

# BGR colours per finger for drawing (thumb, index, middle, ring, pinky), wrist white.
FINGER_COLORS_BGR: tuple[tuple[int, int, int], ...] = (
    (60, 60, 230),
    (60, 200, 60),
    (230, 160, 40),
    (200, 60, 200),
    (40, 200, 230),
)
WRIST_COLOR_BGR = (255, 255, 255)


def bone_color_bgr(bone: tuple[int, int]) -> tuple[int, int, int]:
    """Colour of a bone: the colour of the finger it belongs to."""
    return FINGER_COLORS_BGR[JOINT_FINGER[bone[1]]]


def skeleton_adjacency() -> np.ndarray:
    """Symmetric 21×21 0/1 adjacency matrix of the bones."""
    a = np.zeros((NUM_JOINTS, NUM_JOINTS), dtype=np.float32)
    for i, j in BONES:
        a[i, j] = a[j, i] = 1.0
    return a


@dataclass(frozen=True)
class DatasetJoint:
    """One joint of a dataset's label order and its canonical equivalent (None: no equivalent)."""

    name: str
    canonical: Joint | None


@dataclass(frozen=True)
class DatasetJointMap:
    """A dataset's joint order, mapped to the canonical joints by name."""

    dataset: str
    joints: tuple[DatasetJoint, ...]

    @property
    def num_joints(self) -> int:
        """Number of joints in the dataset's label order."""
        return len(self.joints)

    def canonical_indices(self) -> list[int | None]:
        """For each dataset joint, its canonical index (or None)."""
        return [None if j.canonical is None else int(j.canonical) for j in self.joints]

    def to_canonical(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scatter (..., n_dataset, 3) labels into (..., 21, 3) canonical order and a (21,) mask of joints present."""
        labels = np.asarray(labels)
        if labels.shape[-2] != self.num_joints:
            raise ValueError(f"{self.dataset} labels have {self.num_joints} joints, got {labels.shape[-2]}")
        out = np.zeros(labels.shape[:-2] + (NUM_JOINTS, labels.shape[-1]), dtype=labels.dtype)
        mask = np.zeros(NUM_JOINTS, dtype=bool)
        for k, j in enumerate(self.joints):
            if j.canonical is not None:
                out[..., int(j.canonical), :] = labels[..., k, :]
                mask[int(j.canonical)] = True
        return out, mask

    def from_canonical(self, joints: np.ndarray) -> np.ndarray:
        """Gather (..., 21, 3) canonical joints into the dataset order; joints without equivalent are NaN."""
        joints = np.asarray(joints, dtype=np.float64)
        out = np.full(joints.shape[:-2] + (self.num_joints, joints.shape[-1]), np.nan)
        for k, j in enumerate(self.joints):
            if j.canonical is not None:
                out[..., k, :] = joints[..., int(j.canonical), :]
        return out


def _finger_chain(prefix: str, names: tuple[str, ...], joints: tuple[Joint, ...]) -> tuple[DatasetJoint, ...]:
    return tuple(DatasetJoint(f"{prefix}_{n}", j) for n, j in zip(names, joints))


J = Joint
# MSRA 2015: wrist; index, middle, ring, little (MCP, PIP, DIP, tip); thumb last (4 joints,
# base to tip: the same four joints as the canonical thumb).
MSRA = DatasetJointMap(
    "msra",
    (DatasetJoint("wrist", J.WRIST),)
    + _finger_chain("index", ("mcp", "pip", "dip", "tip"), (J.INDEX_MCP, J.INDEX_PIP, J.INDEX_DIP, J.INDEX_TIP))
    + _finger_chain("middle", ("mcp", "pip", "dip", "tip"), (J.MIDDLE_MCP, J.MIDDLE_PIP, J.MIDDLE_DIP, J.MIDDLE_TIP))
    + _finger_chain("ring", ("mcp", "pip", "dip", "tip"), (J.RING_MCP, J.RING_PIP, J.RING_DIP, J.RING_TIP))
    + _finger_chain("little", ("mcp", "pip", "dip", "tip"), (J.PINKY_MCP, J.PINKY_PIP, J.PINKY_DIP, J.PINKY_TIP))
    + _finger_chain("thumb", ("cmc", "mcp", "ip", "tip"), (J.THUMB_CMC, J.THUMB_MCP, J.THUMB_IP, J.THUMB_TIP)),
)

# ICVL 2014: palm; thumb, index, middle, ring, little, each root → mid → tip. The palm centre
# has no canonical joint; a finger's root is its MCP and its mid joint the PIP (thumb: MCP, IP).
ICVL = DatasetJointMap(
    "icvl",
    (DatasetJoint("palm", None),)
    + _finger_chain("thumb", ("root", "mid", "tip"), (J.THUMB_MCP, J.THUMB_IP, J.THUMB_TIP))
    + _finger_chain("index", ("root", "mid", "tip"), (J.INDEX_MCP, J.INDEX_PIP, J.INDEX_TIP))
    + _finger_chain("middle", ("root", "mid", "tip"), (J.MIDDLE_MCP, J.MIDDLE_PIP, J.MIDDLE_TIP))
    + _finger_chain("ring", ("root", "mid", "tip"), (J.RING_MCP, J.RING_PIP, J.RING_TIP))
    + _finger_chain("little", ("root", "mid", "tip"), (J.PINKY_MCP, J.PINKY_PIP, J.PINKY_TIP)),
)

# NYU 2014 test labels: the 14 of its 36 joints with ids [0,3,6,9,12,15,18,21,24,25,27,30,31,32]:
# per finger (little → index) the tip and the PIP, the thumb tip, IP and MCP, two wrist points
# on either side of the wrist and the palm centre (neither has a canonical equivalent).
NYU = DatasetJointMap(
    "nyu",
    (
        DatasetJoint("little_tip", J.PINKY_TIP),
        DatasetJoint("little_pip", J.PINKY_PIP),
        DatasetJoint("ring_tip", J.RING_TIP),
        DatasetJoint("ring_pip", J.RING_PIP),
        DatasetJoint("middle_tip", J.MIDDLE_TIP),
        DatasetJoint("middle_pip", J.MIDDLE_PIP),
        DatasetJoint("index_tip", J.INDEX_TIP),
        DatasetJoint("index_pip", J.INDEX_PIP),
        DatasetJoint("thumb_tip", J.THUMB_TIP),
        DatasetJoint("thumb_ip", J.THUMB_IP),
        DatasetJoint("thumb_mcp", J.THUMB_MCP),
        DatasetJoint("wrist_a", None),
        DatasetJoint("wrist_b", None),
        DatasetJoint("palm", None),
    ),
)
NYU_TEST_JOINT_IDS: tuple[int, ...] = (0, 3, 6, 9, 12, 15, 18, 21, 24, 25, 27, 30, 31, 32)

DATASET_MAPS: dict[str, DatasetJointMap] = {m.dataset: m for m in (MSRA, ICVL, NYU)}
