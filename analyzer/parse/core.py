"""Which parse core runs: the compiled one (`analyzer._core`, built from `rust/` when cargo
is there at install) or the pure-Python one (the reference, always installed).

`ANALYZER_CORE=python|rust` chooses; unset, the compiled core is used when it is
installed. `core_in_use()` says which (for `--version` and `status`), `batch_parser()`
gives the parse stage's function for it. With the compiled core, runs of Postfix, Exim
and Sendmail logs are also correlated in Rust (`ingest/compiled.py`) unless `ANALYZER_ENGINE=python`:
`engine_in_use()` says which correlator such a run gets.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

from ..errors import AnalyzerError

if TYPE_CHECKING:  # imported when used: `--version` asks `core_in_use()` only, cheaply
    from .batch import BatchJob, BatchResult

ENV = "ANALYZER_CORE"
CORES = ("python", "rust")
FALLBACK_NOTICE = "the compiled core is not installed; using the pure-Python core (slower)"
MISSING = (
    "ANALYZER_CORE=rust: the compiled core (analyzer._core) is not installed "
    "(reinstall with cargo on PATH: pip install -e .)"
)

ENGINE_ENV = "ANALYZER_ENGINE"
ENGINES = ("python", "compiled")

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


def engine_in_use() -> str:
    """`compiled` when a run of Postfix, Exim or Sendmail files is parsed and correlated in
    Rust (the compiled core in use and `ANALYZER_ENGINE` not `python`), else `python` (the
    Python correlator). An unknown `ANALYZER_ENGINE` is an AnalyzerError."""
    asked = os.environ.get(ENGINE_ENV, "").strip().lower()
    if asked and asked not in ENGINES:
        raise AnalyzerError(f"{ENGINE_ENV} must be one of {', '.join(ENGINES)}, not {asked!r}")
    return "python" if asked == "python" or core_in_use() != "rust" else "compiled"


def describe(core: str, engine: str) -> str:
    """The parse core and the correlator, in the phrase `--version` and `status` print."""
    if engine == "compiled":
        return f"parse core: {core}; correlation: compiled engine for Postfix, Exim and Sendmail, else python"
    return f"parse core: {core}; correlation: python"


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


def batch_parser() -> Callable[[BatchJob], BatchResult]:
    """The parse stage's function for the core in use (`parse.batch.parse_batch` or the
    compiled core's, same signature and result; module-level, so worker processes can
    unpickle it)."""
    if core_in_use() == "python":
        from .batch import parse_batch

        return parse_batch
    from .rust_batch import parse_batch as compiled_parse_batch

    return compiled_parse_batch
