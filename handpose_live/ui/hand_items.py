"""The hand as the window draws it: the skeleton shown (the fitted one while the model fit is on)
in bold finger colours, the network's own joints faint beside it, and in the 3D view the fitted
model's round cones as translucent discs of their radius along each finger bone."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl

from handpose_live.camera import Intrinsics
from handpose_live.fit.model import FINGER_CONES
from handpose_live.hand.shape import HandShape, tip_sphere_centre
from handpose_live.runtime.engine import FrameOutput
from handpose_live.ui.overlay import (
    BONE_COLORS_RGBA,
    BONE_INDEX,
    FINGER_BONE_INDEX,
    JOINT_COLORS_RGBA,
    finger_rgb,
    to_view,
)

NETWORK_RGBA = (0.85, 0.85, 0.85, 0.55)  # faint and neutral: the fitted skeleton's colours stay the eye-catcher
NETWORK_PEN = (200, 200, 200, 170)
MODEL_ALPHA = 0.25  # the model's discs show the hand's volume without hiding the bones inside
SAMPLES_PER_CONE = 4  # discs along a bone, about a radius apart: the cones read as one surface
_EMPTY3 = np.zeros((0, 3))


def network_shown(out: FrameOutput) -> np.ndarray | None:
    """The network's joints (mm) worth showing beside the skeleton: only when the fit moved them."""
    r = out.result
    if not r.hand_found or r.confidence is None or r.network_joints_mm is None:
        return None
    return r.network_joints_mm


def model_discs(joints_mm: np.ndarray, shape: HandShape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fitted finger cones as discs: centres (N, 3) camera mm, diameters (N,) mm, RGBA (N, 4).

    Each of the 15 cones (FINGER_CONES: joint a → joint b) gets SAMPLES_PER_CONE discs from a,
    the radius interpolated between the joints' radii; every fingertip gets its own, one radius
    inside the tip joint (the finger's surface ends at the tip joint)."""
    radii = np.asarray(shape.joint_radii, np.float64)
    a, b = FINGER_CONES[:, 0], FINGER_CONES[:, 1]
    finger = (FINGER_CONES[:, 2] - 1) // 3
    ends = joints_mm[b].copy()
    tips = b[2::3]  # each finger's last cone ends at its tip
    ends[2::3] = [tip_sphere_centre(joints_mm[d], joints_mm[t], radii[t]) for d, t in zip(a[2::3], tips)]
    t = np.arange(SAMPLES_PER_CONE) / SAMPLES_PER_CONE
    centres = joints_mm[a, None] + t[None, :, None] * (ends - joints_mm[a])[:, None]
    r = radii[a, None] + t[None] * (radii[b] - radii[a])[:, None]
    colours = np.array([(*np.array(finger_rgb(int(f))) / 255.0, MODEL_ALPHA) for f in finger])
    return (np.concatenate([centres.reshape(-1, 3), ends[2::3]]),
            2.0 * np.concatenate([r.ravel(), radii[tips]]),
            np.concatenate([np.repeat(colours, SAMPLES_PER_CONE, axis=0), colours[2::3]]))


class Hand2D:
    """The skeleton on the depth image (one line item per finger), the network's joints as faint
    rings and the crop centre as a red cross."""

    def __init__(self, view: pg.ViewBox):
        self.bones = []
        for finger in range(len(FINGER_BONE_INDEX)):
            item = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(finger_rgb(finger), width=3))
            view.addItem(item)
            self.bones.append(item)
        self.network = pg.ScatterPlotItem(size=6, pen=pg.mkPen(NETWORK_PEN, width=1), brush=None)
        view.addItem(self.network)
        self.joints = pg.ScatterPlotItem(size=7, pen=pg.mkPen("k"), brush=pg.mkBrush(255, 255, 255))
        view.addItem(self.joints)
        self.centre = pg.ScatterPlotItem(size=12, symbol="+", pen=pg.mkPen((255, 80, 80), width=2))
        view.addItem(self.centre)

    def show(self, out: FrameOutput, intrinsics: Intrinsics) -> None:
        """Draw the frame's hand (or nothing, without one)."""
        if not out.result.hand_found:
            for item in self.bones:
                item.setData([], [])
            for item in (self.network, self.joints, self.centre):
                item.setData(pos=np.zeros((0, 2)))
            return
        for item, index in zip(self.bones, FINGER_BONE_INDEX):
            pts = out.joints_px[index]
            item.setData(pts[:, 0], pts[:, 1])
        network = network_shown(out)
        self.network.setData(pos=np.zeros((0, 2)) if network is None else intrinsics.project(network)[:, :2])
        self.joints.setData(pos=out.joints_px)
        self.centre.setData(pos=intrinsics.project(out.result.center_mm[None])[:, :2])


class Hand3D:
    """The skeleton in the 3D view, the network's skeleton faint beside it and the fitted model's cones."""

    def __init__(self, view: gl.GLViewWidget):
        self.bones = gl.GLLinePlotItem(mode="lines", width=4, antialias=True)
        self.joints = gl.GLScatterPlotItem(size=10, pxMode=True)
        self.network_bones = gl.GLLinePlotItem(mode="lines", width=1.5, color=NETWORK_RGBA, antialias=True,
                                               glOptions="translucent")
        self.network_joints = gl.GLScatterPlotItem(size=5, pxMode=True, color=NETWORK_RGBA, glOptions="translucent")
        # Added last, so drawn last: the bones are already in the depth buffer and show through.
        self.model = gl.GLScatterPlotItem(pxMode=False, glOptions="translucent")
        for item in (self.bones, self.joints, self.network_bones, self.network_joints, self.model):
            item.setData(pos=_EMPTY3)
            view.addItem(item)

    def show(self, out: FrameOutput) -> None:
        """Draw the frame's hand where it is in the camera's frame (or nothing, without one)."""
        if not out.result.hand_found:
            for item in (self.bones, self.joints, self.network_bones, self.network_joints, self.model):
                item.setData(pos=_EMPTY3)
            return
        pts = to_view(out.joints_mm)
        self.bones.setData(pos=pts[BONE_INDEX], color=BONE_COLORS_RGBA)
        self.joints.setData(pos=pts, color=JOINT_COLORS_RGBA)
        network = network_shown(out)
        if network is None:
            self.network_bones.setData(pos=_EMPTY3)
            self.network_joints.setData(pos=_EMPTY3)
        else:
            net = to_view(network)
            self.network_bones.setData(pos=net[BONE_INDEX])
            self.network_joints.setData(pos=net)
        if out.result.shape is None or network is None:
            self.model.setData(pos=_EMPTY3)
            return
        # Around the joints shown (smoothed when smoothing is on), so the model stays on its skeleton.
        centres, diameters, colours = model_discs(out.joints_mm, out.result.shape)
        self.model.setData(pos=to_view(centres), size=diameters, color=colours)
