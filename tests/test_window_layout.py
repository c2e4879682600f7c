"""The window's layout under Xvfb (xcb), on frames handed to it: nothing but the skeleton over the depth
image, the crop apart from the key help, a finger legend, labelled camera axes and a frustum in the
3D view, a window that fits small screens, the recent median latency, and the fit's panel line."""
from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import open_hand_facing_camera
from window_support import finger_pixels, image_rgb, read_png, share_gl_contexts  # noqa: F401 - GL set-up at import

from handpose_live.camera import Intrinsics
from handpose_live.joints import FINGER_COLORS_BGR, WRIST_COLOR_BGR

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (make test runs Xvfb)")


VGA = Intrinsics(592.0, 592.0, 319.5, 239.5, 640, 480)
FLAT_MM = 600.0  # depth_to_gray(600 mm) = 146: a flat wall at 600 mm shows as one gray everywhere
FLAT_GRAY = 146


def _output(joints_mm: np.ndarray, depth_mm: np.ndarray | None = None, latency_s: float = 0.010,
            intrinsics: Intrinsics = VGA):
    """A FrameOutput of a found hand with these joints, captured `latency_s` ago."""
    import time

    from handpose_live.runtime.engine import FrameOutput
    from handpose_live.types import DepthFrame, HandPoseResult

    if depth_mm is None:
        depth_mm = np.full((intrinsics.height, intrinsics.width), FLAT_MM, np.float32)
    px = intrinsics.project(joints_mm)[:, :2]
    crop = np.linspace(-1.0, 1.0, 96 * 96).reshape(96, 96)
    result = HandPoseResult(True, joints_mm, px, joints_mm.mean(axis=0), crop, {"infer": 5.0}, "CPU")
    t = time.perf_counter() - latency_s
    return FrameOutput(DepthFrame(depth_mm, intrinsics, 0.0, 0), result, joints_mm, px, None, t, t, t)


def _fitted(out, left: bool = False):
    """`out` as the model fit gives it: the network's joints 15 mm aside, a shape, the fit's figures."""
    from dataclasses import replace

    from handpose_live.hand.shape import HandShape

    result = replace(out.result, network_joints_mm=out.joints_mm + [15.0, 0.0, 0.0],
                     shape=replace(HandShape.default(), left=left), confidence=0.87, fit_error_mm=0.84,
                     silhouette_error_px=1.23, timings_ms={"infer": 5.0, "fit": 4.5})
    return replace(out, result=result)


def _corner_hand() -> np.ndarray:
    """Joints that all project to one pixel in the image's bottom-right corner: (620, 460)."""
    return VGA.backproject(np.array([[620.0, 460.0, FLAT_MM]] * 21))


def _show(qtbot, window, out) -> None:
    """Hand `out` to the window and wait until it is drawn."""
    from PyQt5 import QtWidgets

    shown = window.frames_shown
    window.submit(out)
    qtbot.waitUntil(lambda: window.frames_shown > shown, timeout=5000)
    QtWidgets.QApplication.processEvents()


def _rect_in(widget, window):
    """The widget's rectangle in window coordinates."""
    from PyQt5 import QtCore

    return QtCore.QRect(widget.mapTo(window, QtCore.QPoint(0, 0)), widget.size())


@pytest.fixture
def window(qtbot):
    """A shown LiveWindow without an engine: tests hand it frames themselves."""
    from handpose_live.ui.window import LiveWindow

    w = LiveWindow("synthetic camera (640x480 @ 30 fps)", "CPU")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _sizes(window):
    from PyQt5 import QtCore

    return [window.size(), QtCore.QSize(1024 - 16, 600 - 48), window.minimumSizeHint(), QtCore.QSize(1700, 950)]


def test_key_help_never_overlaps_the_crop_view(qtbot, window):
    from PyQt5 import QtWidgets

    _show(qtbot, window, _output(_corner_hand()))
    assert window.crop_view.pixmap() is not None and not window.crop_view.pixmap().isNull()
    for size in _sizes(window):
        window.resize(size)
        QtWidgets.QApplication.processEvents()
        crop, keys = _rect_in(window.crop_view, window), _rect_in(window.help_label, window)
        assert window.crop_view.isVisible() and window.help_label.isVisible()
        assert not crop.intersects(keys), (size, crop, keys)
        # Both whole inside the window, and the key help not cut short.
        assert window.rect().contains(crop) and window.rect().contains(keys), (size, crop, keys)
        assert window.help_label.width() >= window.help_label.sizeHint().width()
        assert "space pause" in window.help_label.text() and "m model fit" in window.help_label.text()


def test_nothing_but_the_skeleton_covers_the_depth_image(qtbot, window):
    from PyQt5 import QtWidgets

    # A flat wall at 600 mm and a hand whose joints all sit in the bottom-right corner: every pixel
    # of the image but that corner must show the wall's gray, the top fifth (where a raised
    # fingertip is) included.
    _show(qtbot, window, _output(_corner_hand()))
    for size in _sizes(window)[:2]:
        window.resize(size)
        QtWidgets.QApplication.processEvents()
        r = window.image_rect()
        assert r.width() >= 300 and abs(r.width() / r.height() - 4 / 3) < 0.02, r
        # No other widget of the window lies over the image.
        for child in window.findChildren(QtWidgets.QWidget):
            inside = child is window.image_widget or window.image_widget.isAncestorOf(child)
            if child.isVisible() and not inside and not child.isAncestorOf(window.image_widget):
                assert not _rect_in(child, window).intersects(r), (child, _rect_in(child, window), r)
        rgb = image_rgb(window.grab())[r.top() + 2: r.bottom() - 1, r.left() + 2: r.right() - 1].astype(int)
        ys, xs = np.mgrid[0: rgb.shape[0], 0: rgb.shape[1]]
        corner = (xs > rgb.shape[1] * 0.85) & (ys > rgb.shape[0] * 0.85)
        off = np.abs(rgb - FLAT_GRAY).max(axis=-1) > 4
        covered = off & ~corner
        assert not covered.any(), f"{covered.sum()} covered pixels, first at {np.argwhere(covered)[:3]}"
        assert (off & corner).any()  # the skeleton is drawn (in the corner)


def test_legend_names_the_finger_colours_beside_the_image(qtbot, window):
    from PyQt5 import QtWidgets

    _show(qtbot, window, _output(_corner_hand()))
    names = [label.text() for label in window.legend.findChildren(QtWidgets.QLabel)]
    assert names == ["thumb", "index", "middle", "ring", "little", "wrist"]
    legend = _rect_in(window.legend, window)
    assert window.legend.isVisible() and window.rect().contains(legend)
    assert not legend.intersects(window.image_rect())
    counts = finger_pixels(image_rgb(window.legend.grab()), FINGER_COLORS_BGR + (WRIST_COLOR_BGR,))
    assert all(n >= 40 for n in counts), counts
    # Each swatch is on its name's row, in the name's order.
    swatch_rows = [_rect_in(f, window).center().y() for f in window.legend.findChildren(QtWidgets.QFrame)
                   if not isinstance(f, QtWidgets.QLabel)]
    label_rows = [_rect_in(lb, window).center().y() for lb in window.legend.findChildren(QtWidgets.QLabel)]
    assert len(swatch_rows) == 6 and all(abs(a - b) <= 3 for a, b in zip(swatch_rows, label_rows))


def test_3d_view_has_labelled_camera_axes_and_a_frustum_at_the_camera(qtbot, window, tmp_path):
    from PyQt5 import QtCore, QtWidgets

    from handpose_live.ui.overlay import CAMERA_TO_VIEW

    joints, _ = open_hand_facing_camera(450.0)
    _show(qtbot, window, _output(joints, np.full((480, 640), 800.0, np.float32)))
    scene = window.scene
    # Axes in the camera's frame: x right, y down (view Z is up), z forward (view Y), from the origin.
    axes = np.asarray(scene.axes.pos)
    assert np.allclose(axes[0:2], [[0, 0, 0], [100, 0, 0]]) and np.allclose(axes[2:4], [[0, 0, 0], [0, 0, -100]])
    assert np.allclose(axes[4:6], [[0, 0, 0], [0, 600, 0]])
    texts = [t.text for t in scene.labels]
    assert any(t.startswith("x right") for t in texts) and any(t.startswith("y down") for t in texts)
    assert any(t.startswith("z forward") for t in texts) and "camera" in texts
    assert {"100 mm", "200 mm"} <= set(texts)  # distances along z, in mm
    # The frustum: apex at the origin, its far rectangle on the rays through the image corners.
    seg = np.asarray(scene.frustum.pos) @ CAMERA_TO_VIEW  # back to the camera frame
    assert np.allclose(seg[0::4], 0.0)
    corners = VGA.project(seg[1::4])[:, :2]
    assert np.allclose(corners, [[0, 0], [639, 0], [639, 479], [0, 479]], atol=1e-3)  # float32 in GL items
    # The hand is drawn where it is relative to the camera, not re-centred.
    from handpose_live.ui.overlay import to_view

    assert np.allclose(window.hand3d.joints.pos, to_view(joints))
    # In the default view ('v' after turning it) both the camera marker and the whole hand are on
    # screen, and a saved screenshot shows them with the labels (drawn with QPainter, which a
    # plain grab() of the window loses under the GL image).
    window.gl_view.orbit(120, 40)
    qtbot.keyClick(window, QtCore.Qt.Key_V)
    QtWidgets.QApplication.processEvents()
    assert window.save_screenshot(tmp_path / "shot.png")
    g = _rect_in(window.gl_view, window)
    rgb = read_png(tmp_path / "shot.png")[g.top(): g.bottom() + 1, g.left(): g.right() + 1]
    h, w, _ = rgb.shape
    (cu, cv), = scene.to_pixels(np.zeros(3))
    hand = scene.to_pixels(joints)
    assert 0.05 * w < cu < 0.95 * w and 0.05 * h < cv < 0.95 * h, (cu, cv)
    assert ((hand > 5) & (hand < [w - 5, h - 5])).all(), hand
    frustum_rgb = np.array(scene.frustum.color[:3]) * 255
    patch = rgb[max(int(cv) - 30, 0): int(cv) + 30, max(int(cu) - 30, 0): int(cu) + 30].astype(int)
    assert (np.abs(patch - frustum_rgb).max(axis=-1) < 40).sum() >= 20
    assert sum(n >= 3 for n in finger_pixels(rgb)) == 5
    for item in scene.labels:  # every label whole in the view
        from PyQt5 import QtGui

        (u, v), = scene.to_pixels(np.asarray(item.pos) @ CAMERA_TO_VIEW)
        width = QtGui.QFontMetrics(item.font).horizontalAdvance(item.text)
        assert 0 <= u and u + width <= w and 12 <= v <= h, (item.text, u, v, width, w, h)
    label = next(t for t in scene.labels if t.text == "camera")
    (lu, lv), = scene.to_pixels(np.asarray(label.pos) @ CAMERA_TO_VIEW)
    text = rgb[int(lv) - 12: int(lv) + 3, int(lu): int(lu) + 50].astype(int)
    assert (text > 150).all(axis=-1).sum() >= 10


@pytest.mark.parametrize("available", [(0, 0, 1024, 600), (0, 0, 1366, 768), (1920, 0, 1024, 576)])
def test_window_fits_a_small_screen_and_stays_resizable(qtbot, monkeypatch, available):
    from PyQt5 import QtCore

    from handpose_live.ui import window as window_module
    from handpose_live.ui.widgets import FRAME_ALLOWANCE

    screen = QtCore.QRect(*available)
    monkeypatch.setattr(window_module, "available_geometry", lambda widget: screen)
    w = window_module.LiveWindow("synthetic", "CPU")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    g = w.geometry()
    # With its window-manager frame (title bar, borders) it stays on the screen's usable area.
    border = FRAME_ALLOWANCE.width() // 2
    frame = g.adjusted(-border, -(FRAME_ALLOWANCE.height() - border), border, border)
    assert screen.contains(frame), (frame, screen)
    assert g.width() >= 0.9 * (screen.width() - FRAME_ALLOWANCE.width()) or g.width() >= 1200
    # Resizable both ways, and the smallest layout still fits the smallest screen.
    assert w.minimumSizeHint().boundedTo(QtCore.QSize(1024, 600) - FRAME_ALLOWANCE) == w.minimumSizeHint()
    w.resize(g.width() + 200, g.height() + 100)
    qtbot.waitUntil(lambda: w.width() == g.width() + 200 and w.height() == g.height() + 100, timeout=3000)
    w.resize(w.minimumSizeHint())
    qtbot.waitUntil(lambda: w.size() == w.minimumSizeHint(), timeout=3000)


def test_latency_shown_is_a_recent_median_not_one_late_frame(qtbot, window, tmp_path):
    import re
    import time

    def shown_after_screenshot() -> float:
        assert window.save_screenshot(tmp_path / "shot.png")
        return float(re.search(r"latency\s+([\d.]+) ms", window.overlay.text()).group(1))

    for _ in range(12):
        _show(qtbot, window, _output(_corner_hand(), latency_s=0.010))
    time.sleep(0.25)  # past the panel's refresh interval: the next frame updates the text
    _show(qtbot, window, _output(_corner_hand(), latency_s=0.500))  # one frame held up (GC, a busy core)
    assert 10.0 <= shown_after_screenshot() < 60.0, window.overlay.text()
    # A screenshot shows the numbers of the moment it is taken, not those of the last refresh.
    for _ in range(30):
        _show(qtbot, window, _output(_corner_hand(), latency_s=0.030))
    assert 30.0 <= shown_after_screenshot() < 36.0, window.overlay.text()


def test_panel_gives_the_fit_and_the_3d_view_the_model_beside_the_network(qtbot, window):
    import time

    from handpose_live.ui.hand_items import model_discs
    from handpose_live.ui.overlay import to_view

    joints, _ = open_hand_facing_camera(450.0)
    plain = _output(joints, np.full((480, 640), 800.0, np.float32))
    _show(qtbot, window, plain)
    hand = window.hand3d
    assert "model fit off" in window.overlay.text() and "confidence" not in window.overlay.text()
    assert len(hand.model.pos) == 0 and len(hand.network_joints.pos) == 0 and len(hand.network_bones.pos) == 0
    for left, side in ((False, "right"), (True, "left")):
        time.sleep(0.25)  # past the panel's refresh interval
        fitted = _fitted(plain, left)
        _show(qtbot, window, fitted)
        lines = window.overlay.text().splitlines()
        assert f"model fit on · {side} hand · confidence 0.87 · fit 4.5 ms · average hand · error 0.8 mm · silhouette 1.2 px" in lines
        assert "infer 5.0 ms" in lines  # the fit's time is on its own line, not among the network's stages
    # The network's joints faint beside the fitted skeleton, in 3D and as rings on the depth image.
    network = fitted.result.network_joints_mm
    np.testing.assert_allclose(hand.network_joints.pos, to_view(network), atol=1e-3)
    np.testing.assert_allclose(window.hand2d.network.getData(), VGA.project(network)[:, :2].T, atol=1e-3)
    np.testing.assert_allclose(hand.joints.pos, to_view(joints), atol=1e-3)
    # The model: discs along the 15 finger cones, as wide as the fitted radii, on the skeleton shown.
    centres, diameters, colours = model_discs(joints, fitted.result.shape)
    radii = fitted.result.shape.joint_radii
    assert len(centres) == 15 * 4 + 5 and np.allclose(centres[0], joints[1]) and diameters[0] == 2 * radii[1]
    np.testing.assert_allclose(hand.model.pos, to_view(centres), atol=1e-3)
    np.testing.assert_allclose(hand.model.size, diameters, rtol=1e-6)
    assert np.all(colours[:, 3] < 0.5)  # translucent: the bones inside stay visible
    # ... and drawn: the discs cover part of the view that the skeletons alone leave empty.
    def lit() -> int:
        rgb = image_rgb(window.gl_view.grabFramebuffer()).astype(int)
        return int((np.abs(rgb - [20, 20, 28]).max(axis=-1) > 20).sum())

    with_model = lit()
    hand.model.setVisible(False)
    without = lit()
    hand.model.setVisible(True)
    assert with_model - without > 300, (with_model, without)
    assert sum(n >= 3 for n in finger_pixels(image_rgb(window.gl_view.grabFramebuffer()))) == 5
