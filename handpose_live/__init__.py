"""handpose-live: real-time 3D hand pose (JGR-P2O) for depth cameras.

The API in a few lines::

    from handpose_live import HandPoseEstimator, Intrinsics
    camera = Intrinsics(fx=475.0, fy=475.0, cx=320.0, cy=240.0, width=640, height=480)
    with HandPoseEstimator() as estimator:
        result = estimator.estimate(depth, camera)  # uint16 counts of 1 mm, or float mm
        if result.hand_found:
            print(result.joints_mm[Joint.INDEX_TIP])  # camera frame, millimetres

For video, smooth from frame to frame: ``EstimatorOptions(smoothing=Smoothing())`` and
``estimator.estimate(depth, camera, timestamp_s=t)`` for each frame.
"""

__version__ = "0.1.0"

__all__ = ["HandPoseEstimator", "EstimatorOptions", "HandPoseResult", "Intrinsics", "DepthFrame", "Joint",
           "BONES", "Smoothing", "UserError"]

# Imported on first use, so that `import handpose_live` stays light (no ONNX Runtime).
_HOMES = {
    "HandPoseEstimator": "handpose_live.pipeline.estimator",
    "EstimatorOptions": "handpose_live.pipeline.estimator",
    "HandPoseResult": "handpose_live.types",
    "DepthFrame": "handpose_live.types",
    "Intrinsics": "handpose_live.camera",
    "Joint": "handpose_live.joints",
    "BONES": "handpose_live.joints",
    "Smoothing": "handpose_live.pipeline.smoothing",
    "UserError": "handpose_live.errors",
}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'handpose_live' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
