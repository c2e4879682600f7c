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
    order = ["sources", "pipeline", "runtime", "ui"]
    for k, package in enumerate(order):
        later = order[k + 1:]
        for path in (ROOT / "handpose_live" / package).rglob("*.py"):
            for imported in re.findall(r"^\s*(?:from|import) handpose_live\.(\w+)", path.read_text(), re.M):
                assert imported not in later, f"{path.relative_to(ROOT)} imports {imported}, a later stage"
