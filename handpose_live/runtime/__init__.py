"""The live loop: capture and inference threads joined by a latest-frame slot, smoothing, timing."""
