"""Loaders of the real datasets' formats, on tiny files written here from rendered hands."""
import cv2
import numpy as np
import pytest
from conftest import open_hand_facing_camera

from handpose_live.evaluation.toolkit import TOOLKIT_CAMERAS
from handpose_live.joints import ICVL, MSRA, NYU, Joint
from handpose_live.synthetic.render import render_depth
from handpose_live.training.data import ArraySamples
from handpose_live.training.datasets import (
    DatasetError,
    crop_frames,
    iter_icvl,
    iter_msra,
    iter_nyu,
    read_msra_bin,
    write_msra_bin,
    write_nyu_depth,
)


def _hand(cam, distance=420.0):
    joints, fdir = open_hand_facing_camera(distance)
    joints = joints - joints[Joint.MIDDLE_MCP] + np.array([10.0, -5.0, distance])
    return joints, render_depth(joints, cam, forearm_direction=fdir)


def test_msra_round_trip(tmp_path):
    cam = TOOLKIT_CAMERAS["msra"]
    folder = tmp_path / "P0" / "5"
    folder.mkdir(parents=True)
    frames = [_hand(cam, d) for d in (380.0, 450.0)]
    lines = [str(len(frames))]
    for k, (joints, depth) in enumerate(frames):
        write_msra_bin(folder / f"{k:06d}_depth.bin", depth)
        msra = MSRA.from_canonical(joints) * np.array([1.0, -1.0, -1.0])  # MSRA: y up, z negative
        lines.append(" ".join(f"{v:.4f}" for v in msra.ravel()))
    (folder / "joint.txt").write_text("\n".join(lines) + "\n")
    loaded = list(iter_msra(tmp_path))
    assert [f.name for f in loaded] == ["P0/5/000000", "P0/5/000001"]
    for f, (joints, depth) in zip(loaded, frames):
        np.testing.assert_allclose(f.joints_mm, joints, atol=1e-3)
        np.testing.assert_array_equal(f.depth_mm, depth)
        assert f.mask.all()
        np.testing.assert_allclose(f.center_mm, joints[Joint.MIDDLE_MCP], atol=1e-3)


def test_msra_bad_file(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"\x00" * 30)
    with pytest.raises(DatasetError, match="not an MSRA depth file"):
        read_msra_bin(tmp_path / "x.bin")
    with pytest.raises(DatasetError, match="joint.txt"):
        list(iter_msra(tmp_path))


def test_icvl_round_trip_and_crops(tmp_path):
    cam = TOOLKIT_CAMERAS["icvl"]
    joints, depth = _hand(cam)
    (tmp_path / "Depth").mkdir()
    cv2.imwrite(str(tmp_path / "Depth" / "a.png"), np.round(depth).astype(np.uint16))
    icvl = ICVL.from_canonical(joints)
    icvl[0] = joints[[0, 5, 9, 13, 17]].mean(axis=0)  # the palm label
    uvd = cam.project(icvl)
    (tmp_path / "labels.txt").write_text("a.png " + " ".join(f"{v:.3f}" for v in uvd.ravel()) + "\n")
    (f,) = list(iter_icvl(tmp_path / "Depth", tmp_path / "labels.txt"))
    assert f.mask.sum() == 15 and not f.mask[Joint.WRIST]
    np.testing.assert_allclose(f.joints_mm[f.mask], joints[f.mask], atol=0.05)
    data = crop_frames(iter([f]))
    assert data["depth"].shape == (1, 96, 96) and data["mask"].sum() == 15
    assert np.all(data["uvd"][0, ~f.mask] == 0.0)
    samples = ArraySamples(data["depth"], data["uvd"], mask=data["mask"], augmentation=None)
    d, u, m = samples[0]
    assert d.shape == (1, 96, 96) and m.sum() == 15


def test_eval_of_a_model_on_a_real_dataset(tmp_path, tiny_onnx, capsys):
    from handpose_live.cli import main

    cam = TOOLKIT_CAMERAS["icvl"]
    (tmp_path / "Depth").mkdir()
    lines = []
    for k, d in enumerate((380.0, 430.0)):
        joints, depth = _hand(cam, d)
        cv2.imwrite(str(tmp_path / "Depth" / f"{k}.png"), np.round(depth).astype(np.uint16))
        icvl = ICVL.from_canonical(joints)
        icvl[0] = joints[[0, 5, 9, 13, 17]].mean(axis=0)
        lines.append(f"{k}.png " + " ".join(f"{v:.3f}" for v in cam.project(icvl).ravel()))
    (tmp_path / "labels.txt").write_text("\n".join(lines) + "\n")
    spec = f"icvl:{tmp_path / 'Depth'}:{tmp_path / 'labels.txt'}"
    assert main(["eval", "--model", str(tiny_onnx), "--data", spec, "--out", str(tmp_path / "ev")]) == 0
    out = capsys.readouterr().out
    assert "2 frames" in out and "not scored" in out
    rows = (tmp_path / "ev" / "per_joint_error.csv").read_text().splitlines()
    assert rows[1].startswith("wrist,nan")  # ICVL labels no wrist
    assert main(["eval", "--model", str(tiny_onnx), "--data", "icvl:missing_part"]) == 2


def test_nyu_round_trip(tmp_path):
    cam = TOOLKIT_CAMERAS["nyu"]
    joints, depth = _hand(cam)
    write_nyu_depth(tmp_path / "depth_1_0000001.png", depth)
    nyu = NYU.from_canonical(joints)
    nyu[11:14] = joints[[0, 0, 9]]  # wrist points and palm
    (tmp_path / "labels.txt").write_text(" ".join(f"{v:.3f}" for v in cam.project(nyu).ravel()) + "\n")
    (f,) = list(iter_nyu(tmp_path, tmp_path / "labels.txt"))
    np.testing.assert_array_equal(f.depth_mm, np.round(depth))
    assert f.mask.sum() == 11
    np.testing.assert_allclose(f.joints_mm[f.mask], joints[f.mask], atol=0.05)


def test_label_file_errors(tmp_path):
    (tmp_path / "labels.txt").write_text("a.png 1 2 3\n")
    with pytest.raises(DatasetError, match="expected 48"):
        list(iter_icvl(tmp_path, tmp_path / "labels.txt"))
    (tmp_path / "l2.txt").write_text("a.png " + "1 " * 48 + "\n")
    with pytest.raises(DatasetError, match="16-bit depth PNG"):
        list(iter_icvl(tmp_path, tmp_path / "l2.txt"))
