"""The live window: the depth image with the 2D skeleton, a rotatable 3D skeleton in the camera's
frame (axes, frustum, floor grid) with the fitted hand model and the network's joints beside it,
and below them a panel with the network's crop, rates, latency, per-stage times, the model fit's
figures and the finger legend; key help and messages in the status bar. Nothing is drawn over the
depth image but the skeleton (and, with the fit on, the network's joints as faint rings).

The window never waits for the camera or the network: the engine's fit thread hands each
result over with `submit()`, and only the newest one is drawn (older ones are skipped, not
queued).
"""
from __future__ import annotations

import collections
import threading
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from PyQt5 import QtCore, QtGui, QtWidgets

from handpose_live.camera import hand_range_mm
from handpose_live.runtime.engine import FrameOutput, LiveEngine
from handpose_live.runtime.timing import RateMeter
from handpose_live.sources.base import SourceError
from handpose_live.types import HandPoseResult
from handpose_live.ui.hand_items import Hand2D, Hand3D
from handpose_live.ui.overlay import KEY_HELP, calibration_line, depth_to_gray, guidance_line, overlay_text
from handpose_live.ui.scene3d import CameraScene
from handpose_live.ui.widgets import (
    CropView,
    DepthBar,
    FingerLegend,
    available_geometry,
    fit_to_screen,
    mono_font,
    stamp,
)

NEAR_MM, FAR_MM = 150.0, 1200.0
NO_DATA_RGB = (28, 32, 52)
OVERLAY_HZ = 5.0
# Keys that change the smoothing live: (cutoff factor, beta factor). Lower cutoff: steadier, more lag.
SMOOTHING_KEYS = {QtCore.Qt.Key_BracketLeft: (0.8, 1.0), QtCore.Qt.Key_BracketRight: (1.25, 1.0),
                  QtCore.Qt.Key_Minus: (1.0, 0.5), QtCore.Qt.Key_Equal: (1.0, 2.0), QtCore.Qt.Key_Plus: (1.0, 2.0)}
LATENCY_FRAMES = 30  # the latency shown is the median of the last displayed frames (about 1 s)
PREFERRED_SIZE = QtCore.QSize(1200, 640)  # shrunk to fit smaller screens (1024×600 netbooks too)
STYLE = """
QMainWindow, QWidget#panel, QStatusBar { background: #14141c; }
QLabel, QStatusBar { color: #e8e8e8; }
"""


def qt_application() -> QtWidgets.QApplication:
    """The process's QApplication (created once)."""
    if QtWidgets.QApplication.instance() is None:
        # pyqtgraph compiles its GL shaders once per process: every GL context must share them.
        QtCore.QCoreApplication.setAttribute(QtCore.Qt.AA_ShareOpenGLContexts)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["handpose-live"])
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    return app


class LiveWindow(QtWidgets.QMainWindow):
    """Shows the newest FrameOutput of a LiveEngine."""

    _output_ready = QtCore.pyqtSignal()

    def __init__(self, source_name: str, provider: str, calibrating: bool = False):
        super().__init__()
        self.source_name = source_name
        self.provider = provider
        self.calibrating = calibrating  # a calibration run: the panel prompts the user
        self.setWindowTitle(f"handpose-live — {source_name}")
        self.engine: LiveEngine | None = None
        self.camera_range_mm: tuple[float, float] | None = None  # the source's, once attached
        self.hand_range_mm = hand_range_mm(None)
        self.latencies = None
        self.screenshot_error: str | None = None
        self.gif = None  # a ui.gif.GifRecorder with --gif
        self._screenshot: Path | None = None
        self._quit_at_end = False
        self._ended = False
        self._latest: FrameOutput | None = None
        self._pending = False
        self._lock = threading.Lock()
        self._display_rate = RateMeter()
        self._recent_latency: collections.deque[float] = collections.deque(maxlen=LATENCY_FRAMES)
        self._truth_error: float | None = None
        self.shown_result: HandPoseResult | None = None  # the result drawn last (its fit figures are in the panel)
        self._last_overlay = 0.0
        self.frames_shown = 0
        self._build()
        self.setGeometry(fit_to_screen(PREFERRED_SIZE, self.minimumSizeHint(), available_geometry(self)))
        self._output_ready.connect(self._show_latest, QtCore.Qt.QueuedConnection)

    # -- layout ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.setStyleSheet(STYLE)
        central = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        views = QtWidgets.QHBoxLayout()
        views.setSpacing(2)
        # 5:4 leaves the 4:3 depth image little black margin at the default size.
        views.addWidget(self._build_image(), 5)
        self.depth_bar = DepthBar(NEAR_MM, FAR_MM, NO_DATA_RGB)
        self.depth_bar.set_hand_range(self.hand_range_mm)
        views.addWidget(self.depth_bar, 0)
        views.addWidget(self._build_3d(), 4)
        column.addLayout(views, 1)
        column.addWidget(self._build_position_bar(), 0)
        column.addWidget(self._build_panel(), 0)
        self.setCentralWidget(central)
        # Key help sits in the status bar, apart from the panel: it can never cover the crop.
        self.help_label = QtWidgets.QLabel(KEY_HELP)
        self.help_label.setFont(mono_font())
        self.statusBar().addPermanentWidget(self.help_label)
        # Whole, however narrow the window: the status bar does not pass its widgets' widths on.
        self.help_label.setMinimumWidth(self.help_label.sizeHint().width())
        self.statusBar().setMinimumWidth(self.help_label.minimumWidth() + 40)  # + size grip and margins
        self._update_overlay(force=True)

    def _build_image(self) -> QtWidgets.QWidget:
        self.image_widget = pg.GraphicsLayoutWidget()
        self.image_widget.setBackground("k")
        self.image_widget.setMinimumSize(320, 240)
        self.view = self.image_widget.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.depth_item = pg.ImageItem(axisOrder="row-major")  # whatever the global pg config says
        lut = np.stack([np.arange(256)] * 3, axis=1).astype(np.uint8)
        lut[0] = NO_DATA_RGB  # no data: dark blue, so holes are told apart from far surfaces
        self.depth_item.setLookupTable(lut)
        self.view.addItem(self.depth_item)
        self.hand2d = Hand2D(self.view)
        return self.image_widget

    def _build_position_bar(self) -> QtWidgets.QWidget:
        """A replay's position: the shown frame of the file; dragging it seeks (hidden for cameras)."""
        self.position_bar = QtWidgets.QSlider(QtCore.Qt.Horizontal)
        self.position_bar.setFocusPolicy(QtCore.Qt.NoFocus)  # the arrow keys step frames, not the slider
        self.position_bar.setToolTip("the replay's position: drag to seek; paused, ← → step one frame")
        self.position_bar.sliderReleased.connect(self._seek_to_bar)
        self.position_bar.hide()
        return self.position_bar

    def _seek_to_bar(self) -> None:
        if self.engine is not None:
            self.engine.seek(self.position_bar.value())

    def _build_3d(self) -> QtWidgets.QWidget:
        self.gl_view = gl.GLViewWidget()
        self.gl_view.setBackgroundColor((20, 20, 28))
        self.gl_view.setMinimumSize(240, 240)
        self.scene = CameraScene(self.gl_view)
        self.hand3d = Hand3D(self.gl_view)
        return self.gl_view

    def _build_panel(self) -> QtWidgets.QWidget:
        panel = QtWidgets.QWidget()
        panel.setObjectName("panel")
        row = QtWidgets.QHBoxLayout(panel)
        row.setContentsMargins(6, 4, 10, 4)
        row.setSpacing(14)
        self.crop_view = CropView()
        row.addWidget(self.crop_view, 0, QtCore.Qt.AlignTop)
        self.overlay = QtWidgets.QLabel()
        self.overlay.setFont(mono_font())
        self.overlay.setAlignment(QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop)
        # Room for all its lines from the start, so a REC / PAUSED line does not resize the views.
        self.overlay.setMinimumHeight(QtGui.QFontMetrics(self.overlay.font()).lineSpacing() * 7 + 4)
        row.addWidget(self.overlay, 1)
        self.legend = FingerLegend()
        row.addWidget(self.legend, 0, QtCore.Qt.AlignTop)
        return panel

    def reset_view(self) -> None:
        """The 3D view from behind the camera, slightly from above and aside: camera and hand in sight."""
        self.scene.reset_view()

    def image_rect(self) -> QtCore.QRect:
        """Where the depth image is drawn, in window coordinates."""
        scene_rect = self.depth_item.mapRectToScene(self.depth_item.boundingRect())
        view_rect = self.image_widget.mapFromScene(scene_rect).boundingRect()
        return QtCore.QRect(self.image_widget.viewport().mapTo(self, view_rect.topLeft()), view_rect.size())

    # -- engine hook-up --------------------------------------------------------------------------
    def attach(self, engine: LiveEngine, latencies, quit_at_end: bool = False, screenshot: Path | None = None) -> None:
        """Show `engine`'s frames; at its end quit (after saving `screenshot`) or say it ended."""
        self.engine = engine
        self.latencies = latencies
        self.camera_range_mm = engine.source.depth_range_mm
        count = engine.source.frame_count
        if engine.can_seek and count:
            self.position_bar.setRange(0, count - 1)
            self.position_bar.show()
        self.hand_range_mm = hand_range_mm(self.camera_range_mm)
        self.depth_bar.set_hand_range(self.hand_range_mm)
        self._quit_at_end = quit_at_end
        self._screenshot = screenshot
        self._watch = QtCore.QTimer(self)
        self._watch.timeout.connect(self._check_engine)
        self._watch.start(100)

    def submit(self, output: FrameOutput) -> None:
        """Hand over a result (any thread); the window draws the newest at its own pace."""
        with self._lock:
            self._latest = output
            if self._pending:
                return
            self._pending = True
        self._output_ready.emit()

    def _take(self) -> FrameOutput | None:
        with self._lock:
            out, self._latest, self._pending = self._latest, None, False
        return out

    def _show_latest(self) -> None:
        out = self._take()
        if out is None or not self.isVisible():
            return  # results still in flight when the window closed: its GL context is gone
        self._draw(out)
        t = time.perf_counter()
        self._display_rate.tick(t)
        self._recent_latency.append((t - out.t_capture) * 1000.0)
        if self.latencies is not None:
            self.latencies.add(out, t)
        self.frames_shown += 1
        self._update_overlay()
        if self.gif is not None and self.gif.due():
            self.gif.add(self.grab_window())

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self, out: FrameOutput) -> None:
        frame = out.frame
        w, h = frame.intrinsics.width, frame.intrinsics.height
        self.depth_item.setImage(depth_to_gray(frame.depth_mm, NEAR_MM, FAR_MM), autoLevels=False, levels=(0, 255))
        self.scene.set_intrinsics(frame.intrinsics)
        found = out.result.hand_found
        self.hand2d.show(out, frame.intrinsics)
        # Where the hand really is: the 3D view is in the camera's frame, camera at the origin.
        self.hand3d.show(out)
        self.crop_view.show_crop(out.result.crop if found else None)
        if out.index is not None and not self.position_bar.isSliderDown():
            self.position_bar.setValue(out.index)
        self.shown_result = out.result
        if found and out.truth_mm is not None:
            self._truth_error = float(np.linalg.norm(out.joints_mm - out.truth_mm, axis=1).mean())
        else:
            self._truth_error = None
        self.view.setRange(xRange=(0, w), yRange=(0, h), padding=0)

    def _update_overlay(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_overlay < 1.0 / OVERLAY_HZ:
            return
        self._last_overlay = now
        e = self.engine
        recent = self._recent_latency
        shown = self.shown_result
        # Without an engine (frames handed over directly) the stage times are the shown frame's own.
        stages = e.stages.median() if e else dict(shown.timings_ms) if shown else {}
        text = overlay_text(
            source=self.source_name, provider=self.provider,
            fps=(e.capture_rate.rate(now), e.inference_rate.rate(now), self._display_rate.rate(now)) if e else (0, 0, 0),
            latency_ms=float(np.median(recent)) if recent else None, latency_frames=len(recent),
            stages_ms=stages, dropped=e.dropped if e else 0,
            smoothing=e.smoothing if e else True, paused=bool(e and e.paused),
            smoothing_label=e.filter_settings.label() if e else None,
            recording=e.recording.name if e and e.recording else None, truth_error_mm=self._truth_error,
            fit_on=self.fit_on, fit_result=shown,
            profile=e.estimator.options.profile.name if e and e.estimator.options.profile else None,
            calibration=calibration_line(e.estimator.calibration, e.frames_processed, self.calibrating) if e else None,
            guidance=guidance_line(shown, self.hand_range_mm, self.camera_range_mm))
        self.overlay.setText(text)

    @property
    def fit_on(self) -> bool:
        """The model fit as the engine has it; without an engine, whether the shown frame was fitted."""
        if self.engine is not None:
            return self.engine.fit
        return self.shown_result is not None and self.shown_result.confidence is not None

    def _say(self, message: str | None) -> None:
        """Show a message in the status bar (None clears it)."""
        if message:
            self.statusBar().showMessage(message)
        else:
            self.statusBar().clearMessage()

    # -- end of run ------------------------------------------------------------------------------
    def _check_engine(self) -> None:
        if self.engine is None or self._ended or not self.engine.finished:
            return
        self._ended = True
        self._show_latest()
        if self.engine.error:
            self._say(f"stopped: {self.engine.error}")
            self.close()
            return
        if self._quit_at_end:
            if self._screenshot is not None:
                self.save_screenshot(self._screenshot)
            self.close()
            return
        self._say(f"end of {self.source_name} (q to quit)")
        self._update_overlay(force=True)

    def grab_window(self) -> QtGui.QImage:
        """The whole window as shown, the 3D view included."""
        shot = self.grab().toImage()
        # grab() redirects the QPainter that draws the 3D view's labels into the shot, where the GL
        # image then covers them; the GL widget's own framebuffer has both, so it is laid on top.
        painter = QtGui.QPainter(shot)
        painter.drawImage(QtCore.QRect(self.gl_view.mapTo(self, QtCore.QPoint(0, 0)), self.gl_view.size()),
                          self.gl_view.grabFramebuffer())
        painter.end()
        return shot

    def save_screenshot(self, path: Path) -> bool:
        """Save the whole window (3D view included) as a PNG, its text as of now."""
        # The panel is refreshed at OVERLAY_HZ: without this the shot could show older numbers.
        self._update_overlay(force=True)
        QtWidgets.QApplication.processEvents()
        shot = self.grab_window()
        if not shot.save(str(path)):
            self.screenshot_error = f"could not write the screenshot {path}"
            return False
        return True

    # -- keys ------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """space pause · ← → step (replays) · r record · s screenshot · v reset view · f smoothing ([ ] cutoff,
        - = beta) · m model fit · q/Esc quit."""
        key = event.key()
        e = self.engine
        if key in (QtCore.Qt.Key_Q, QtCore.Qt.Key_Escape):
            self.close()
        elif key == QtCore.Qt.Key_Space and e is not None:
            e.set_paused(not e.paused)
        elif key in (QtCore.Qt.Key_Left, QtCore.Qt.Key_Right) and e is not None and e.can_seek:
            e.set_paused(True)  # stepping is for a held replay: an arrow while playing holds it first
            e.step(1 if key == QtCore.Qt.Key_Right else -1)
        elif key == QtCore.Qt.Key_V:
            self.reset_view()
        elif key == QtCore.Qt.Key_F and e is not None:
            e.smoothing = not e.smoothing
        elif key in SMOOTHING_KEYS and e is not None:
            e.set_filter(e.filter_settings.scaled(*SMOOTHING_KEYS[key]))
            self._say(f"smoothing {e.filter_settings.label()}")
        elif key == QtCore.Qt.Key_M and e is not None:
            e.set_fit(not e.fit)
            self._say("model fit on: the fitted hand, the network's joints faint" if e.fit
                      else "model fit off: the network's joints")
        elif key == QtCore.Qt.Key_S:
            path = Path(f"handpose-live-{stamp()}.png")
            self._say(f"saved {path}" if self.save_screenshot(path) else self.screenshot_error)
        elif key == QtCore.Qt.Key_R and e is not None:
            self._toggle_recording()
        else:
            super().keyPressEvent(event)
            return
        self._update_overlay(force=True)

    def _toggle_recording(self) -> None:
        e = self.engine
        if e.recording is not None:
            name = e.recording
            n = e.stop_recording()
            self._say(f"recorded {n} frames to {name}")
            return
        try:
            e.start_recording(Path(f"handpose-live-{stamp()}.bag"))
            self._say(None)
        except SourceError as err:
            self._say(str(err))

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Stop the engine (a recording in progress is finished and stays playable)."""
        if self.engine is not None:
            self.engine.stop()
        super().closeEvent(event)
