"""The architecture picture names real code: every node's module exists and defines what it names."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_node_of_the_architecture_diagram_names_existing_code():
    dot = (ROOT / "docs" / "architecture.dot").read_text()
    refs = re.findall(r'tooltip="([\w/.]+\.py):([\w,]+)"', dot)
    assert len(refs) >= 15, "the diagram names too few modules"
    for module, names in refs:
        path = ROOT / module
        assert path.is_file(), f"the diagram names {module}, which does not exist"
        source = path.read_text()
        for name in names.split(","):
            assert re.search(rf"^\s*(def|class) {name}\b|^{name}\s*[:=]", source, re.M), \
                f"the diagram names {name} in {module}, which is not defined there"
    for rendered in ("architecture.svg", "architecture.png"):
        assert (ROOT / "docs" / rendered).is_file(), f"docs/{rendered} is not rendered (make docs)"
    assert "docs/architecture.md" in (ROOT / "README.md").read_text()


def test_imports_go_one_way_between_the_stage_packages():
    order = ["sources", "pipeline", "runtime"]
    tops = ["ui", "stream"]  # both take the runtime's frames; neither imports the other
    for k, package in enumerate(order + tops):
        later = order[k + 1:] + tops if package in order else [t for t in tops if t != package]
        for path in (ROOT / "handpose_live" / package).rglob("*.py"):
            for imported in re.findall(r"^\s*(?:from|import) handpose_live\.(\w+)", path.read_text(), re.M):
                assert imported not in later, f"{path.relative_to(ROOT)} imports {imported}, a later stage"


def test_the_readme_says_where_the_command_lives_and_what_a_real_hand_gets():
    readme = (ROOT / "README.md").read_text()
    top = readme[:readme.index("## ")]  # before the first section
    assert top.startswith("# handpose-live\n\n```\nmake demo\nmake test\n```")
    assert "source .venv/bin/activate" in top and ".venv/bin/handpose-live" in top
    assert "What to expect on a real hand today" in top and "NYU" in top and "MODEL_CARD.md" in top


def test_licence_file_matches_pyproject_and_outputs_are_ignored():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "/results/" in (ROOT / ".gitignore").read_text().splitlines()


def test_qt_gets_a_private_runtime_dir_when_the_session_has_none(monkeypatch, tmp_path):
    import os
    import tempfile

    from handpose_live.ui.app import ensure_runtime_dir

    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    ensure_runtime_dir()
    path = Path(os.environ["XDG_RUNTIME_DIR"])
    assert path.parent == tmp_path and path.is_dir() and (path.stat().st_mode & 0o777) == 0o700
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/somewhere/else")
    ensure_runtime_dir()
    assert os.environ["XDG_RUNTIME_DIR"] == "/somewhere/else"  # a session's own is kept


def test_the_hand_stands_alone():
    # One definition of the hand for the renderer, the fit and calibration: it imports nothing of theirs.
    for path in (ROOT / "handpose_live" / "hand").rglob("*.py"):
        for imported in re.findall(r"^\s*(?:from|import) handpose_live\.(\w+)", path.read_text(), re.M):
            assert imported in ("hand", "joints"), f"{path.relative_to(ROOT)} imports handpose_live.{imported}"
