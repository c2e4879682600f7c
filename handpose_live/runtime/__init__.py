"""The live loop: capture, inference and fit threads joined by one-frame slots, smoothing, timing."""
