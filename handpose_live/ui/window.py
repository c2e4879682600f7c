"""The live window: depth image with the 2D skeleton and the crop inset, a rotatable 3D skeleton
on a floor grid, and an overlay with rates, latency and per-stage times.

The window never waits for the camera or the network: the engine's inference thread hands each
result over with `submit()`, and only the newest one is drawn (older ones are skipped, not
queued).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from PyQt5 import QtCore, QtGui, QtWidgets

from handpose_live.runtime.engine import FrameOutput, LiveEngine
from handpose_live.runtime.timing import RateMeter
from handpose_live.sources.base import SourceError
from handpose_live.ui.overlay import (BONE_COLORS_RGBA, BONE_INDEX, FINGER_BONE_INDEX, JOINT_COLORS_RGBA,
                                      depth_to_gray, finger_rgb, overlay_text, to_view)

NEAR_MM, FAR_MM = 150.0, 1200.0
INSET_FRACTION = 0.3  # crop inset width as a fraction of the image width
OVERLAY_HZ = 5.0


def qt_application() -> QtWidgets.QApplication:
    """The process's QApplication (created once)."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["handpose-live"])
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    return app


def _stamp() -> str:
    # Milliseconds too: two recordings started within a second must not collide.
    now = time.time()
    return time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now * 1000) % 1000:03d}"


class LiveWindow(QtWidgets.QMainWindow):
    """Shows the newest FrameOutput of a LiveEngine."""

    _output_ready = QtCore.pyqtSignal()

    def __init__(self, source_name: str, provider: str):
        super().__init__()
        self.source_name = source_name
        self.provider = provider
        self.setWindowTitle(f"handpose-live — {source_name}")
        self.resize(1280, 560)
        self.engine: LiveEngine | None = None
        self.latencies = None
        self.screenshot_error: str | None = None
        self._screenshot: Path | None = None
        self._quit_at_end = False
        self._ended = False
        self._latest: FrameOutput | None = None
        self._pending = False
        self._lock = threading.Lock()
        self._display_rate = RateMeter()
        self._last_latency: float | None = None
        self._truth_error: float | None = None
        self._status: str | None = None
        self._last_overlay = 0.0
        self.frames_shown = 0
        self._build()
        self._output_ready.connect(self._show_latest, QtCore.Qt.QueuedConnection)

    # -- layout ----------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)

        self.image_widget = pg.GraphicsLayoutWidget()
        self.image_widget.setBackground("k")
        self.view = self.image_widget.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.depth_item = pg.ImageItem()
        lut = np.stack([np.arange(256)] * 3, axis=1).astype(np.uint8)
        lut[0] = (28, 32, 52)  # no data: dark blue, so holes are told apart from far surfaces
        self.depth_item.setLookupTable(lut)
        self.view.addItem(self.depth_item)
        self.bone_items = []
        for finger in range(len(FINGER_BONE_INDEX)):
            item = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(finger_rgb(finger), width=3))
            self.view.addItem(item)
            self.bone_items.append(item)
        self.joint_item = pg.ScatterPlotItem(size=7, pen=pg.mkPen("k"), brush=pg.mkBrush(255, 255, 255))
        self.view.addItem(self.joint_item)
        self.centre_item = pg.ScatterPlotItem(size=12, symbol="+", pen=pg.mkPen((255, 80, 80), width=2))
        self.view.addItem(self.centre_item)
        self.inset_item = pg.ImageItem()
        self.inset_item.setZValue(10)
        self.view.addItem(self.inset_item)
        self.inset_border = QtWidgets.QGraphicsRectItem()
        self.inset_border.setPen(pg.mkPen((255, 255, 255), width=1))
        self.inset_border.setZValue(11)
        self.view.addItem(self.inset_border)
        layout.addWidget(self.image_widget, 3)

        self.gl_view = gl.GLViewWidget()
        self.gl_view.setBackgroundColor((20, 20, 28))
        grid = gl.GLGridItem()
        grid.setSize(400, 400)
        grid.setSpacing(25, 25)
        grid.translate(0, 0, -110)
        self.gl_view.addItem(grid)
        self.gl_bones = gl.GLLinePlotItem(mode="lines", width=4, antialias=True)
        self.gl_view.addItem(self.gl_bones)
        self.gl_joints = gl.GLScatterPlotItem(size=10, pxMode=True)
        self.gl_view.addItem(self.gl_joints)
        self.reset_view()
        layout.addWidget(self.gl_view, 2)
        self.setCentralWidget(central)

        self.overlay = QtWidgets.QLabel(self.image_widget)
        self.overlay.setStyleSheet("QLabel { color: #e8e8e8; background: rgba(0, 0, 0, 150); padding: 4px; }")
        font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont)
        font.setPointSize(9)
        self.overlay.setFont(font)
        self.overlay.move(6, 6)
        self._update_overlay(force=True)

    def reset_view(self) -> None:
        """The 3D view as seen from the camera, slightly from above."""
        self.gl_view.setCameraPosition(pos=QtGui.QVector3D(0, 0, 0), distance=320, elevation=15, azimuth=-90)

    # -- engine hook-up --------------------------------------------------------------------------
    def attach(self, engine: LiveEngine, latencies, quit_at_end: bool = False, screenshot: Path | None = None) -> None:
        """Show `engine`'s frames; at its end quit (after saving `screenshot`) or say it ended."""
        self.engine = engine
        self.latencies = latencies
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
        self._last_latency = (t - out.t_capture) * 1000.0
        if self.latencies is not None:
            self.latencies.add(out, t)
        self.frames_shown += 1
        self._update_overlay()

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self, out: FrameOutput) -> None:
        frame = out.frame
        w, h = frame.intrinsics.width, frame.intrinsics.height
        self.depth_item.setImage(depth_to_gray(frame.depth_mm, NEAR_MM, FAR_MM), autoLevels=False, levels=(0, 255))
        found = out.result.hand_found
        if found:
            for item, index in zip(self.bone_items, FINGER_BONE_INDEX):
                pts = out.joints_px[index]
                item.setData(pts[:, 0], pts[:, 1])
            self.joint_item.setData(pos=out.joints_px)
            self.centre_item.setData(pos=frame.intrinsics.project(out.result.center_mm[None])[:, :2])
            crop = out.result.crop
            side = INSET_FRACTION * w
            # Crop values are normalised depth in [−1, 1] (+1 = far or missing): near bright.
            self.inset_item.setImage(((1.0 - crop) * 127.5).astype(np.uint8), autoLevels=False, levels=(0, 255))
            self.inset_item.setRect(QtCore.QRectF(w - side - 4, 4, side, side))
            self.inset_border.setRect(QtCore.QRectF(w - side - 4, 4, side, side))
            self.inset_item.setVisible(True)
            self.inset_border.setVisible(True)
            pts3 = to_view(out.joints_mm, out.joints_mm[9])
            self.gl_bones.setData(pos=pts3[BONE_INDEX], color=BONE_COLORS_RGBA)
            self.gl_joints.setData(pos=pts3, color=JOINT_COLORS_RGBA)
        else:
            for item in self.bone_items:
                item.setData([], [])
            self.joint_item.setData(pos=np.zeros((0, 2)))
            self.centre_item.setData(pos=np.zeros((0, 2)))
            self.inset_item.setVisible(False)
            self.inset_border.setVisible(False)
            self.gl_bones.setData(pos=np.zeros((0, 3)))
            self.gl_joints.setData(pos=np.zeros((0, 3)))
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
        text = overlay_text(
            source=self.source_name, provider=self.provider,
            fps=(e.capture_rate.rate(now), e.inference_rate.rate(now), self._display_rate.rate(now)) if e else (0, 0, 0),
            latency_ms=self._last_latency, stages_ms=e.stages.median() if e else {},
            dropped=e.dropped if e else 0, smoothing=e.smoothing if e else True, paused=bool(e and e.paused),
            recording=e.recording.name if e and e.recording else None, truth_error_mm=self._truth_error,
            status=self._status)
        self.overlay.setText(text)
        self.overlay.adjustSize()

    # -- end of run ------------------------------------------------------------------------------
    def _check_engine(self) -> None:
        if self.engine is None or self._ended or not self.engine.finished:
            return
        self._ended = True
        self._show_latest()
        if self.engine.error:
            self._status = f"stopped: {self.engine.error}"
            self._update_overlay(force=True)
            self.close()
            return
        if self._quit_at_end:
            if self._screenshot is not None:
                self.save_screenshot(self._screenshot)
            self.close()
            return
        self._status = f"end of {self.source_name} (q to quit)"
        self._update_overlay(force=True)

    def save_screenshot(self, path: Path) -> bool:
        """Save the whole window (3D view included) as a PNG."""
        QtWidgets.QApplication.processEvents()
        if not self.grab().save(str(path)):
            self.screenshot_error = f"could not write the screenshot {path}"
            return False
        return True

    # -- keys ------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """space pause · r record · s screenshot · v reset view · f smoothing · q/Esc quit."""
        key = event.key()
        e = self.engine
        if key in (QtCore.Qt.Key_Q, QtCore.Qt.Key_Escape):
            self.close()
        elif key == QtCore.Qt.Key_Space and e is not None:
            e.set_paused(not e.paused)
        elif key == QtCore.Qt.Key_V:
            self.reset_view()
        elif key == QtCore.Qt.Key_F and e is not None:
            e.smoothing = not e.smoothing
        elif key == QtCore.Qt.Key_S:
            path = Path(f"handpose-live-{_stamp()}.png")
            self._status = f"saved {path}" if self.save_screenshot(path) else self.screenshot_error
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
            self._status = f"recorded {n} frames to {name}"
            return
        try:
            e.start_recording(Path(f"handpose-live-{_stamp()}.bag"))
            self._status = None
        except SourceError as err:
            self._status = str(err)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Stop the engine (a recording in progress is finished and stays playable)."""
        if self.engine is not None:
            self.engine.stop()
        super().closeEvent(event)
