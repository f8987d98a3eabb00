"""Tuning knobs read from the environment (`ANALYZER_WORKERS`, `ANALYZER_COMMIT_LINES`).
They are read when a run starts, not at import, so a typo is one clear error naming the
variable instead of a traceback from wherever the module happened to be imported."""

from __future__ import annotations

import os

from .errors import AnalyzerError


def whole_number(name: str, default: int, minimum: int = 0) -> int:
    """The environment variable `name` as an integer >= `minimum`, `default` when unset
    or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise AnalyzerError(f"{name} must be a whole number >= {minimum}, not {raw!r}")
    return value
