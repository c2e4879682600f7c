"""Synthetic frames and training samples: pose → render → sensor → crop (SPEC §3, §5).

Every sample is a pure function of (seed, index): the same data whatever the number of
workers or shards.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from handpose_live.camera import CAMERA_RANGE_MM, CAMERA_SENSOR, KNOWN_CAMERAS, Intrinsics
from handpose_live.hand.kinematics import forearm_direction, forward_kinematics, reference_point
from handpose_live.hand.shape import sample_shape
from handpose_live.pipeline.crop import CropBox, crop_depth, joints_to_crop, make_crop_box
from handpose_live.synthetic.geometry import hand_primitives
from handpose_live.synthetic.grasp import wrap_fingers
from handpose_live.synthetic.poses import sample_pose
from handpose_live.synthetic.render import render_scene
from handpose_live.synthetic.scene import SceneSettings, TableSettings, sample_scene, sample_table_scene
from handpose_live.synthetic.sensor import SensorSettings, apply_sensor
from handpose_live.synthetic.views import ViewSettings, sample_placement


# The fixed validation and test sets draw from these four cameras (SynthSettings' default), so that
# their figures stay comparable across runs; training also sees the other common depth cameras.
TEST_CAMERAS = ("realsense_sr305", "realsense_d415", "realsense_sr300", "kinect_v1_nyu")
TRAINING_CAMERAS = TEST_CAMERAS + ("realsense_d435", "realsense_d455", "realsense_l515", "orbbec_femto_nfov")


@dataclass(frozen=True)
class SynthSettings:
    """Everything that decides what the generator draws."""

    width: int = 320
    height: int = 240
    cameras: tuple[str, ...] = TEST_CAMERAS
    pose_mix: tuple[float, float, float] = (0.3, 0.3, 0.4)  # uniform, synergy, gesture
    views: ViewSettings = field(default_factory=ViewSettings)  # front, egocentric, top-down and where
    scene: SceneSettings = field(default_factory=SceneSettings)  # around a hand seen from the front
    table: TableSettings = field(default_factory=TableSettings)  # around a hand seen from the head or above
    sensor: SensorSettings = field(default_factory=SensorSettings)
    noise: bool = True
    cube_mm: float = 250.0
    crop_size: int = 96
    center_jitter_mm: float = 10.0
    # A frame gets its camera's own kind of sensor artefacts this often, another kind otherwise (sensor.kind
    # None; a set kind is always used).
    p_own_sensor: float = 0.7
    # A held object has the fingers closed round it (synthetic/grasp.py), as in a real grip.
    wrap_held: bool = True
    # A sleeve widens the forearm this often, its far end by this factor: FPHA's forearms, in
    # sleeves, are as wide as the fist where a bare synthetic arm was two thirds of it.
    p_sleeve: float = 0.5
    sleeve: tuple[float, float] = (1.1, 1.6)

    def __post_init__(self) -> None:
        for name in self.cameras:
            if name not in KNOWN_CAMERAS:
                raise ValueError(f"unknown camera {name!r}; known: {', '.join(KNOWN_CAMERAS)}")
            base = KNOWN_CAMERAS[name]
            if self.width * base.height != self.height * base.width:
                raise ValueError(
                    f"{self.width}x{self.height} is not a scaled version of the {name} image "
                    f"{base.width}x{base.height} (try 320x240 or 640x480)"
                )


@dataclass(frozen=True)
class SynthFrame:
    """One rendered full frame with its exact ground truth."""

    depth_mm: np.ndarray  # float32, sensor artefacts applied (0 = no data)
    clean_depth_mm: np.ndarray  # float32, ideal surface
    labels: np.ndarray  # int8, what each pixel shows (raycast.LABEL_*)
    joints_mm: np.ndarray  # (21, 3) camera frame, canonical order
    intrinsics: Intrinsics
    left: bool
    view: str = "front"  # synthetic/views.VIEWS


@dataclass(frozen=True)
class TrainingSample:
    """Network input and targets cut from a frame."""

    crop: np.ndarray  # (S, S) float32 in [−1, 1]
    uvd: np.ndarray  # (21, 3) normalised targets
    box: CropBox


@lru_cache(maxsize=16)
def camera_and_rays(name: str, width: int, height: int) -> tuple[Intrinsics, np.ndarray]:
    """A known camera at the requested resolution, and its cached per-pixel rays."""
    base = KNOWN_CAMERAS[name]
    intr = base.scaled(width / base.width)
    return intr, intr.ray_directions()


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """The random generator of sample `index` under `seed`."""
    return np.random.default_rng([int(seed), int(index)])


def render_frame(rng: np.random.Generator, settings: SynthSettings = SynthSettings()) -> SynthFrame:
    """Draw a hand, its pose, view, distance and surroundings; render it and add sensor artefacts."""
    shape = sample_shape(rng)
    pose = sample_pose(rng, settings.pose_mix)
    joints_hand = forward_kinematics(shape, pose)
    fdir_hand = forearm_direction(shape, pose)
    cam = settings.cameras[rng.integers(len(settings.cameras))]
    intr, dirs = camera_and_rays(cam, settings.width, settings.height)
    near, far = CAMERA_RANGE_MM[cam]
    place = sample_placement(rng, fdir_hand, intr, settings.views)
    target = place.target_mm
    if target[2] < near + 100.0:
        # A hand nearer than the camera's range would be a blank frame; keep it 100 mm inside.
        target = target * (near + 100.0) / target[2]
    rot = place.rotation
    offset = target - rot @ reference_point(joints_hand)  # hand frame → camera: x → rot @ x + offset
    joints = joints_hand @ rot.T + offset
    fdir = rot @ fdir_hand
    elbow = joints[0] + place.forearm_mm * fdir

    # Draws added after the first generator existed come from a stream of their own, so that the
    # main stream, and with it every other choice of a frame, stays what it was.
    extra = rng.spawn(1)[0]
    held = None
    if place.up is None:
        scene, planes = sample_scene(rng, joints, elbow, settings.scene)
    else:
        palmar = rot @ np.array([0.0, 0.0, 1.0])  # the hand frame's +z, mirrored hands included
        scene, planes, held = sample_table_scene(rng, joints, elbow, place.up, palmar, place.view == "top_down",
                                                 settings.table)
    if held is not None and settings.wrap_held:
        # Finger bends leave the wrist, the MCPs and so the reference point (and `offset`) where they were.
        pose = wrap_fingers(shape, pose, held.moved(rot.T, -rot.T @ offset), extra)
        joints = forward_kinematics(shape, pose) @ rot.T + offset
    sleeve = extra.uniform(*settings.sleeve) if extra.random() < settings.p_sleeve else 1.0
    prims = hand_primitives(joints, shape.joint_radii, shape.palm_thickness, fdir, place.forearm_mm, sleeve)
    prims.extend(scene)
    clean, labels = render_scene(prims, intr, planes, dirs=dirs)
    kind = settings.sensor.kind
    if kind is None and rng.random() < settings.p_own_sensor:
        kind = CAMERA_SENSOR[cam]
    sensor = replace(settings.sensor, kind=kind, min_range_mm=near, max_range_mm=far)
    noisy = apply_sensor(clean, intr.fx, rng, sensor, labels) if settings.noise else clean.copy()
    return SynthFrame(noisy, clean, labels, joints, intr, shape.left, place.view)


def make_sample(frame: SynthFrame, rng: np.random.Generator, settings: SynthSettings = SynthSettings()) -> TrainingSample:
    """Crop the frame around the hand's reference point (plus jitter) and normalise the joints."""
    centre = reference_point(frame.joints_mm) + rng.normal(0.0, settings.center_jitter_mm, size=3)
    box = make_crop_box(centre, frame.intrinsics, settings.cube_mm, settings.crop_size)
    return TrainingSample(crop_depth(frame.depth_mm, box), joints_to_crop(frame.joints_mm, box).astype(np.float32), box)


def generate_samples(seed: int, start: int, count: int, settings: SynthSettings = SynthSettings()) -> dict[str, np.ndarray]:
    """Samples start … start+count−1 of `seed` as arrays ready for an .npz shard."""
    s = settings.crop_size
    out = {
        "depth": np.empty((count, s, s), np.float16),
        "uvd": np.empty((count, 21, 3), np.float32),
        "joints_mm": np.empty((count, 21, 3), np.float32),
        "center_mm": np.empty((count, 3), np.float32),
        "intrinsics": np.empty((count, 6), np.float32),
        "left": np.empty(count, bool),
        "index": np.arange(start, start + count, dtype=np.int64),
    }
    for k in range(count):
        rng = sample_rng(seed, start + k)
        frame = render_frame(rng, settings)
        sample = make_sample(frame, rng, settings)
        it = frame.intrinsics
        out["depth"][k] = sample.crop
        out["uvd"][k] = sample.uvd
        out["joints_mm"][k] = frame.joints_mm
        out["center_mm"][k] = sample.box.center_mm
        out["intrinsics"][k] = (it.fx, it.fy, it.cx, it.cy, it.width, it.height)
        out["left"][k] = frame.left
    out["cube_mm"] = np.full(count, settings.cube_mm, np.float32)
    return out
