"""Training of the networks (PyTorch): data streams, augmentation, the loop, checkpoints."""
