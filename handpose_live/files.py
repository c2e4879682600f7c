"""Checks on the files a run will write, made before the run starts (so nothing fails half-way)."""
from __future__ import annotations

import tempfile
from pathlib import Path


def folder_problem(folder: Path) -> str | None:
    """Why no file can be written in `folder` (one phrase), or None when it can."""
    folder = Path(folder)
    if not folder.is_dir():
        return f"folder {folder} does not exist"
    try:
        # A real write, not os.access: root passes access checks on read-only places such as /proc.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".handpose-live-probe-"):
            pass
    except OSError as e:
        return f"folder {folder} cannot be written ({e.strerror or e})"
    return None
