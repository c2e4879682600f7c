"""handpose-live: real-time 3D hand pose (JGR-P2O) for depth cameras."""

__version__ = "0.1.0"
