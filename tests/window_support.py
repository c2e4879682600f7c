"""Helpers of the window tests: GL contexts shared across windows, PNG and QImage pixels, colour counts."""
from __future__ import annotations

import numpy as np

from handpose_live.joints import FINGER_COLORS_BGR


def share_gl_contexts() -> None:
    # pyqtgraph compiles its shaders once per process: the windows these tests open one after
    # another can only use them when their GL contexts share resources (as qt_application() says).
    from PyQt5 import QtCore, QtWidgets

    if QtWidgets.QApplication.instance() is None:
        QtCore.QCoreApplication.setAttribute(QtCore.Qt.AA_ShareOpenGLContexts)


share_gl_contexts()


def finger_pixels(rgb: np.ndarray, colors_bgr=FINGER_COLORS_BGR) -> list[int]:
    """Pixels close to each finger's colour."""
    counts = []
    for b, g, r in colors_bgr:
        d = np.abs(rgb.astype(int) - np.array([r, g, b])).max(axis=-1)
        counts.append(int((d < 40).sum()))
    return counts


def read_png(path):
    from PyQt5 import QtGui

    return image_rgb(QtGui.QImage(str(path)))


def image_rgb(image) -> np.ndarray:
    """(H, W, 3) uint8 copy of a QImage or QPixmap."""
    from PyQt5 import QtGui

    if isinstance(image, QtGui.QPixmap):
        image = image.toImage()
    img = image.convertToFormat(QtGui.QImage.Format_RGB888)
    ptr = img.constBits()
    ptr.setsize(img.height() * img.bytesPerLine())
    return np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine())[:, : 3 * img.width()].reshape(
        img.height(), img.width(), 3).copy()
