"""The 3D view's scenery, in the camera frame: a floor grid, the camera's labelled axes (mm) and a
frustum at the camera's position, so the skeleton is seen where it is relative to the camera."""
from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl
from PyQt5 import QtGui

from handpose_live.camera import Intrinsics
from handpose_live.ui.overlay import to_view

AXIS_MM = 100.0  # length of the x and y axes
Z_AXIS_MM = 600.0  # z reaches past the hand (the synthetic hand is 300-550 mm away)
Z_TICK_MM = 100.0
FRUSTUM_MM = 50.0  # depth of the frustum's image rectangle
FLOOR_Y_MM = 200.0  # a reference floor below the camera (y is down)
AXIS_RGBA = (0.85, 0.85, 0.85, 1.0)  # neutral: every strong colour already names a finger
FRUSTUM_RGBA = (0.55, 0.75, 0.95, 1.0)
LABEL_RGB = (220, 220, 220)
# Until the first frame says otherwise: a 640×480 camera of about 60° horizontal field of view.
NOMINAL_INTRINSICS = Intrinsics(fx=550.0, fy=550.0, cx=319.5, cy=239.5, width=640, height=480)
# Default view: from behind the camera, above and to the right, turning about a point between
# the camera and the hand, so that both are in sight and the hand is seen from about the camera's side.
VIEW_CENTRE_MM = (0.0, 20.0, 230.0)
VIEW = {"distance": 540.0, "elevation": 20.0, "azimuth": -45.0}


def axes_segments() -> np.ndarray:
    """(N, 3) camera-frame segment endpoints: the x, y, z axes from the origin and the ticks on z."""
    ends = [(AXIS_MM, 0, 0), (0, AXIS_MM, 0), (0, 0, Z_AXIS_MM)]
    segs = [p for end in ends for p in ((0, 0, 0), end)]
    for z in np.arange(Z_TICK_MM, Z_AXIS_MM, Z_TICK_MM):
        segs += [(-8.0, 0.0, z), (8.0, 0.0, z)]
    return np.array(segs, dtype=np.float64)


def frustum_segments(intrinsics: Intrinsics, depth_mm: float = FRUSTUM_MM) -> np.ndarray:
    """(16, 3) camera-frame segment endpoints: apex→corner and the image rectangle at `depth_mm`."""
    w, h = intrinsics.width - 1, intrinsics.height - 1
    corners = intrinsics.backproject(np.array([(0, 0, depth_mm), (w, 0, depth_mm), (w, h, depth_mm),
                                               (0, h, depth_mm)], dtype=np.float64))
    segs = []
    for k in range(4):
        segs += [np.zeros(3), corners[k], corners[k], corners[(k + 1) % 4]]
    return np.array(segs)


def _label(text: str, at_mm: tuple[float, float, float], size: int = 9) -> gl.GLTextItem:
    font = QtGui.QFont()
    font.setPointSize(size)
    return gl.GLTextItem(pos=to_view(np.array(at_mm)), text=text, color=LABEL_RGB, font=font)


class CameraScene:
    """Adds the scenery to a GLViewWidget; the frustum follows the camera's intrinsics."""

    def __init__(self, view: gl.GLViewWidget):
        self.view = view
        grid = gl.GLGridItem()
        grid.setSize(600, 800)
        grid.setSpacing(50, 50)
        grid.translate(*to_view(np.array([0.0, FLOOR_Y_MM, 400.0])))
        view.addItem(grid)
        self.axes = gl.GLLinePlotItem(pos=to_view(axes_segments()), mode="lines", width=2, color=AXIS_RGBA,
                                      antialias=True)
        view.addItem(self.axes)
        self.frustum = gl.GLLinePlotItem(mode="lines", width=2, color=FRUSTUM_RGBA, antialias=True)
        view.addItem(self.frustum)
        self.labels = [_label("x right", (AXIS_MM + 6, 0, 0)), _label("y down", (0, AXIS_MM + 12, 0)),
                       _label("z forward", (6, 0, Z_AXIS_MM + 10)), _label("camera", (-40, -45, 0))]
        # Near the camera, where a hand (300 mm away or more) does not cover them.
        self.labels += [_label(f"{z:.0f} mm", (8, 22, z), size=8) for z in (100.0, 200.0)]
        for item in self.labels:
            view.addItem(item)
        self.intrinsics: Intrinsics | None = None
        self.set_intrinsics(NOMINAL_INTRINSICS)
        self.reset_view()

    def set_intrinsics(self, intrinsics: Intrinsics) -> None:
        """Shape the frustum after the camera's field of view (only redrawn when it changes)."""
        if intrinsics != self.intrinsics:
            self.intrinsics = intrinsics
            self.frustum.setData(pos=to_view(frustum_segments(intrinsics)))

    def reset_view(self) -> None:
        """The default view: camera and hand both in sight."""
        self.view.setCameraPosition(pos=QtGui.QVector3D(*to_view(np.array(VIEW_CENTRE_MM))), **VIEW)

    def to_pixels(self, points_mm: np.ndarray) -> np.ndarray:
        """(N, 2) widget pixels where camera-frame points appear in the view as it is now."""
        vp = self.view.getViewport()
        mvp = self.view.projectionMatrix(vp, vp) * self.view.viewMatrix()
        out = []
        for p in to_view(np.atleast_2d(points_mm)):
            q = mvp.map(QtGui.QVector3D(*p))  # normalised device coordinates
            out.append(((q.x() + 1) / 2 * vp[2], (1 - q.y()) / 2 * vp[3]))
        return np.array(out) / self.view.devicePixelRatioF()
