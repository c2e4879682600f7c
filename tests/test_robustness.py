"""Bad input and interruptions: a recording without depth, a source failing mid-run in the app,
and Ctrl+C while recording (the files written so far stay complete and playable)."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from handpose_live.camera import Intrinsics
from handpose_live.cli import main
from handpose_live.runtime import session
from handpose_live.sources import bag_writer
from handpose_live.sources.base import FrameSource, SourceError
from handpose_live.sources.realsense import RecordingSource
from handpose_live.sources.synthetic import SyntheticCamera
from handpose_live.synthetic.animation import AnimationSettings
from handpose_live.types import DepthFrame


def test_recording_without_a_depth_stream(tmp_path, monkeypatch, capsys):
    # The same file layout, but its only stream is infrared.
    monkeypatch.setattr(bag_writer, "_STREAM", "/device_0/sensor_0/Infrared_1")
    intr = Intrinsics(240.0, 240.0, 160.0, 120.0, 320, 240)
    path = tmp_path / "ir_only.bag"
    with bag_writer.BagWriter(path, intr, 30.0) as writer:
        for i in range(3):
            writer.write(DepthFrame(np.full((240, 320), 500.0, np.float32), intr, i / 30.0, i))
    with pytest.raises(SourceError, match="holds no depth stream"):
        RecordingSource(path).open()
    assert main(["--bag", str(path), "--headless"]) == 2
    assert "holds no depth stream" in capsys.readouterr().err


class _Unplugged(FrameSource):
    """The synthetic camera, as fast as it renders, unplugged after `frames` frames."""

    name = "camera that gets unplugged"
    realtime = False

    def __init__(self, frames: int):
        self.frames = frames
        self.camera = SyntheticCamera(AnimationSettings(width=320, height=240), realtime=False)

    def open(self) -> None:
        self.camera.open()

    def read(self) -> DepthFrame | None:
        if self.camera._index >= self.frames:
            raise SourceError("the camera was unplugged")
        return self.camera.read()

    def close(self) -> None:
        self.camera.close()


def test_a_source_failing_mid_run_ends_the_app_with_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(session, "make_source", lambda *args, **kwargs: _Unplugged(6))
    out, rec = tmp_path / "joints.jsonl", tmp_path / "rec.bag"
    assert main(["--headless", "--output", str(out), "--record", str(rec)]) == 1
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "error: the camera was unplugged" in err and "Traceback" not in err
    # Every frame captured before the failure was processed, written and recorded.
    assert [json.loads(line)["frame"] for line in out.read_text().splitlines()] == list(range(6))
    with RecordingSource(rec, realtime=False) as played:
        assert [f.frame_number for f in played] == list(range(6))


def test_ctrl_c_while_recording_leaves_complete_playable_files(tmp_path):
    rec, out = tmp_path / "rec.bag", tmp_path / "joints.jsonl"
    # SIGINT back to its default in the child: a test run started in the background (`cmd &`)
    # inherits it ignored, and Python then never raises KeyboardInterrupt.
    proc = subprocess.Popen([sys.executable, "-m", "handpose_live.cli", "--headless", "--record", str(rec),
                             "--output", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    deadline = time.monotonic() + 120
    while len(lines) < 10 and time.monotonic() < deadline:
        lines.append(proc.stdout.readline())
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "interrupted; finishing the files" in err and "Traceback" not in err
    recorded = int(re.search(r"recorded (\d+) frames", err).group(1))
    assert recorded >= 10
    with RecordingSource(rec, realtime=False) as played:
        assert [f.frame_number for f in played] == list(range(recorded))
    printed = [json.loads(line) for line in lines + rest.splitlines() if line.strip()]
    assert [json.loads(line) for line in out.read_text().splitlines()] == printed
