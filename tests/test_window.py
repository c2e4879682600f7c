"""The window under Xvfb (xcb), running: a real run's screenshot shows the skeleton in 2D and 3D, and
the keys work (pause, smoothing, record, quit, m for the model fit)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from window_support import finger_pixels, read_png, share_gl_contexts  # noqa: F401 - GL set-up at import

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (make test runs Xvfb)")


def test_screenshot_of_a_run_shows_the_skeleton_in_2d_and_3d(tmp_path):
    shot = tmp_path / "window.png"
    r = subprocess.run([sys.executable, "-m", "handpose_live.cli", "--max-frames", "8", "--screenshot", str(shot)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "frames in" in r.stderr and "Traceback" not in r.stderr
    rgb = read_png(shot)
    h, w, _ = rgb.shape
    assert w >= 800 and h >= 400
    # The views' row only: the panel below them holds the legend, which has every finger colour.
    views = rgb[: int(h * 0.72)]
    image_side, gl_side = views[:, : int(w * 0.5)], views[:, int(w * 0.6):]
    # Every finger's colour is drawn on the depth image and in the 3D view.
    assert all(n >= 5 for n in finger_pixels(image_side)), finger_pixels(image_side)
    assert sum(n >= 3 for n in finger_pixels(gl_side)) >= 4, finger_pixels(gl_side)


@pytest.fixture
def live_window(qtbot, tmp_path, monkeypatch):
    """The window attached to a running engine on the synthetic camera (320×240, real time)."""
    from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
    from handpose_live.runtime.engine import LiveEngine
    from handpose_live.runtime.session import LatencyLog
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

    assert "smoothing on (1.5 Hz, β 0.010)" in window.overlay.text()
    assert "cm away" in window.overlay.text().splitlines()[0]  # where the hand is, or where to hold it
    assert window.depth_bar.hand_range_mm == (210.0, 800.0)  # the synthetic D415 sees from 16 cm
    qtbot.keyClick(window, QtCore.Qt.Key_BracketRight)
    qtbot.keyClick(window, QtCore.Qt.Key_Equal)
    assert engine.filter_settings.min_cutoff_hz == pytest.approx(1.875) and engine.filter_settings.beta == 0.02
    assert "smoothing on (1.9 Hz, β 0.020)" in window.overlay.text()
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
    assert window.statusBar().currentMessage().startswith("saved handpose-live-")
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


def test_key_m_switches_the_model_fit_live(qtbot, live_window):
    from PyQt5 import QtCore

    window, engine = live_window

    def shown(fitted: bool) -> bool:
        r = window.shown_result
        return r is not None and r.hand_found and (r.confidence is not None) == fitted

    # On by default: the panel gives the fit's figures and the 3D view has the model.
    qtbot.waitUntil(lambda: shown(True) and "confidence" in window.overlay.text(), timeout=20000)
    assert engine.fit and "model fit on" in window.overlay.text() and len(window.hand3d.model.pos) > 0
    qtbot.keyClick(window, QtCore.Qt.Key_M)
    assert not engine.fit and "model fit off" in window.overlay.text()
    assert window.statusBar().currentMessage().startswith("model fit off")
    # Without a restart, the next frames are the network's alone: no model, no second skeleton.
    qtbot.waitUntil(lambda: shown(False), timeout=20000)
    qtbot.waitUntil(lambda: len(window.hand3d.model.pos) == 0, timeout=5000)
    assert len(window.hand3d.network_joints.pos) == 0 and "confidence" not in window.overlay.text()
    qtbot.keyClick(window, QtCore.Qt.Key_M)
    assert engine.fit
    qtbot.waitUntil(lambda: shown(True) and "confidence" in window.overlay.text(), timeout=20000)


# -- layout: fixed frames drawn in a window without an engine -------------------------------------


def test_a_replay_in_the_window_has_a_position_bar_and_the_arrows_step_it(qtbot, tmp_path):
    from PyQt5 import QtCore

    from handpose_live.cli import main
    from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
    from handpose_live.runtime.engine import LiveEngine
    from handpose_live.runtime.session import LatencyLog
    from handpose_live.sources.realsense import RecordingSource
    from handpose_live.ui.window import LiveWindow

    bag = tmp_path / "steps.bag"
    assert main(["record-synthetic", str(bag), "--frames", "20", "--width", "320", "--height", "240"]) == 0
    source = RecordingSource(bag, realtime=True)
    source.open()
    estimator = HandPoseEstimator(EstimatorOptions())
    window = LiveWindow(source.name, estimator.provider)
    qtbot.addWidget(window)
    engine = LiveEngine(source, estimator, window.submit)
    window.attach(engine, LatencyLog())
    window.show()
    engine.set_paused(True)  # held from the start: a 20-frame replay would otherwise be over in 0.7 s
    engine.start()
    try:
        assert window.position_bar.isVisible() and window.position_bar.maximum() == 19
        engine.seek(10)
        qtbot.waitUntil(lambda: window.position_bar.value() == 10 and window.frames_shown == 1, timeout=20000)
        qtbot.keyClick(window, QtCore.Qt.Key_Left)
        qtbot.waitUntil(lambda: window.position_bar.value() == 9, timeout=20000)
        qtbot.keyClick(window, QtCore.Qt.Key_Right)
        qtbot.waitUntil(lambda: window.position_bar.value() == 10, timeout=20000)
        qtbot.keyClick(window, QtCore.Qt.Key_Right)
        qtbot.waitUntil(lambda: window.position_bar.value() == 11, timeout=20000)
        assert engine.paused
    finally:
        engine.stop()
        engine.join(timeout=10)
        source.close()


def test_the_window_records_itself_as_an_animated_gif(tmp_path):
    gif = tmp_path / "window.gif"
    r = subprocess.run([sys.executable, "-m", "handpose_live.cli", "--max-frames", "24", "--gif", str(gif)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0 and "frames to" in r.stderr, r.stderr
    from PIL import Image

    with Image.open(gif) as im:
        assert im.size[0] == 640 and im.n_frames >= 2
    from handpose_live.cli import main

    assert main(["--headless", "--gif", str(tmp_path / "x.gif")]) == 2
    assert main(["--gif", str(tmp_path / "x.png")]) == 2
