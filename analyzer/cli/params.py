"""Option values without pydantic. typer (0.2x) converts every option's value through a
pydantic `TypeAdapter` it builds per parameter: importing pydantic and building the
adapters was a third of a report's start (issue 11). The values the commands take —
text, whole and decimal numbers within their range, one of a `Literal`'s words, flags,
repeated text — are converted here directly, to what typer's conversion gives; any
other annotation, and every value that does not convert cleanly here, goes to typer's
own conversion, so errors read exactly as they did (`tests/cli/test_params.py` holds
both to the same results). Without typer's runtime-coercion layer (older typer) nothing
is changed."""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

_UNSURE = object()  # "ask typer": the value is not one this module converts
_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def converted(annotation: Any, info: Any, value: Any) -> Any:
    """`value` as typer would convert it for a parameter of `annotation` (with its
    `ParameterInfo` `info`), or `_UNSURE`."""
    if getattr(info, "parser", None) is not None or getattr(info, "click_type", None):
        return _UNSURE
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):  # X | None: None never reaches here
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return converted(inner[0], info, value) if len(inner) == 1 else _UNSURE
    if origin is list:
        if not isinstance(value, (list, tuple)):
            return _UNSURE
        (item,) = get_args(annotation)
        items = [converted(item, info, v) for v in value]
        return _UNSURE if any(i is _UNSURE for i in items) else items
    if origin is Literal:
        words = get_args(annotation)
        if isinstance(value, str) and all(isinstance(w, str) for w in words) and value in words:
            return value
        return _UNSURE
    if annotation is str:
        return value if isinstance(value, str) else _UNSURE
    if annotation is bool:
        return value if isinstance(value, bool) else _UNSURE
    if annotation is int:
        if type(value) is int:
            number: Any = value
        elif isinstance(value, str) and _WHOLE.fullmatch(value):
            number = int(value)
        else:
            return _UNSURE
        return number if _in_range(number, info) else _UNSURE
    if annotation is float:
        if type(value) in (int, float):
            number = float(value)
        elif isinstance(value, str) and _DECIMAL.fullmatch(value):
            number = float(value)
        else:
            return _UNSURE
        return number if _in_range(number, info) else _UNSURE
    return _UNSURE


def _in_range(number, info) -> bool:
    """Within min/max (a clamped option or one out of range: typer's own conversion)."""
    if getattr(info, "clamp", False):
        return False
    low, high = getattr(info, "min", None), getattr(info, "max", None)
    return (low is None or number >= low) and (high is None or number <= high)


def install() -> None:
    """Make typer's parameters convert through `converted` first."""
    try:
        from typer import core
        from typer._coercion import RuntimeParam, build_runtime_param
    except ImportError:  # a typer without the runtime-coercion layer: nothing to spare
        return
    parameter = getattr(core, "_TyperParameter", None)
    if parameter is None or getattr(parameter, "_plain_values", False):
        return

    @dataclass(frozen=True)
    class PlainParam(RuntimeParam):
        """Converts what `converted` knows, and hands the rest to typer."""

        descriptor: Any = None

        def _coerce_value(self, value, param, ctx):
            done = converted(self.annotation, self.parameter_info, value)
            if done is not _UNSURE:
                return done
            typer_own = build_runtime_param(self.descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)

    built = parameter.get_runtime_param

    def get_runtime_param(self):
        desc = self.type_descriptor
        if self._runtime_param is None and desc.file_annotation is None:
            self._runtime_param = PlainParam(
                annotation=desc.annotation, parameter_info=desc.parameter_info, descriptor=desc
            )
        return built(self)

    parameter.get_runtime_param = get_runtime_param
    parameter._plain_values = True
