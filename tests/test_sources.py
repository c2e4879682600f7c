"""Sources: the .bag writer played back by pyrealsense2, the synthetic camera, missing devices."""
from __future__ import annotations

import time

import numpy as np
import pytest

from handpose_live.sources.bag_writer import BagWriter
from handpose_live.sources.base import SourceError
from handpose_live.sources.factory import make_source
from handpose_live.sources.realsense import RealSenseCamera, RecordingSource
from handpose_live.sources.synthetic import SyntheticCamera
from handpose_live.synthetic.animation import AnimationSettings
from handpose_live.types import DepthFrame


def _frames(intr, n, fps=30.0, start=0):
    rng = np.random.default_rng(0)
    return [DepthFrame(np.round(rng.uniform(0, 3000, (intr.height, intr.width))).astype(np.float32), intr,
                       5.0 + i / fps, start + i) for i in range(n)]


def _write(path, frames, fps=30.0):
    with BagWriter(path, frames[0].intrinsics, fps) as w:
        for f in frames:
            w.write(f)
    return path


def test_bag_round_trip_through_pyrealsense2(tmp_path, qvga):
    frames = _frames(qvga, 12, start=3)
    path = _write(tmp_path / "a.bag", frames)
    with RecordingSource(path, realtime=False) as src:
        out = list(src)
        assert src.fps == 30.0
        got = src.intrinsics
    assert [f.frame_number for f in out] == [f.frame_number for f in frames]
    assert all(np.array_equal(a.depth_mm, b.depth_mm) for a, b in zip(out, frames))
    assert (got.width, got.height) == (qvga.width, qvga.height)
    assert np.allclose([got.fx, got.fy, got.cx, got.cy], [qvga.fx, qvga.fy, qvga.cx, qvga.cy], atol=1e-4)
    # Timestamps restart at the first frame and keep the recorded spacing.
    assert np.allclose(np.diff([f.timestamp_s for f in out]), 1 / 30.0, atol=1e-6)


def _chunks(path):
    """(compression, data) of each chunk record of a ROS1 bag, read straight from the file."""
    data = path.read_bytes()
    pos = len(b"#ROSBAG V2.0\n")
    out = []
    while pos < len(data):
        header_len = int.from_bytes(data[pos:pos + 4], "little")
        header, pos = data[pos + 4:pos + 4 + header_len], pos + 4 + header_len
        fields, i = {}, 0
        while i < len(header):
            n = int.from_bytes(header[i:i + 4], "little")
            name, _, value = header[i + 4:i + 4 + n].partition(b"=")
            fields[name], i = value, i + 4 + n
        data_len = int.from_bytes(data[pos:pos + 4], "little")
        if fields[b"op"] == b"\x05":
            out.append((fields[b"compression"].decode(), data[pos + 4:pos + 4 + data_len]))
        pos += 4 + data_len
    return out


def test_bag_chunks_are_lz4_and_play_back_bit_exact(tmp_path, qvga):
    frames = _frames(qvga, 20)
    noise = np.random.default_rng(1).integers(0, 65536, (8, qvga.height, qvga.width))
    for f, n in zip(frames, noise):
        f.depth_mm[:] = n  # over 1 MB LZ4 cannot shrink: stored raw, which roslz4 must read too
    for f in frames[8:]:
        f.depth_mm[:, 80:] = 0  # mostly no depth, like the background of a hand: compressible
    path = _write(tmp_path / "z.bag", frames)
    chunks = _chunks(path)
    assert len(chunks) >= 3 and {c for c, _ in chunks} == {"lz4"}
    # The LZ4 frame descriptor roslz4 accepts: independent blocks, no content size, content checksum.
    assert all(d[:4] == b"\x04\x22\x4d\x18" and d[4] == 0b0110_0100 for _, d in chunks)
    assert path.stat().st_size < sum(f.depth_mm.size * 2 for f in frames) * 0.8
    with RecordingSource(path, realtime=False) as src:
        out = list(src)
        got = src.intrinsics
        scale_mm = src._scale_mm
    assert [f.frame_number for f in out] == [f.frame_number for f in frames]
    assert all(np.array_equal(a.depth_mm, b.depth_mm) for a, b in zip(out, frames))
    assert (got.width, got.height) == (qvga.width, qvga.height)
    assert np.allclose([got.fx, got.fy, got.cx, got.cy], [qvga.fx, qvga.fy, qvga.cx, qvga.cy], atol=1e-4)
    assert scale_mm == pytest.approx(1.0)


def test_real_time_replay_keeps_the_frame_rate_and_loop_continues(tmp_path, qvga):
    path = _write(tmp_path / "b.bag", _frames(qvga, 6, fps=20.0), fps=20.0)
    t0 = time.perf_counter()
    with RecordingSource(path, realtime=True) as src:
        assert len(list(src)) == 6
    assert time.perf_counter() - t0 >= 5 / 20.0 * 0.9
    with RecordingSource(path, realtime=False, loop=True) as src:
        out = [src.read() for _ in range(60)]
    numbers = [f.frame_number for f in out]
    times = [f.timestamp_s for f in out]
    # Ten passes, not a frame lost at any restart (librealsense's real-time mode used to drop one).
    assert numbers == list(range(60)) and all(b > a for a, b in zip(times, times[1:]))


def test_writer_refuses_bad_paths_and_other_cameras(tmp_path, qvga, vga):
    (tmp_path / "x.bag").write_bytes(b"")
    with pytest.raises(SourceError, match="already exists"):
        BagWriter(tmp_path / "x.bag", qvga, 30)
    with pytest.raises(SourceError, match=".bag"):
        BagWriter(tmp_path / "x.db3", qvga, 30)
    with pytest.raises(SourceError, match="does not exist"):
        BagWriter(tmp_path / "no" / "x.bag", qvga, 30)
    with BagWriter(tmp_path / "y.bag", qvga, 30) as w:
        w.write(_frames(qvga, 1)[0])
        with pytest.raises(SourceError, match="intrinsics"):
            w.write(_frames(vga, 1)[0])


@pytest.mark.parametrize("name, content, message", [
    ("missing.bag", None, "does not exist"),
    ("empty.bag", b"", "is empty"),
    ("notes.txt", b"hello", "not a RealSense recording"),
    ("garbage.bag", b"#ROSBAG V2.0\n" + bytes(range(256)) * 8, "cannot be played"),
])
def test_bad_recordings_give_one_sentence(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        RecordingSource(path).open()


def test_truncated_recording_is_refused(tmp_path, qvga):
    path = _write(tmp_path / "t.bag", _frames(qvga, 8))
    data = path.read_bytes()
    cut = tmp_path / "cut.bag"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError):
        with RecordingSource(cut, realtime=False) as src:
            list(src)


def test_synthetic_camera_is_deterministic_with_ground_truth():
    settings = AnimationSettings(width=320, height=240, fps=30.0, seed=3)
    with SyntheticCamera(settings, realtime=False, frames=4) as cam:
        frames = list(cam)
        truth = cam.ground_truth(2)
    assert [f.frame_number for f in frames] == [0, 1, 2, 3]
    assert frames[1].timestamp_s == pytest.approx(1 / 30.0)
    assert truth.shape == (21, 3) and 200 < truth[:, 2].mean() < 800
    # The hand is the nearest surface, where its truth says.
    uv = frames[2].intrinsics.project(truth)[9, :2].round().astype(int)
    assert abs(frames[2].depth_mm[uv[1], uv[0]] - truth[9, 2]) < 40
    with SyntheticCamera(settings, realtime=False, frames=4) as cam:
        again = list(cam)
    assert all(np.array_equal(a.depth_mm, b.depth_mm) for a, b in zip(frames, again))


def test_synthetic_camera_runs_at_its_fps():
    cam = SyntheticCamera(AnimationSettings(width=160, height=120, fps=25.0), realtime=True, frames=6)
    t0 = time.perf_counter()
    with cam:
        assert len(list(cam)) == 6
    assert time.perf_counter() - t0 >= 5 / 25.0 * 0.9


def test_no_realsense_connected_is_one_sentence():
    with pytest.raises(SourceError, match="no RealSense camera"):
        RealSenseCamera().open()


def test_factory_defaults_to_the_synthetic_camera(tmp_path):
    assert isinstance(make_source(), SyntheticCamera)
    assert isinstance(make_source(recording=tmp_path / "a.bag"), RecordingSource)
    with pytest.raises(SourceError, match="not both"):
        make_source("realsense", tmp_path / "a.bag")
