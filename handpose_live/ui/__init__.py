"""The Qt window (PyQt5 + pyqtgraph): depth image with the 2D skeleton, crop inset, 3D skeleton, overlay."""
