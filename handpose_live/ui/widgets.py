"""Small widgets of the live window's panel (crop view, finger legend), its font, file names and
its screen fitting."""
from __future__ import annotations

import time

import numpy as np
from PyQt5 import QtCore, QtGui, QtWidgets

from handpose_live.ui.overlay import crop_to_gray, legend_entries

CROP_SIDE = 96  # the network input is 96×96: shown at its true size, one screen pixel per crop pixel
# What a window manager adds around the client area (title bar, borders): the window is only
# known to fit once its frame fits too, and the frame is unknown before the window is shown.
FRAME_ALLOWANCE = QtCore.QSize(16, 48)


def stamp() -> str:
    """The local time for a file name, e.g. 20250101-120000-123."""
    # Milliseconds too: two recordings started within a second must not collide.
    now = time.time()
    return time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now * 1000) % 1000:03d}"


def mono_font() -> QtGui.QFont:
    """The panel's and key help's font: the system's fixed-width one at 9 pt."""
    font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont)
    font.setPointSize(9)
    return font


def available_geometry(widget: QtWidgets.QWidget) -> QtCore.QRect:
    """The usable area (without task bars) of the screen the widget is on."""
    screen = widget.screen() or QtWidgets.QApplication.primaryScreen()
    return screen.availableGeometry()


def fit_to_screen(preferred: QtCore.QSize, minimum: QtCore.QSize, available: QtCore.QRect) -> QtCore.QRect:
    """Client geometry of `preferred` size, shrunk so that it fits `available` with its frame, centred."""
    size = preferred.boundedTo(available.size() - FRAME_ALLOWANCE).expandedTo(minimum)
    frame = QtCore.QRect(QtCore.QPoint(0, 0), size + FRAME_ALLOWANCE)
    frame.moveCenter(available.center())
    # Never past the top-left corner: a title bar off screen cannot be dragged back.
    frame.moveTopLeft(QtCore.QPoint(max(frame.left(), available.left()), max(frame.top(), available.top())))
    border = FRAME_ALLOWANCE.width() // 2
    return QtCore.QRect(frame.left() + border, frame.top() + FRAME_ALLOWANCE.height() - border, size.width(),
                        size.height())


class CropView(QtWidgets.QLabel):
    """The network's input crop (near bright), blank while no hand is found."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setFixedSize(CROP_SIDE + 2, CROP_SIDE + 2)
        self.setStyleSheet("QLabel { background: black; border: 1px solid #c8c8c8; }")
        self.setToolTip(f"network input, {CROP_SIDE}×{CROP_SIDE}")

    def show_crop(self, crop: np.ndarray | None) -> None:
        """Show `crop` (normalised depth, any square size), or clear the view with None."""
        if crop is None:
            self.clear()
            return
        g = crop_to_gray(crop)
        image = QtGui.QImage(g.data, g.shape[1], g.shape[0], g.strides[0], QtGui.QImage.Format_Grayscale8)
        # scaled() copies, so the pixmap does not outlive the numpy buffer's lifetime.
        self.setPixmap(QtGui.QPixmap.fromImage(image.scaled(CROP_SIDE, CROP_SIDE)))


class FingerLegend(QtWidgets.QWidget):
    """Names the skeleton's colours: a bone-like swatch and the name of each finger and the wrist."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        self.names: list[str] = []
        for row, (name, (r, g, b)) in enumerate(legend_entries()):
            swatch = QtWidgets.QFrame()
            swatch.setFixedSize(22, 6)
            swatch.setStyleSheet(f"QFrame {{ background: rgb({r}, {g}, {b}); border: none; }}")
            grid.addWidget(swatch, row, 0, QtCore.Qt.AlignVCenter)
            grid.addWidget(QtWidgets.QLabel(name), row, 1)
            self.names.append(name)
        self.setSizePolicy(QtWidgets.QSizePolicy.Fixed, QtWidgets.QSizePolicy.Fixed)


class DepthBar(QtWidgets.QWidget):
    """The depth image's scale: near (bright) at the top to far (dark) at the bottom, in cm, with
    the range where the hand is tracked best bracketed and the no-data colour at the foot."""

    def __init__(self, near_mm: float, far_mm: float, no_data_rgb: tuple[int, int, int],
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.near_mm, self.far_mm, self.no_data_rgb = near_mm, far_mm, no_data_rgb
        self.hand_range_mm: tuple[float, float] | None = None
        self.setFixedWidth(62)
        self.setMinimumHeight(160)
        self.setToolTip("depth scale (cm); the bracket: where to hold the hand")

    def set_hand_range(self, hand_range_mm: tuple[float, float]) -> None:
        """Bracket this range (near, far mm)."""
        self.hand_range_mm = hand_range_mm
        self.update()

    def _y(self, depth_mm: float, top: int, height: int) -> float:
        return top + (depth_mm - self.near_mm) / (self.far_mm - self.near_mm) * height

    def paintEvent(self, event) -> None:  # Qt's name
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), QtGui.QColor(0, 0, 0))
        top, foot = 10, 24
        height = self.height() - top - foot
        bar = QtCore.QRect(6, top, 14, height)
        gradient = QtGui.QLinearGradient(0, top, 0, top + height)
        gradient.setColorAt(0.0, QtGui.QColor(255, 255, 255))  # as depth_to_gray: near 255, far 1
        gradient.setColorAt(1.0, QtGui.QColor(1, 1, 1))
        p.fillRect(bar, gradient)
        p.setPen(QtGui.QColor(200, 200, 200))
        p.drawRect(bar)
        p.setFont(mono_font())
        for cm in range(int(np.ceil(self.near_mm / 200.0)) * 20, int(self.far_mm / 10) + 1, 20):
            y = self._y(cm * 10.0, top, height)
            p.drawLine(20, int(y), 25, int(y))
            p.drawText(27, int(y) + 4, f"{cm}")
        if self.hand_range_mm is not None:
            a, b = (self._y(min(max(v, self.near_mm), self.far_mm), top, height) for v in self.hand_range_mm)
            p.setPen(QtGui.QPen(QtGui.QColor(90, 200, 120), 2))
            p.drawLine(3, int(a), 3, int(b))
            p.drawLine(3, int(a), 6, int(a))
            p.drawLine(3, int(b), 6, int(b))
        p.fillRect(QtCore.QRect(6, top + height + 8, 14, 10), QtGui.QColor(*self.no_data_rgb))
        p.setPen(QtGui.QColor(200, 200, 200))
        p.drawText(24, top + height + 18, "none")
        p.end()
