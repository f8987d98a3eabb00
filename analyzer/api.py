"""What notebooks and the CLI call. Every function returns plain data or a pandas
DataFrame; nothing here prints or knows about the command line.

    >>> from analyzer import api
    >>> api.ingest(["/var/log/maillog"], data="/var/lib/analyzer")
    >>> api.table("messages", since="1d")
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from .errors import AnalyzerError

DEFAULT_DATA = "~/.local/share/analyzer"


def data_dir(data: str | os.PathLike | None = None) -> Path:
    """`data`, else $ANALYZER_DATA, else ~/.local/share/analyzer."""
    chosen = data or os.environ.get("ANALYZER_DATA") or DEFAULT_DATA
    return Path(chosen).expanduser()


def ingest(paths: Iterable[str], data: str | os.PathLike | None = None, tz: str | None = None,
           year: int | None = None, local_ips: Iterable[str] = (), wait: float = 0.0,
           progress=None):
    """Read log files (or `-` for stdin) into the dataset; returns an `IngestSummary`."""
    from .ingest import ingest as run

    return run(paths, str(data_dir(data)), tz=tz, year=year, local_ips=local_ips, wait=wait,
               progress=progress)


def parse_lines(lines: Iterable[str], tz: str | None = None, year: int | None = None,
                reference=None) -> Iterator[dict]:
    """One event dict per line, as `analyzer parse` prints it: header, `event`, the
    canonical fields the line carries (None-valued fields left out), raw text when
    unparsed. `ts` is an ISO 8601 UTC string."""
    from .envelope import Clock, parse_zone
    from .events import LineParser

    parser = LineParser(Clock(parse_zone(tz), reference=reference, year=year))
    for line in lines:
        line = line.rstrip("\r\n").replace("\x00", "")
        if not line:
            continue
        event = parser.parse(line)
        out = {k: v for k, v in event.items() if v is not None}
        if event["ts"] is not None:
            out["ts"] = _iso(event["ts"])
        out["format"] = out.pop("family", None)
        if event["event"] == "unparsed":
            out["line"] = line
        yield out


def table(name: str, data: str | os.PathLike | None = None, since=None, until=None,
          tz: str | None = None, columns: list[str] | None = None, include_open: bool = True):
    """One table of the dataset as a DataFrame, rows with their time in [since, until).

    `since`/`until`: `30m`, `6h`, `1d`, `2w`, ISO dates/times (naive ones in `tz`), or
    datetimes. For `messages`, messages still open at the end of the last ingest (queued,
    not yet removed) are included with `complete` = False unless `include_open` is off.
    """
    from .store import Dataset
    from .timewindow import window

    lo, hi = window(since, until, _zone(tz))
    ds = Dataset(data_dir(data))
    arrow = ds.read(name, lo, hi, columns)
    if name == "messages" and include_open:
        arrow = _with_open_messages(ds, arrow, lo, hi, columns)
    return to_pandas(arrow)


def to_pandas(arrow):
    """Arrow -> pandas with nullable integer and boolean columns (a uid stays an int)."""
    import pandas as pd
    import pyarrow as pa

    mapping = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return arrow.to_pandas(types_mapper=mapping.get)


def _with_open_messages(ds, arrow, lo, hi, columns):
    import pyarrow as pa

    from .correlate import open_message_rows
    from .schema import TABLES

    state = ds.state().get("correlator") or {}
    rows = open_message_rows(state)
    lo_us = _micros(lo) if lo else None
    hi_us = _micros(hi) if hi else None
    rows = [r for r in rows if (lo_us is None or r["first_seen"] >= lo_us)
            and (hi_us is None or r["first_seen"] < hi_us)]
    if not rows:
        return arrow
    extra = pa.Table.from_pylist(rows, schema=TABLES["messages"].arrow_schema)
    if columns:
        extra = extra.select(columns)
    return pa.concat_tables([arrow, extra.select(arrow.schema.names)])


def _zone(tz):
    from .envelope import parse_zone

    return parse_zone(tz)


def _micros(dt: datetime) -> int:
    from .envelope import to_micros

    return to_micros(dt)


def status(data: str | os.PathLike | None = None) -> dict:
    """Tables (rows, time range), sources and their checkpoints, unparsed count, lines
    of programs beside the MTA."""
    import pyarrow.parquet as pq

    from .schema import TABLES
    from .store import Dataset

    ds = Dataset(data_dir(data))
    if not ds.exists():
        raise AnalyzerError(f"{ds.root}: no dataset here yet; run `analyzer ingest` first")
    state = ds.state()
    tables = {}
    for name, spec in TABLES.items():
        rows, lo, hi = 0, None, None
        for part in ds.parts(name, commit=state["commit"]):
            meta = pq.read_metadata(part)
            rows += meta.num_rows
            col = meta.schema.to_arrow_schema().get_field_index(spec.time_column)
            for g in range(meta.num_row_groups):
                stats = meta.row_group(g).column(col).statistics
                if stats is not None and stats.has_min_max:
                    lo = stats.min if lo is None else min(lo, stats.min)
                    hi = stats.max if hi is None else max(hi, stats.max)
        tables[name] = {"rows": rows, "first": _iso_dt(lo), "last": _iso_dt(hi)}
    open_state = state.get("correlator") or {}
    return {
        "data": str(ds.root),
        "commit": state["commit"],
        "tables": tables,
        "open_messages": len(open_state.get("messages", [])),
        "open_sessions": len(open_state.get("sessions", [])),
        "unparsed": tables["unparsed"]["rows"],
        "sources": [
            {"path": cp["path"], "offset": cp["offset"], "size": cp["size"],
             "compressed": cp.get("compressed"), "fingerprint": fp,
             "last_line": _iso(cp["last_ts"]) if cp.get("last_ts") else None}
            for fp, cp in state["sources"].items()
        ],
        "programs": state.get("programs", {}),
        "beside_mta": state.get("beside_mta", {}),
    }


def _iso(micros: int) -> str:
    from datetime import timedelta

    dt = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=micros)
    return dt.isoformat().replace("+00:00", "Z")


def _iso_dt(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.isoformat().replace("+00:00", "Z")
    return str(value)
