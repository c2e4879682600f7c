"""Depth sources: RealSense live, recordings (.bag/.db3), Kinect, and the synthetic camera.

All share `FrameSource`; `open_source` picks one from the command line's choice.
"""
