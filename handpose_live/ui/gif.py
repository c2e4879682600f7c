"""`--gif FILE.gif`: the live window recorded as an animated GIF (for a README, a bug report), by
the app itself: the window as shown, at most GIF_FPS frames a second, scaled to GIF_WIDTH pixels
wide, the first GIF_MAX_FRAMES kept; written with Pillow when the window closes."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PyQt5 import QtCore, QtGui

GIF_FPS = 10.0
GIF_WIDTH = 640
GIF_MAX_FRAMES = 300  # 30 s at GIF_FPS


class GifRecorder:
    """Collects window images (palette-reduced as they come, so 30 s stay within ~40 MB)."""

    def __init__(self, path: Path):
        from PIL import Image  # checked before the window opens (session.check_options)

        self._image = Image
        self.path = Path(path)
        self.frames: list = []
        self._last = -float("inf")

    def due(self) -> bool:
        """Whether the next shown frame should be taken (GIF_FPS, until GIF_MAX_FRAMES)."""
        return len(self.frames) < GIF_MAX_FRAMES and time.perf_counter() - self._last >= 1.0 / GIF_FPS

    def add(self, image: QtGui.QImage) -> None:
        """Take one window image."""
        self._last = time.perf_counter()
        small = image.scaledToWidth(GIF_WIDTH, QtCore.Qt.SmoothTransformation).convertToFormat(
            QtGui.QImage.Format_RGB888)
        w, h = small.width(), small.height()
        ptr = small.constBits()
        ptr.setsize(small.bytesPerLine() * h)
        rows = np.frombuffer(ptr, np.uint8).reshape(h, small.bytesPerLine())[:, : 3 * w].reshape(h, w, 3)
        self.frames.append(self._image.fromarray(rows.copy()).quantize(colors=256, dither=self._image.Dither.NONE))

    def write(self) -> str | None:
        """Write the GIF; an error sentence, or None."""
        if not self.frames:
            return f"no frame was shown, so {self.path} was not written"
        try:
            self.frames[0].save(self.path, save_all=True, append_images=self.frames[1:], loop=0,
                                duration=int(1000 / GIF_FPS), optimize=False)
        except OSError as e:
            return f"could not write {self.path}: {e}"
        return None
