"""The facade sits on top: `analyzer.api` calls the nightly report, the reports and the
reading layer, and none of them imports it back (no import cycle)."""

import ast
from pathlib import Path

import analyzer

PACKAGE = Path(analyzer.__file__).parent
BELOW_API = ["nightly.py", "reading.py", "status.py",
             *sorted(f"reports/{p.name}" for p in (PACKAGE / "reports").glob("*.py"))]


def imported(text: str, name: str) -> set[str]:
    """Every module the source `text` of the package file `name` imports, relative
    imports resolved (`from . import api` in `nightly.py` -> `analyzer.api`)."""
    package = ["analyzer", *Path(name).parent.parts]
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_the_check_resolves_relative_imports():
    assert "analyzer.api" in imported("from . import api\n", "nightly.py")
    assert "analyzer.api" in imported("from ..api import table\n", "reports/x.py")
    assert "analyzer.api" in imported("import analyzer.api\n", "status.py")
    assert "analyzer.api" not in imported("from .reading import table\n", "nightly.py")


def test_nothing_below_the_api_imports_it():
    assert "reports/spikes.py" in BELOW_API
    for name in BELOW_API:
        found = imported((PACKAGE / name).read_text(), name)
        assert "analyzer.api" not in found, f"{name} imports analyzer.api"
