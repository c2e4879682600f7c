"""Loaders for the public hand datasets' own file formats (SPEC §2, §6), for users who have them.

Each loader yields `LabelledFrame`s: depth in mm, the camera, the joints in canonical order
and camera millimetres (x right, y down, z forward) with a mask of the joints the dataset
labels. Conventions of each dataset are converted here and nowhere else:
- MSRA 2015 (`P0/1/000000_depth.bin` + `P0/1/joint.txt`): `.bin` = six int32 (width, height,
  left, top, right, bottom) then float32 depth of the box; joints x, y, z in mm with y up and
  z negative (towards the viewer), converted to (x, −y, −z).
- ICVL (`Depth/<name>.png` 16-bit mm + label lines `name u v d ×16`).
- NYU (`<split>/depth_1_0000001.png`, depth = G·256 + B in mm + the toolkit's `u v d ×14`
  label lines, or `joint_data.mat` with its 36-joint `joint_uvd`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.errors import UserError
from handpose_live.evaluation.toolkit import TOOLKIT_CAMERAS
from handpose_live.joints import ICVL, MSRA, NYU, NYU_TEST_JOINT_IDS, DatasetJointMap
from handpose_live.pipeline.crop import crop_depth, joints_to_crop, make_crop_box


class DatasetError(UserError):
    """A dataset file that is missing or not in the expected format."""


@dataclass(frozen=True)
class LabelledFrame:
    """One real frame with its labels."""

    name: str
    depth_mm: np.ndarray  # float32, 0 = no data
    intrinsics: Intrinsics
    joints_mm: np.ndarray  # (21, 3) canonical order, camera frame; zeros where not labelled
    mask: np.ndarray  # (21,) bool, joints the dataset labels
    center_mm: np.ndarray  # (3,) the crop centre the dataset's labels suggest


# ---------------------------------------------------------------------------------------- MSRA
MSRA_CAMERA = TOOLKIT_CAMERAS["msra"]


def read_msra_bin(path: Path) -> np.ndarray:
    """Full 240×320 depth image (mm) of an MSRA `.bin` file."""
    raw = Path(path).read_bytes()
    if len(raw) < 24:
        raise DatasetError(f"{path} is too short to be an MSRA depth file")
    width, height, left, top, right, bottom = np.frombuffer(raw[:24], dtype=np.int32)
    w, h = right - left, bottom - top
    if not (0 <= left < right <= width and 0 <= top < bottom <= height) or len(raw) != 24 + 4 * w * h:
        raise DatasetError(f"{path} is not an MSRA depth file (header {width}x{height} box {left},{top},{right},{bottom})")
    depth = np.zeros((height, width), np.float32)
    depth[top:bottom, left:right] = np.frombuffer(raw[24:], dtype=np.float32).reshape(h, w)
    return depth


def write_msra_bin(path: Path, depth_mm: np.ndarray) -> None:
    """Write a depth image in MSRA's `.bin` format (box around the non-zero pixels)."""
    rows, cols = np.nonzero(depth_mm)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    header = np.array([depth_mm.shape[1], depth_mm.shape[0], left, top, right, bottom], np.int32)
    Path(path).write_bytes(header.tobytes() + depth_mm[top:bottom, left:right].astype(np.float32).tobytes())


def read_msra_joints(path: Path) -> np.ndarray:
    """(N, 21, 3) joints of an MSRA `joint.txt`, converted to our camera frame (MSRA order)."""
    lines = Path(path).read_text().split("\n")
    try:
        n = int(lines[0])
        xyz = np.array([[float(v) for v in line.split()] for line in lines[1 : 1 + n]], np.float64)
    except (ValueError, IndexError):
        raise DatasetError(f"{path} is not an MSRA joint.txt (a count, then 63 numbers per line)") from None
    if xyz.shape != (n, 63):
        raise DatasetError(f"{path} should hold {n} lines of 63 numbers")
    xyz = xyz.reshape(n, 21, 3)
    return xyz * np.array([1.0, -1.0, -1.0])  # y up → down, z towards the viewer → forward


def iter_msra(root: Path) -> Iterator[LabelledFrame]:
    """All frames under an MSRA root (P*/<gesture>/NNNNNN_depth.bin with joint.txt beside them)."""
    folders = sorted(p.parent for p in Path(root).glob("P*/*/joint.txt"))
    if not folders:
        raise DatasetError(f"no P*/<gesture>/joint.txt under {root}; is it the MSRA 2015 folder?")
    for folder in folders:
        joints = read_msra_joints(folder / "joint.txt")
        for k, msra_joints in enumerate(joints):
            canon, mask = MSRA.to_canonical(msra_joints)
            depth = read_msra_bin(folder / f"{k:06d}_depth.bin")
            centre = msra_joints[[j.name for j in MSRA.joints].index("middle_mcp")]
            yield LabelledFrame(f"{folder.parent.name}/{folder.name}/{k:06d}", depth, MSRA_CAMERA, canon, mask, centre)


# ------------------------------------------------------------------------------ ICVL and NYU
def read_label_lines(path: Path, num_joints: int, named: bool) -> list[tuple[str, np.ndarray]]:
    """Label lines (`[name] u v d …`) → [(name, (J, 3) uvd)]; unnamed lines are numbered."""
    out = []
    for n, line in enumerate(Path(path).read_text().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        name, values = (parts[0], parts[1:]) if named else (str(len(out)), parts)
        if len(values) != 3 * num_joints:
            raise DatasetError(f"line {n} of {path} has {len(values)} numbers, expected {3 * num_joints}")
        try:
            out.append((name, np.array(values, np.float64).reshape(num_joints, 3)))
        except ValueError:
            raise DatasetError(f"line {n} of {path} holds something that is not a number") from None
    if not out:
        raise DatasetError(f"{path} holds no labels")
    return out


def _frame_from_uvd(name: str, depth: np.ndarray, cam: Intrinsics, uvd: np.ndarray, jmap: DatasetJointMap,
                    centre_joint: str) -> LabelledFrame:
    xyz = cam.backproject(uvd)
    canon, mask = jmap.to_canonical(xyz)
    centre = xyz[[j.name for j in jmap.joints].index(centre_joint)]
    return LabelledFrame(name, depth, cam, canon, mask, centre)


def read_depth_png(path: Path) -> np.ndarray:
    """A 16-bit depth PNG in mm."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None or img.dtype != np.uint16 or img.ndim != 2:
        raise DatasetError(f"{path} is not a 16-bit depth PNG")
    return img.astype(np.float32)


def iter_icvl(depth_dir: Path, label_file: Path) -> Iterator[LabelledFrame]:
    """ICVL frames: `label_file` lines name with 16 u v d joints, images under `depth_dir`."""
    cam = TOOLKIT_CAMERAS["icvl"]
    for name, uvd in read_label_lines(label_file, ICVL.num_joints, named=True):
        depth = read_depth_png(Path(depth_dir) / name)
        yield _frame_from_uvd(name, depth, cam, uvd, ICVL, "palm")


def read_nyu_depth(path: Path) -> np.ndarray:
    """An NYU depth image: an RGB PNG whose green and blue bytes hold depth in mm."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise DatasetError(f"{path} is not a readable image")
    return ((img[:, :, 1].astype(np.uint16) << 8) | img[:, :, 0]).astype(np.float32)


def write_nyu_depth(path: Path, depth_mm: np.ndarray) -> None:
    """Write depth in NYU's RGB encoding (G = high byte, B = low byte)."""
    d = np.round(depth_mm).astype(np.uint16)
    img = np.stack([d & 0xFF, d >> 8, np.zeros_like(d)], axis=-1).astype(np.uint8)
    cv2.imwrite(str(path), img)


def read_nyu_mat(path: Path, kinect: int = 0) -> np.ndarray:
    """(N, 14, 3) test-joint u v d labels from NYU's joint_data.mat (36 joints per frame)."""
    try:
        from scipy.io import loadmat
    except ImportError:
        raise DatasetError("reading NYU's joint_data.mat needs scipy (pip install scipy)") from None
    uvd = loadmat(str(path))["joint_uvd"][kinect]
    return uvd[:, list(NYU_TEST_JOINT_IDS), :].astype(np.float64)


def iter_nyu(split_dir: Path, labels: Path) -> Iterator[LabelledFrame]:
    """NYU frames of one split (depth_1_NNNNNNN.png) with toolkit u v d lines or joint_data.mat."""
    cam = TOOLKIT_CAMERAS["nyu"]
    if Path(labels).suffix == ".mat":
        entries = [(str(k), uvd) for k, uvd in enumerate(read_nyu_mat(labels))]
    else:
        entries = read_label_lines(labels, NYU.num_joints, named=False)
    for k, (_, uvd) in enumerate(entries):
        name = f"depth_1_{k + 1:07d}.png"
        yield _frame_from_uvd(name, read_nyu_depth(Path(split_dir) / name), cam, uvd, NYU, "palm")


def crop_frames(frames: Iterator[LabelledFrame], cube_mm: float = 250.0, size: int = 96) -> dict[str, np.ndarray]:
    """Network crops and targets of labelled frames, as arrays (the layout of synthetic shards plus `mask`)."""
    cols: dict[str, list] = {k: [] for k in ("depth", "uvd", "mask", "joints_mm", "center_mm", "intrinsics")}
    for f in frames:
        box = make_crop_box(f.center_mm, f.intrinsics, cube_mm, size)
        it = f.intrinsics
        cols["depth"].append(crop_depth(f.depth_mm, box).astype(np.float16))
        # Unlabelled joints are zeros; put them at the centre before projecting, then zero their targets.
        labelled = np.where(f.mask[:, None], f.joints_mm, f.center_mm)
        cols["uvd"].append(np.where(f.mask[:, None], joints_to_crop(labelled, box), 0.0).astype(np.float32))
        cols["mask"].append(f.mask)
        cols["joints_mm"].append(f.joints_mm.astype(np.float32))
        cols["center_mm"].append(np.asarray(f.center_mm, np.float32))
        cols["intrinsics"].append(np.array([it.fx, it.fy, it.cx, it.cy, it.width, it.height], np.float32))
    if not cols["depth"]:
        raise DatasetError("no frames to crop")
    out = {k: np.stack(v) for k, v in cols.items()}
    out["cube_mm"] = np.full(len(out["depth"]), cube_mm, np.float32)
    return out


DATASET_SPECS = {"msra": "msra:ROOT", "icvl": "icvl:DEPTH_DIR:LABEL_FILE", "nyu": "nyu:SPLIT_DIR:LABEL_FILE"}


def is_dataset_spec(spec: str) -> bool:
    """Whether a --data value names a real dataset (msra:, icvl:, nyu:)."""
    return spec.partition(":")[0] in DATASET_SPECS


def frames_from_spec(spec: str) -> Iterator[LabelledFrame]:
    """Frames of a --data value: msra:ROOT, icvl:DEPTH_DIR:LABEL_FILE or nyu:SPLIT_DIR:LABEL_FILE."""
    kind, _, rest = spec.partition(":")
    if kind not in DATASET_SPECS:
        raise DatasetError(f"{spec!r} is not a dataset; use {', '.join(DATASET_SPECS.values())}")
    parts = rest.split(":")
    if len(parts) != DATASET_SPECS[kind].count(":") or not all(parts):
        raise DatasetError(f"--data {spec!r} should read {DATASET_SPECS[kind]}")
    if kind == "msra":
        return iter_msra(Path(parts[0]))
    reader = iter_icvl if kind == "icvl" else iter_nyu
    return reader(Path(parts[0]), Path(parts[1]))


def check_training_data(spec: str) -> None:
    """Raise DatasetError unless `spec` is 'synthetic', a folder of `synth --out` shards or a dataset."""
    if spec != "synthetic" and not is_dataset_spec(spec) and not Path(spec).is_dir():
        raise DatasetError(f"--data must be 'synthetic', a folder written by 'synth --out', "
                           f"{', '.join(DATASET_SPECS.values())}; got {spec}")
