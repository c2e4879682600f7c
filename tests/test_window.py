"""The window under Xvfb (xcb): a real run's screenshot shows the skeleton; the keys work."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from handpose_live.joints import FINGER_COLORS_BGR

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (make test runs Xvfb)")


def _finger_pixels(rgb: np.ndarray) -> list[int]:
    """Pixels close to each finger's colour."""
    counts = []
    for b, g, r in FINGER_COLORS_BGR:
        d = np.abs(rgb.astype(int) - np.array([r, g, b])).max(axis=-1)
        counts.append(int((d < 40).sum()))
    return counts


def _read_png(path):
    from PyQt5 import QtGui

    img = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format_RGB888)
    ptr = img.constBits()
    ptr.setsize(img.height() * img.bytesPerLine())
    return np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine())[:, : 3 * img.width()].reshape(
        img.height(), img.width(), 3).copy()


def test_screenshot_of_a_run_shows_the_skeleton_in_2d_and_3d(tmp_path):
    shot = tmp_path / "window.png"
    r = subprocess.run([sys.executable, "-m", "handpose_live.cli", "--max-frames", "8", "--screenshot", str(shot)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "frames in" in r.stderr and "Traceback" not in r.stderr
    rgb = _read_png(shot)
    h, w, _ = rgb.shape
    assert w >= 800 and h >= 400
    image_side, gl_side = rgb[:, : int(w * 0.55)], rgb[:, int(w * 0.65):]
    # Every finger's colour is drawn on the depth image and in the 3D view.
    assert all(n >= 5 for n in _finger_pixels(image_side)), _finger_pixels(image_side)
    assert sum(n >= 3 for n in _finger_pixels(gl_side)) >= 4, _finger_pixels(gl_side)


@pytest.fixture
def live_window(qtbot, tmp_path, monkeypatch):
    """The window attached to a running engine on the synthetic camera (320×240, real time)."""
    from handpose_live.app import LatencyLog
    from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
    from handpose_live.runtime.engine import LiveEngine
    from handpose_live.sources.synthetic import SyntheticCamera
    from handpose_live.synthetic.animation import AnimationSettings
    from handpose_live.ui.window import LiveWindow

    monkeypatch.chdir(tmp_path)
    source = SyntheticCamera(AnimationSettings(width=320, height=240, fps=30.0), realtime=True)
    source.open()
    estimator = HandPoseEstimator(EstimatorOptions())
    window = LiveWindow(source.name, estimator.provider)
    qtbot.addWidget(window)
    engine = LiveEngine(source, estimator, window.submit)
    window.attach(engine, LatencyLog())
    window.show()
    engine.start()
    yield window, engine
    engine.stop()
    engine.join(timeout=10)
    source.close()


def test_keys_pause_smooth_record_and_quit_while_recording(qtbot, tmp_path, live_window):
    from PyQt5 import QtCore

    from handpose_live.sources.realsense import RecordingSource

    window, engine = live_window
    qtbot.waitUntil(lambda: window.frames_shown >= 3, timeout=20000)
    assert "FPS capture" in window.overlay.text() and "infer" in window.overlay.text()

    qtbot.keyClick(window, QtCore.Qt.Key_F)
    assert not engine.smoothing and "smoothing off" in window.overlay.text()
    qtbot.keyClick(window, QtCore.Qt.Key_R)
    assert engine.recording is not None and "REC" in window.overlay.text()
    start = engine.frames_captured
    qtbot.waitUntil(lambda: engine.frames_captured >= start + 3, timeout=20000)
    qtbot.keyClick(window, QtCore.Qt.Key_R)
    assert engine.recording is None
    recorded = list(tmp_path.glob("handpose-live-*.bag"))
    assert len(recorded) == 1
    with RecordingSource(recorded[0], realtime=False) as rec:
        assert len(list(rec)) >= 1

    qtbot.keyClick(window, QtCore.Qt.Key_Space)
    assert engine.paused and "PAUSED" in window.overlay.text()
    qtbot.keyClick(window, QtCore.Qt.Key_Space)
    assert not engine.paused
    qtbot.keyClick(window, QtCore.Qt.Key_S)
    assert len(list(tmp_path.glob("handpose-live-*.png"))) == 1
    # Quitting (q closes the window) while recording: every frame captured since `r` is kept.
    qtbot.keyClick(window, QtCore.Qt.Key_R)
    first = engine.frames_captured  # recording starts with the next captured frame
    qtbot.waitUntil(lambda: engine.frames_captured >= first + 5, timeout=20000)
    qtbot.keyClick(window, QtCore.Qt.Key_Q)
    assert engine.join(timeout=10) and not window.isVisible()
    (second,) = set(tmp_path.glob("handpose-live-*.bag")) - set(recorded)
    with RecordingSource(second, realtime=False) as rec:
        numbers = [f.frame_number for f in rec]
    # The synthetic camera numbers its frames from 0, so the last captured one is frames_captured - 1.
    assert numbers == list(range(numbers[0], engine.frames_captured)) and numbers[0] <= first + 1
