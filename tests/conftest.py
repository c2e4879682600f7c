"""Shared fixtures: small cameras and canonical hands, made in the tests."""
from __future__ import annotations

import numpy as np
import pytest

from handpose_live.camera import Intrinsics
from handpose_live.hand.kinematics import forearm_direction, forward_kinematics
from handpose_live.hand.pose import HandPose
from handpose_live.hand.shape import HandShape
from handpose_live.synthetic.poses import GESTURES

# Hand frame (x thumb side, y fingers, z palmar) → camera frame with the palm facing the
# camera and the fingers pointing up.
PALM_TO_CAMERA = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])


@pytest.fixture
def vga() -> Intrinsics:
    """A RealSense-like 640×480 camera."""
    return Intrinsics(476.0, 476.0, 313.7, 242.8, 640, 480)


@pytest.fixture
def qvga() -> Intrinsics:
    """A small 320×240 camera with different fx and fy."""
    return Intrinsics(241.0, 238.0, 161.3, 118.9, 320, 240)


def open_hand_facing_camera(distance_mm: float = 450.0) -> tuple[np.ndarray, np.ndarray]:
    """Joints (21, 3) of the average open right hand, palm to the camera, and its forearm direction."""
    shape = HandShape.default()
    pose = HandPose(GESTURES["open"], np.zeros(2))
    joints = forward_kinematics(shape, pose) @ PALM_TO_CAMERA.T + np.array([0.0, 40.0, distance_mm])
    return joints, PALM_TO_CAMERA @ forearm_direction(shape, pose)


@pytest.fixture(scope="session")
def tiny_onnx(tmp_path_factory):
    """A small, untrained JGR-P2O exported to ONNX with real metadata (for pipeline tests)."""
    import torch

    from handpose_live.model.export import export_onnx
    from handpose_live.model.jgr_p2o import JGRP2O, JGRP2OConfig

    torch.manual_seed(0)
    cfg = JGRP2OConfig(num_stacks=1, channels=32)
    folder = tmp_path_factory.mktemp("tiny_model")
    torch.save({"model": JGRP2O(cfg).state_dict(), "config": cfg.to_dict(), "settings": {"seed": 0}},
               folder / "tiny.pt")
    export_onnx(folder / "tiny.pt", folder / "tiny.onnx", training_data="none (random weights, tests only)")
    return folder / "tiny.onnx"
