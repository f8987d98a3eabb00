"""Rendering a report (a DataFrame, or a pyarrow Table from a fast path) as a rich table, a JSON array or CSV: defined once,
every command ends here.

- `json`: an array of row objects; times as ISO 8601 UTC (`2026-11-26T13:00:05Z`),
  missing values as `null`, lists and `{value, count}` objects as JSON. Always valid JSON.
- `csv`: a header and one line per row; lists and objects as compact JSON in their cell;
  a text cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading
  apostrophe, so a spreadsheet never runs log content as a formula. On a terminal,
  control characters are shown escaped (`terminal.printable`); in a file they are kept.
- JSON escapes every control character, DEL and C1 included (`dumps`).
- `table`: a rich table on a terminal, aligned plain text otherwise (pipes, files, cron
  mail); cells are plain text (never rich markup), control characters shown escaped,
  times in UTC.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from datetime import UTC, date, datetime

from .terminal import is_terminal, printable, surely_plain

FORMATS = ("table", "json", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PERCENT_COLUMNS = {"share", "bounce_rate"}
_ID_COLUMNS = {"uid", "pid", "code", "client_port", "script_line"}  # numbers, not amounts
# what a missing value of these columns means, in tables (JSON: null, CSV: empty)
_MISSING_TEXT = {"usernames": "not logged"}  # Postfix < 3.8 logs no username of a failure
_TOP_SHOWN = 3  # entries of a [{value, count}] list a table cell shows


def plain(value):
    """One cell as a JSON-ready Python value: None for missing, ISO 8601 UTC text for
    times, int/float/bool/str, lists and dicts converted recursively."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        if _is_nat(value):
            return None
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    kind = type(value).__module__.split(".")[0]
    if kind == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray):
            return [plain(v) for v in value.tolist()]
        if isinstance(value, np.datetime64):
            import pandas as pd

            return plain(pd.Timestamp(value))
        return plain(value.item())
    if kind == "pandas":
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.Timedelta):
            return value.total_seconds()
    if _is_missing(value):
        return None
    return str(value)


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z` (naive times are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def records(frame) -> list[dict]:
    """The rows of a DataFrame (or an Arrow table) as JSON-ready dicts."""
    columns = [str(c) for c in columns_of(frame)]
    return [dict(zip(columns, (plain(v) for v in row))) for row in rows_of(frame)]


# --- a pandas DataFrame or a pyarrow Table (the fast report paths give Arrow) -----------


def _is_arrow(frame) -> bool:
    return type(frame).__module__.partition(".")[0] == "pyarrow"


def columns_of(frame) -> list:
    return list(frame.column_names if _is_arrow(frame) else frame.columns)


def rows_of(frame, columns: list | None = None):
    """The rows (of `columns`, default all) as tuples of Python values."""
    if not _is_arrow(frame):
        part = frame if columns is None else frame[columns]
        return part.itertuples(index=False, name=None)
    part = frame if columns is None else frame.select(columns)
    return zip(*(column.to_pylist() for column in part.columns))


def _is_numeric(frame, column) -> bool:
    if _is_arrow(frame):
        import pyarrow.types as types

        kind = frame.schema.field(column).type
        return types.is_integer(kind) or types.is_floating(kind)
    return getattr(frame[column].dtype, "kind", "O") in "iuf"


def _is_time(frame, column) -> bool:
    if _is_arrow(frame):
        import pyarrow.types as types

        return types.is_timestamp(frame.schema.field(column).type)
    return getattr(frame[column].dtype, "kind", "") == "M"


def to_json(frame) -> str:
    return dumps(records(frame), indent=2) + "\n"


# JSON escapes C0 controls itself; DEL and the C1 controls (a lone U+009B is a CSI to some
# terminals) pass raw unless asked: as \u escapes they are the same JSON, only safe to show
_JSON_CONTROL = {c: f"\\u{c:04x}" for c in [0x7F, *range(0x80, 0xA0)]}


def dumps(value, indent: int | None = None) -> str:
    """JSON text with non-ASCII kept readable and every control character escaped."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent).translate(
        _JSON_CONTROL
    )


def csv_cell(value) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str):
        value = value.replace("\x00", "\\x00")
        if value.startswith(_FORMULA_START):
            return "'" + value
        return value
    return str(value)


def to_csv(frame, terminal: bool = False) -> str:
    """`terminal`: the text is shown, not saved: control characters become escapes."""
    cell = (lambda v: printable(csv_cell(v))) if terminal else csv_cell
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180: a CR or LF in a cell is quoted
    writer.writerow([cell(str(c)) for c in columns_of(frame)])
    for row in rows_of(frame):
        writer.writerow([cell(v) for v in row])
    return buf.getvalue()


def table_cell(value, column: str = "") -> str:
    """One cell as the text a table shows."""
    if isinstance(value, datetime) and not _is_nat(value):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    value = plain(value)
    if value is None:
        return _MISSING_TEXT.get(column, "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value) if column in _ID_COLUMNS else f"{value:,}"
    if isinstance(value, float):
        if column in _PERCENT_COLUMNS:
            return f"{value:.1%}"
        return f"{value:,.1f}"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and set(v) == {"value", "count"} for v in value):
            more = ", …" if len(value) > _TOP_SHOWN else ""
            return (
                ", ".join(f"{printable(v['value'])} ({v['count']:,})" for v in value[:_TOP_SHOWN])
                + more
            )
        return "; ".join(
            printable(v) if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value
        )
    if isinstance(value, dict):
        return printable(json.dumps(value, ensure_ascii=False))
    return printable(value)


def plain_table(
    frame, *, title: str | None = None, columns: list[str] | None = None, caption: str | None = None
) -> str:
    """The table as aligned plain text (for pipes, files and cron mail): a title line, a
    header, a rule, one line per row; numbers right-aligned."""
    names = columns_of(frame)
    cols = [c for c in (columns or names) if c in names]
    numeric = [_is_numeric(frame, c) for c in cols]
    rows = [[table_cell(v, c) for v, c in zip(row, cols)] for row in rows_of(frame, cols)]
    widths = [max([len(str(c))] + [len(r[i]) for r in rows]) for i, c in enumerate(cols)]

    def line(cells):
        return "  ".join(
            cell.rjust(w) if num else cell.ljust(w) for cell, w, num in zip(cells, widths, numeric)
        ).rstrip()

    out = [printable(title)] if title else []
    out += [line([str(c) for c in cols]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    if caption:
        out.append(f"({printable(caption)})")
    return "\n".join(out) + "\n"


def print_table(
    frame,
    console,
    *,
    title: str | None = None,
    columns: list[str] | None = None,
    caption: str | None = None,
) -> None:
    """A rich table on a terminal; aligned plain text when the output is not one."""
    if not console.is_terminal:
        console.file.write(plain_table(frame, title=title, columns=columns, caption=caption))
        return
    from rich.table import Table
    from rich.text import Text

    names = columns_of(frame)
    cols = [c for c in (columns or names) if c in names]
    table = Table(
        title=Text(printable(title)) if title else None,
        caption=Text(printable(caption)) if caption else None,
        show_lines=False,
        header_style="bold",
    )
    numeric = {c for c in cols if _is_numeric(frame, c)}
    times = {c for c in cols if _is_time(frame, c)}
    for c in cols:  # a squeezed time breaks between date and time, not inside the date
        table.add_column(
            Text(str(c)),
            justify="right" if c in numeric else "left",
            overflow="fold",
            min_width=10 if c in times else None,
        )
    for row in rows_of(frame, cols):
        table.add_row(*(Text(table_cell(v, c)) for v, c in zip(row, cols)))
    console.print(table)


def render(
    frame,
    fmt: str = "table",
    *,
    console=None,
    title: str | None = None,
    columns: list[str] | None = None,
    caption: str | None = None,
    out=None,
) -> None:
    """Write `frame` to stdout (`out`) in `fmt`; `columns` narrows the table view only
    (JSON and CSV always carry every column)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    out = out or sys.stdout
    if fmt == "json":
        out.write(to_json(frame))
    elif fmt == "csv":
        out.write(to_csv(frame, terminal=is_terminal(out)))
    elif console is None and surely_plain(out):  # plain text: rich is not even imported
        out.write(plain_table(frame, title=title, columns=columns, caption=caption))
    else:
        if console is None:
            from rich.console import Console

            console = Console(file=out)
        print_table(frame, console, title=title, columns=columns, caption=caption)
    out.flush()


def _is_missing(value) -> bool:
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _is_nat(value) -> bool:
    pd = sys.modules.get("pandas")  # not imported: no value can be its NaT (and no import)
    return pd is not None and value is pd.NaT
