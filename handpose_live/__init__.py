"""handpose-live: real-time 3D hand pose (JGR-P2O) for depth cameras."""

__version__ = "0.1.0"

__all__ = ["HandPoseEstimator", "EstimatorOptions", "HandPoseResult", "Joint", "BONES"]


def __getattr__(name: str):
    # Imported on first use, so that `import handpose_live` stays light (no ONNX Runtime).
    if name in ("HandPoseEstimator", "EstimatorOptions"):
        from handpose_live.pipeline import estimator

        return getattr(estimator, name)
    if name == "HandPoseResult":
        from handpose_live.types import HandPoseResult

        return HandPoseResult
    if name in ("Joint", "BONES"):
        from handpose_live import joints

        return getattr(joints, name)
    raise AttributeError(f"module 'handpose_live' has no attribute {name!r}")
