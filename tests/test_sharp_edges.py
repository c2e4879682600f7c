"""The sharp edges a new user met (issue 11): each gives one sentence, never a traceback or a lie."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from handpose_live.cli import main
from handpose_live.sources import realsense
from handpose_live.sources.base import SourceError
from handpose_live.sources.recording_check import check_realsense_recording

CLI = [sys.executable, "-m", "handpose_live.cli"]


def _one_sentence(err: str, *parts: str) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err and err.startswith("handpose-live: error: "), err
    for p in parts:
        assert p in err, err


def _db3(path, topics: list[str]) -> None:
    """A ROS2 .db3 with the tables librealsense writes and one message on each topic."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT, type TEXT, serialization_format TEXT,"
                   " offered_qos_profiles TEXT)")
        db.execute("CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER, timestamp INTEGER, data BLOB)")
        for k, name in enumerate(topics, 1):
            db.execute("INSERT INTO topics VALUES (?, ?, 'x', 'cdr', '')", (k, name))
            db.execute("INSERT INTO messages VALUES (?, ?, 1, x'00')", (k, k))


def test_recordings_pyrealsense2_cannot_play_never_reach_it(tmp_path, monkeypatch):
    def no_pyrealsense2():
        raise AssertionError("pyrealsense2 was given a file that had not passed the check")

    monkeypatch.setattr(realsense, "import_pyrealsense2", no_pyrealsense2)
    ir_only = tmp_path / "ir.db3"
    _db3(ir_only, ["/file_version", "/device_0/sensor_0/Infrared_1/image/data"])
    garbage = tmp_path / "garbage.db3"
    garbage.write_bytes(b"SQLite format 3\0" + bytes(range(256)) * 4)
    cut = tmp_path / "cut.bag"
    cut.write_bytes(b"#ROSBAG V2.0\n" + b"\0" * 4096)
    for path, message in ((ir_only, "holds no depth stream"), (garbage, "cannot be played"),
                          (cut, "cannot be played")):
        with pytest.raises(SourceError, match=message):
            realsense.RecordingSource(path).open()
    depth = tmp_path / "depth.db3"
    _db3(depth, ["/device_0/sensor_0/Depth_0/image/data"])
    check_realsense_recording(depth)  # passes the check (what pyrealsense2 then makes of it is its own)


def test_export_of_a_file_that_is_not_a_checkpoint_is_one_sentence(tmp_path, capsys):
    bad = tmp_path / "notes.pt"
    bad.write_text("not a checkpoint")
    assert main(["export", "--checkpoint", str(bad)]) == 2
    _one_sentence(capsys.readouterr().err, "is not a readable handpose-live checkpoint")
    assert not (tmp_path / "notes.onnx").exists()
    assert main(["export", "--checkpoint", str(tmp_path / "absent.pt")]) == 2
    _one_sentence(capsys.readouterr().err, "does not exist")


def test_export_goes_beside_its_checkpoint_and_never_over_a_shipped_model(tiny_onnx, tmp_path, capsys):
    from handpose_live.pipeline import shipped

    checkpoint = tiny_onnx.with_suffix(".pt")
    out = tmp_path / "tiny.pt"
    out.write_bytes(checkpoint.read_bytes())
    assert main(["export", "--checkpoint", str(out)]) == 0
    assert (tmp_path / "tiny.onnx").is_file()
    assert main(["export", "--checkpoint", str(out)]) == 2  # it exists now: --force to replace
    _one_sentence(capsys.readouterr().err, "already exists", "--force")
    before = shipped.DEFAULT_MODEL.stat().st_mtime_ns
    assert main(["export", "--checkpoint", str(out), "--out", str(shipped.DEFAULT_MODEL)]) == 2
    _one_sentence(capsys.readouterr().err, "is a shipped model", "--force")
    assert shipped.DEFAULT_MODEL.stat().st_mtime_ns == before


@pytest.mark.parametrize("folder", ["/proc", "/sys/kernel"])
def test_record_into_a_folder_that_cannot_be_written_stops_before_the_run(folder, capsys):
    if not os.path.isdir(folder):
        pytest.skip(f"{folder} is not here")
    assert main(["--headless", "--max-frames", "3", "--record", f"{folder}/hand.bag"]) == 2
    captured = capsys.readouterr()
    _one_sentence(captured.err, "cannot be written")
    assert captured.out == "" and "recorded" not in captured.err


def test_output_into_a_folder_that_cannot_be_written_stops_before_the_run(capsys):
    assert main(["--headless", "--max-frames", "3", "--output", "/proc/joints.jsonl"]) == 2
    _one_sentence(capsys.readouterr().err, "cannot be written")


def test_a_recording_that_fails_is_reported_with_the_frames_really_written(tmp_path, monkeypatch, capsys):
    from handpose_live.sources import bag_writer

    def fail(self, frame):
        raise OSError("No space left on device")

    monkeypatch.setattr(bag_writer.BagWriter, "write", fail)
    assert main(["--headless", "--max-frames", "5", "--record", str(tmp_path / "full.bag")]) == 1
    err = capsys.readouterr().err
    assert "recording to" in err and "No space left on device" in err
    assert "nothing was recorded" in err and "recorded 1 frames" not in err


def test_provider_cuda_without_cuda_says_so_in_one_line(capsys):
    import onnxruntime as ort

    assert main(["--headless", "--max-frames", "2", "--provider", "cuda"]) == 0
    err = capsys.readouterr().err
    if "CUDAExecutionProvider" in ort.get_available_providers() and "on CUDA" in err:
        pytest.skip("CUDA runs here")
    notes = [line for line in err.splitlines() if "note:" in line]
    assert len(notes) == 1 and "CUDA is not usable here" in notes[0] and "running on the CPU" in notes[0]


def test_the_api_example_imports_from_the_package_top_and_takes_camera_depth():
    from handpose_live import BONES, EstimatorOptions, HandPoseEstimator, HandPoseResult, Intrinsics, Joint
    from handpose_live.sources.synthetic import SyntheticCamera
    from handpose_live.synthetic.animation import AnimationSettings

    assert len(BONES) == 20 and Joint.INDEX_TIP == 8 and EstimatorOptions().tracking
    with SyntheticCamera(AnimationSettings(width=640, height=480, seed=2), realtime=False, frames=1) as cam:
        frame = cam.read()
    counts = np.rint(frame.depth_mm).astype(np.uint16)  # as a RealSense gives it: 1 mm per count
    with HandPoseEstimator() as estimator:
        assert isinstance(estimator, HandPoseEstimator)
        from_mm = estimator.estimate(frame.depth_mm, frame.intrinsics)
        estimator.reset()
        from_counts = estimator.estimate(counts, frame.intrinsics)
        estimator.reset()
        # An L515 / SR305 short-range unit: 0.25 mm per count.
        from_quarter_mm = estimator.estimate((counts * 4).astype(np.uint16), frame.intrinsics, depth_scale_mm=0.25)
        with pytest.raises(ValueError, match="look like metres"):
            estimator.estimate(frame.depth_mm / 1000.0, frame.intrinsics)
    assert isinstance(from_mm, HandPoseResult) and from_mm.hand_found and from_counts.hand_found
    assert np.abs(from_counts.joints_mm - from_mm.joints_mm).max() < 5.0
    assert np.abs(from_quarter_mm.joints_mm - from_counts.joints_mm).max() < 1e-3
    assert isinstance(Intrinsics(1, 1, 0, 0, 1, 1), Intrinsics)


def test_a_closed_pipe_ends_the_headless_run_quietly():
    # Enough frames that the reader is gone long before the end.
    run = subprocess.run(" ".join(CLI + ["--headless", "--no-realtime", "--max-frames", "300"]) + " | head -1",
                         shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert run.returncode == 0 and len(run.stdout.splitlines()) == 1 and json.loads(run.stdout)["frame"] == 0
    status = subprocess.run(["bash", "-c", "set -o pipefail; " + " ".join(CLI + ["--headless", "--no-realtime",
                             "--max-frames", "300"]) + " | head -1 >/dev/null; echo ${PIPESTATUS[0]}"],
                            capture_output=True, text=True, timeout=300)
    assert status.stdout.strip() == "0"
    assert "BrokenPipe" not in run.stderr and "Traceback" not in run.stderr and "Exception" not in run.stderr


def test_a_bag_and_an_mkv_of_one_name_keep_their_own_ground_truth(tmp_path, capsys):
    from handpose_live.runtime.recordings import truth_path

    assert main(["record-synthetic", str(tmp_path / "demo.bag"), "--frames", "3"]) == 0
    printed = capsys.readouterr().out
    assert "MB)" in printed and "demo.bag.gt.jsonl" in printed
    assert main(["record-synthetic", str(tmp_path / "demo.mkv"), "--frames", "3"]) == 0
    assert truth_path(tmp_path / "demo.bag") != truth_path(tmp_path / "demo.mkv")
    assert truth_path(tmp_path / "demo.bag").is_file() and truth_path(tmp_path / "demo.mkv").is_file()


def test_the_readme_api_example_runs_as_written(capsys):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "HandPoseEstimator" in b]
    assert blocks, "the README has no API example"
    exec(compile(blocks[0], "README.md", "exec"), {})  # an empty frame: no hand, no exception
