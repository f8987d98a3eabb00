"""Which parse core runs: the compiled one (`analyzer._core`, built from `rust/` when cargo
is there at install) or the pure-Python one (the reference, always installed).

`ANALYZER_CORE=python|rust` chooses; unset, the compiled core is used when it is
installed. `core_in_use()` says which (for `--version` and `status`), `batch_parser()`
gives the parse stage's function for it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any

from ..errors import AnalyzerError

ENV = "ANALYZER_CORE"
CORES = ("python", "rust")
FALLBACK_NOTICE = "the compiled core is not installed; using the pure-Python core (slower)"
MISSING = (
    "ANALYZER_CORE=rust: the compiled core (analyzer._core) is not installed "
    "(reinstall with cargo on PATH: pip install -e .)"
)

_noticed = False


def compiled() -> ModuleType | None:
    """The compiled module, or None when it was not built."""
    try:
        return importlib.import_module("analyzer._core")
    except ImportError:
        return None


def core_in_use() -> str:
    """`rust` or `python`: what `ANALYZER_CORE` asks for, else the compiled core when it is
    installed. Asking for `rust` without it, or for an unknown core, is an AnalyzerError."""
    asked = os.environ.get(ENV, "").strip().lower()
    if asked and asked not in CORES:
        raise AnalyzerError(f"{ENV} must be one of {', '.join(CORES)}, not {asked!r}")
    if asked == "python":
        return "python"
    if compiled() is None:
        if asked == "rust":
            raise AnalyzerError(MISSING)
        return "python"
    return "rust"


def fallback_notice() -> str | None:
    """The one-time notice that the pure-Python core runs because the compiled one is
    missing (not when `ANALYZER_CORE=python` asked for it): the text the first time in
    this process, None after that and when there is nothing to say."""
    global _noticed
    if _noticed or os.environ.get(ENV, "").strip() or compiled() is not None:
        return None
    _noticed = True
    return FALLBACK_NOTICE


def announce_fallback() -> None:
    """Write `fallback_notice()` to stderr, once per process."""
    notice = fallback_notice()
    if notice:
        print(f"analyzer: {notice}", file=sys.stderr)


def batch_parser(
    python_parse_batch: Callable[[Any], Any], result_type: Callable[..., Any]
) -> Callable[[Any], Any]:
    """The parse stage's function for the core in use: `python_parse_batch` itself, or
    the compiled core's, which has the same signature and returns `result_type` (the
    Python stage's BatchResult); a picklable callable either way (worker processes)."""
    if core_in_use() == "python":
        return python_parse_batch
    from .rust_batch import parse_batch

    return partial(parse_batch, python=python_parse_batch, result=result_type)
