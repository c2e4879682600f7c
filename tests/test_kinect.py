"""The Kinect source: synthetic .mkv recordings written through libk4arecord and played back by
pyk4a-bundle in its helper process (`make kinect`, which `make test` runs first)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from handpose_live.camera import KNOWN_CAMERAS
from handpose_live.cli import main
from handpose_live.runtime.recordings import truth_path
from handpose_live.sources import kinect
from handpose_live.sources.base import SourceError, to_depth_counts
from handpose_live.sources.factory import make_source
from handpose_live.sources.kinect import KinectCamera, KinectRecording, MkvWriter
from handpose_live.types import DepthFrame

try:
    kinect.kinect_python()
except SourceError as e:  # only outside `make test`, which sets the environment up
    pytest.skip(f"no Kinect environment: {e}", allow_module_level=True)

NFOV = KNOWN_CAMERAS["azure_kinect_nfov"]
FRAMES = 12


def _frames(n, start=0, fps=30.0):
    rng = np.random.default_rng(3)
    depth = [rng.uniform(0, 4000, (NFOV.height, NFOV.width)).astype(np.float32) for _ in range(n)]
    depth[0][:4, :4] = np.nan  # holes become 0, as a camera reports them
    return [DepthFrame(d, NFOV, 2.0 + i / fps, start + i) for i, d in enumerate(depth)]


@pytest.fixture(scope="module")
def mkv(tmp_path_factory):
    """A synthetic 640×576 .mkv of the animated hand and its ground truth, written by the CLI."""
    path = tmp_path_factory.mktemp("kinect") / "hand.mkv"
    assert main(["record-synthetic", str(path), "--frames", str(FRAMES), "--seed", "2"]) == 0
    return path


def test_mkv_round_trip_is_exact(tmp_path):
    frames = _frames(5)
    path = tmp_path / "a.mkv"
    with MkvWriter(path, NFOV, 30.0) as writer:
        for f in frames:
            writer.write(f)
    with KinectRecording(path, realtime=False) as src:
        out = list(src)
        got = src.intrinsics
        assert src.fps == 30.0
    assert [f.frame_number for f in out] == list(range(5))
    assert all(np.array_equal(a.depth_mm, to_depth_counts(b.depth_mm).astype(np.float32)) for a, b in zip(out, frames))
    assert out[0].depth_mm[0, 0] == 0
    assert (got.width, got.height) == (640, 576)
    # The calibration file stores float32 normalised intrinsics.
    assert np.allclose([got.fx, got.fy, got.cx, got.cy], [NFOV.fx, NFOV.fy, NFOV.cx, NFOV.cy], atol=1e-3)
    assert np.allclose(np.diff([f.timestamp_s for f in out]), 1 / 30.0, atol=2e-6)


def test_replay_in_real_time_and_in_a_loop(mkv):
    with KinectRecording(mkv, realtime=False, loop=True) as src:
        out = [src.read() for _ in range(2 * FRAMES + 3)]
    numbers = [f.frame_number for f in out]
    times = [f.timestamp_s for f in out]
    assert numbers == list(range(2 * FRAMES + 3))
    assert all(b > a for a, b in zip(times, times[1:]))


def test_headless_replay_of_an_mkv_matches_ground_truth(mkv, tmp_path, capsys):
    out = tmp_path / "joints.jsonl"
    assert main(["--bag", str(mkv), "--headless", "--no-realtime", "--output", str(out)]) == 0
    printed = [json.loads(line) for line in out.read_text().splitlines()]
    truth = {t["frame"]: np.array(t["joints_mm"])
             for t in map(json.loads, truth_path(mkv).read_text().splitlines())}
    assert len(printed) == FRAMES and all(p["hand_found"] for p in printed)
    err = np.mean([np.linalg.norm(np.array(p["joints_mm"]) - truth[p["frame"]], axis=1).mean() for p in printed])
    assert err < 25.0, err  # 8.4 mm measured on 30 frames of seed 0 (the hand 650 mm away, run 3)
    assert "frames in" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\x1aE\xdf\xa3 not really matroska" * 50, "cannot be played as an Azure Kinect recording"),
])
def test_bad_recordings_give_one_sentence(tmp_path, content, message):
    path = tmp_path / "bad.mkv"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        KinectRecording(path).open()


def test_truncated_and_missing_recordings(tmp_path, mkv):
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(mkv.read_bytes()[: mkv.stat().st_size // 3])
    with pytest.raises(SourceError, match="cannot be played"):
        KinectRecording(cut).open()
    with pytest.raises(SourceError, match="does not exist"):
        KinectRecording(tmp_path / "none.mkv").open()
    with pytest.raises(SourceError, match=r"not an Azure Kinect recording \(\.mkv\)"):
        KinectRecording(tmp_path / "x.avi").open()


def test_writer_refuses_other_sizes_and_existing_files(tmp_path, vga):
    with pytest.raises(SourceError, match="640x576"):
        with MkvWriter(tmp_path / "v.mkv", vga, 30.0) as writer:
            writer.write(DepthFrame(np.zeros((480, 640), np.float32), vga, 0.0, 0))
    (tmp_path / "old.mkv").write_bytes(b"keep")
    with pytest.raises(SourceError, match="already exists"):
        MkvWriter(tmp_path / "old.mkv", NFOV, 30.0)
    assert (tmp_path / "old.mkv").read_bytes() == b"keep"


def test_no_kinect_connected_is_one_sentence(capsys):
    with pytest.raises(SourceError, match="no Azure Kinect"):
        KinectCamera().open()
    assert main(["--camera", "kinect", "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no Azure Kinect" in err


def test_missing_kinect_environment_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv(kinect.PYTHON_ENV, str(tmp_path / "nope" / "python"))
    with pytest.raises(SourceError, match="does not exist"):
        KinectCamera().open()
    monkeypatch.delenv(kinect.PYTHON_ENV)
    monkeypatch.setattr(kinect, "_VENV", tmp_path / "no-venv")  # and the app's own Python has no pyk4a
    with pytest.raises(SourceError, match="run `make kinect`"):
        kinect.kinect_python()


def test_factory_picks_kinect_sources(tmp_path):
    assert isinstance(make_source("kinect"), KinectCamera)
    assert isinstance(make_source(recording=tmp_path / "r.mkv"), KinectRecording)


def test_an_mkv_replay_seeks_to_the_same_frame_every_time(mkv):
    from handpose_live.sources.kinect import KinectRecording

    with KinectRecording(mkv, realtime=False) as src:
        first = [src.read() for _ in range(4)]
        src.seek(1)
        assert np.array_equal(src.read().depth_mm, first[1].depth_mm) and src.position == 1
        assert src.frame_count is None  # the helper does not say; the window then has no position bar
    with KinectRecording(mkv, realtime=False) as src:
        src.seek(3)  # straight there, through the file
        assert np.array_equal(src.read().depth_mm, first[3].depth_mm)
