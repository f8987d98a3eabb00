"""The package tree is the pipeline, and imports go one way: the command line calls the
facade, the facade calls the ingest or the reports, and nothing imports a stage above it.

    cli -> api -> (nightly -> reports, ingest, fleet -> (ingest, reports)) ; reports -> dataset
    ingest -> read -> parse -> correlate -> dataset -> base
    render and samplegen sit on the base (errors, schema, clock, config, ...)

Every module of the package belongs to one layer (a new top-level module must be placed
here), and every import it makes, at module level or inside a function, reaches only its
own layer or one below."""

import ast
from pathlib import Path

import analyzer

PACKAGE = Path(analyzer.__file__).parent

# layer -> the layers right below it (what it may import, with what those may import)
BELOW = {
    "main": {"cli"},
    "cli": {"api", "render", "watch", "actions"},
    "watch": {"ingest", "actions", "nightly", "reports", "fleet"},
    "actions": {"reports", "nightly", "dataset", "fleet"},
    "api": {"fleet", "ingest", "nightly", "reports"},
    "fleet": {"ingest", "reports"},
    "nightly": {"reports", "render"},
    "reports": {"dataset"},
    "ingest": {"read"},
    "read": {"parse"},
    "parse": {"correlate"},
    "correlate": {"dataset"},
    "dataset": {"base"},
    "render": {"base"},
    "samplegen": {"base"},
    "base": set(),
}
BASE = {"__init__", "errors", "schema", "clock", "envvars", "config", "identity"}


def layer_of(module: str) -> str:
    """`analyzer.dataset.store` -> `dataset`; `analyzer.errors` -> `base`."""
    parts = module.split(".")
    if len(parts) == 1:
        return "base"  # the package itself: `from analyzer import __version__`
    top = parts[1]
    if top == "__main__":
        return "main"
    if top in BASE:
        return "base"
    if top == "api":
        return "api"
    assert top in BELOW, f"{module}: not in any layer of tests/test_layers.py"
    return top


def reachable(layer: str) -> set[str]:
    seen, todo = {layer}, [layer]
    while todo:
        for lower in BELOW[todo.pop()]:
            if lower not in seen:
                seen.add(lower)
                todo.append(lower)
    return seen


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(text: str, module: str, is_package: bool = False) -> set[str]:
    """The package modules the source `text` of `module` imports, relative imports
    resolved (`from ..errors import X` in `analyzer.dataset.store` -> `analyzer.errors`)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == "analyzer")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names.add(".".join(base + ([node.module] if node.module else [])))
            elif (node.module or "").split(".")[0] == "analyzer":
                names.add(node.module)
    return names


def edges():
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        for target in imported(path.read_text(), module, path.name == "__init__.py"):
            yield module, target


def test_the_check_resolves_relative_imports():
    assert imported("from ..errors import X\n", "analyzer.dataset.store") == {"analyzer.errors"}
    assert imported("from . import api\n", "analyzer.cli.app") == {"analyzer.cli"}
    assert imported("from .store import S\n", "analyzer.dataset", True) == {
        "analyzer.dataset.store"
    }
    assert imported("import analyzer.api\n", "analyzer.x") == {"analyzer.api"}
    assert layer_of("analyzer.dataset.store") == "dataset"
    assert layer_of("analyzer.errors") == "base"
    assert "dataset" in reachable("cli") and "api" not in reachable("reports")


def test_the_layers_form_no_cycle():
    for layer in BELOW:
        assert all(layer not in reachable(lower) for lower in BELOW[layer]), layer


def test_every_import_goes_down():
    found = list(edges())
    assert ("analyzer.dataset.reading", "analyzer.dataset.carried") in found  # the walk works
    wrong = [f"{a} imports {b}" for a, b in found if layer_of(b) not in reachable(layer_of(a))]
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_the_api_or_the_command_line_from_below():
    for a, b in edges():
        if layer_of(a) not in ("main", "cli", "api"):
            assert layer_of(b) not in ("cli", "api"), f"{a} imports {b}"
