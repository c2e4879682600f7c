"""Network definitions (PyTorch). Imported only for training and export, never by the live app."""
