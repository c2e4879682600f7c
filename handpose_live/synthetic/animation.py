"""An animated synthetic hand for the synthetic camera: a person in front of a wall raises a
right hand and moves it through gestures, turning and drifting, like a user trying the demo.

Every frame is a pure function of (settings, frame index), so a recording made from it can be
re-rendered and its ground truth is exact.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.camera import CAMERA_RANGE_MM
from handpose_live.hand.kinematics import forearm_direction, forward_kinematics
from handpose_live.hand.pose import HandPose
from handpose_live.hand.shape import sample_shape
from handpose_live.joints import Joint
from handpose_live.synthetic.generator import SynthFrame, camera_and_rays, sample_rng
from handpose_live.synthetic.geometry import hand_primitives
from handpose_live.synthetic.poses import GESTURES, clip_to_limits
from handpose_live.synthetic.raycast import LABEL_BODY
from handpose_live.synthetic.render import Plane, render_scene
from handpose_live.synthetic.sensor import SensorSettings, apply_sensor

# Palm towards the camera, fingers up: the hand frame's y (along the fingers) becomes the
# camera's −y and its z (out of the palm) the camera's −z.
_PALM_TO_CAMERA = np.diag([1.0, -1.0, -1.0])
_DEFAULT_GESTURES = ("open", "fist", "point", "v", "ok", "three", "pinch", "thumbs_up", "flat", "rock",
                     "call", "claw", "grasp")


def _rot(axis: int, deg: float) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


@dataclass(frozen=True)
class AnimationSettings:
    """What the synthetic camera shows."""

    camera: str = "realsense_d415"
    width: int = 640
    height: int = 480
    fps: float = 30.0
    seed: int = 0  # the hand's shape and the sensor noise
    gestures: tuple[str, ...] = _DEFAULT_GESTURES
    hold_s: float = 1.0  # time spent in each gesture
    blend_s: float = 0.7  # time to move to the next one
    distance_mm: float = 430.0  # mean distance of the hand from the camera
    sensor: str = "stereo"
    noise: bool = True

    def __post_init__(self) -> None:
        unknown = [g for g in self.gestures if g not in GESTURES]
        if unknown or not self.gestures:
            raise ValueError(f"unknown gestures {unknown}; known: {', '.join(GESTURES)}")
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")


class HandAnimation:
    """Renders frame `index` of the animation (ground-truth joints included)."""

    def __init__(self, settings: AnimationSettings = AnimationSettings()):
        self.settings = settings
        self.shape = sample_shape(np.random.default_rng([settings.seed, 7]), left=False)
        self.intrinsics, self._dirs = camera_and_rays(settings.camera, settings.width, settings.height)
        # The person: torso, head and a wall, fixed; the upper arm follows the elbow.
        self._torso = np.array([60.0, 300.0, settings.distance_mm + 420.0])
        self._torso_axes = np.array([190.0, 270.0, 110.0])
        self._shoulder = self._torso + np.array([0.85 * 190.0, -0.7 * 270.0, 0.0])
        self._head = self._torso + np.array([0.0, -270.0 - 115.0, 10.0])
        self._wall = Plane((0.0, 0.0, 1.0), settings.distance_mm + 1100.0)

    def _fingers(self, t: float) -> np.ndarray:
        s = self.settings
        period = s.hold_s + s.blend_s
        k = int(t // period)
        a = GESTURES[s.gestures[k % len(s.gestures)]]
        b = GESTURES[s.gestures[(k + 1) % len(s.gestures)]]
        w = _smoothstep((t - k * period - s.hold_s) / s.blend_s)
        return clip_to_limits((1.0 - w) * a + w * b)

    def joints_at(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Joints (21, 3) in camera mm and the unit wrist-to-elbow direction at time `t` seconds."""
        pose = HandPose(self._fingers(t), np.array([10.0 * np.sin(t * 1.1), 8.0 * np.sin(t * 0.7)]))
        rot = (_rot(0, 25.0 + 15.0 * np.sin(2 * np.pi * t / 6.1)) @ _rot(1, 35.0 * np.sin(2 * np.pi * t / 8.3))
               @ _rot(2, 20.0 * np.sin(2 * np.pi * t / 4.7)) @ _PALM_TO_CAMERA)
        centre = np.array([90.0 * np.sin(2 * np.pi * t / 7.3), -20.0 + 50.0 * np.sin(2 * np.pi * t / 5.1 + 1.0),
                           self.settings.distance_mm + 60.0 * np.sin(2 * np.pi * t / 9.7)])
        hand = forward_kinematics(self.shape, pose)
        joints = (hand - hand[Joint.MIDDLE_MCP]) @ rot.T + centre
        return joints, rot @ forearm_direction(self.shape, pose)

    def frame(self, index: int) -> SynthFrame:
        """Frame `index` (time index / fps), rendered with the sensor's artefacts."""
        s = self.settings
        joints, fdir = self.joints_at(index / s.fps)
        forearm = 240.0
        prims = hand_primitives(joints, self.shape.joint_radii, self.shape.palm_thickness, fdir, forearm)
        elbow = joints[Joint.WRIST] + forearm * fdir
        prims.add_ellipsoid(self._torso, self._torso_axes, np.eye(3), LABEL_BODY)
        prims.add_ellipsoid(self._head, np.array([78.0, 105.0, 92.0]), np.eye(3), LABEL_BODY)
        prims.add_cones(np.array([[*elbow, 36.0, *self._shoulder, 45.0]]), LABEL_BODY)
        clean, labels = render_scene(prims, self.intrinsics, (self._wall,), dirs=self._dirs)
        if s.noise:
            near, far = CAMERA_RANGE_MM[s.camera]
            sensor = SensorSettings(kind=s.sensor, min_range_mm=near, max_range_mm=far)
            depth = apply_sensor(clean, self.intrinsics.fx, sample_rng(s.seed, index), sensor, labels)
        else:
            depth = clean.copy()
        return SynthFrame(depth, clean, labels, joints, self.intrinsics, False)
