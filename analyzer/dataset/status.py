"""The dataset's state as `analyzer status` shows it: tables and their time range, sources
and their checkpoints, parts gone missing, the PHP mail.log join; and the dataset's span
(`coverage`) that reports quote when a window is empty."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import checkpoint
from .reading import data_dir, snapshot

if TYPE_CHECKING:
    from .snapshot import Snapshot


def status(data: str | os.PathLike | Snapshot | None = None) -> dict:
    """Tables (rows, time range, rows of parts gone missing), sources and their
    checkpoints, unparsed count, lines of programs beside the MTA, the committed parts
    that are gone or unreadable (`missing_parts`: reads undercount by their rows), the
    parts set aside because no checkpoint knew them (`orphaned`), PHP mail.log entries
    joined / unjoined and why."""
    import pyarrow.parquet as pq

    from ..schema import TABLES
    from .parts import per_micro
    from .store import Dataset

    root = data_dir(data)
    if not Dataset(root).exists():
        raise Dataset(root).no_checkpoint_error()
    snap = snapshot(data)
    state = snap.state
    tables: dict[str, dict] = {}
    ds = snap.dataset
    lost = ds.missing_parts(state=state)
    parts = 0
    for name, spec in TABLES.items():
        rows, lo, hi = 0, None, None
        for part in snap.parts(name):
            parts += 1
            try:
                meta = pq.read_metadata(part)
            except Exception:  # damaged: reported with the rows the checkpoint says it held
                lost += ds.unreadable([part], state)
                continue
            rows += meta.num_rows
            col = meta.schema.to_arrow_schema().get_field_index(spec.time_column)
            per_us = per_micro(meta, col)
            for g in range(meta.num_row_groups):
                stats = meta.row_group(g).column(col).statistics
                if stats is not None and stats.has_min_max:
                    # raw integers: `stats.min` as a datetime makes pyarrow look for pandas
                    first, last = round(stats.min_raw / per_us), round(stats.max_raw / per_us)
                    lo = first if lo is None else min(lo, first)
                    hi = last if hi is None else max(hi, last)
        tables[name] = {
            "rows": rows,
            "first": None if lo is None else iso(lo),
            "last": None if hi is None else iso(hi),
            "missing_rows": sum(p["rows"] or 0 for p in lost if p["table"] == name),
        }
    return {
        "data": str(root),
        "commit": state["commit"],
        "tables": tables,
        "parts": parts,  # part files a reader opens (`analyzer compact` merges small ones)
        "open_messages": snap.open_count(checkpoint.MESSAGES),
        "open_sessions": snap.open_count(checkpoint.SESSION_ENTRIES),
        "unparsed": tables["unparsed"]["rows"],
        "sources": [
            {
                "path": cp["path"],
                "offset": cp["offset"],
                "size": cp["size"],
                "compressed": cp.get("compressed"),
                "fingerprint": fp,
                "last_line": iso(cp["last_ts"]) if cp.get("last_ts") else None,
            }
            for fp, cp in state["sources"].items()
        ],
        "missing_parts": lost,  # committed parts gone or unreadable: {path, table, rows, reason}
        "orphaned": ds.orphaned(),  # parts set aside, never read: directory -> part files
        "programs": state.get("programs", {}),
        "beside_mta": state.get("beside_mta", {}),
        "php_mail": php_joins(
            next(snap.open_entries(checkpoint.PHP_JOINS), None),
            snap.open_entries(checkpoint.PHP),
            tables["php_mail"]["rows"],
        ),
    }


def php_joins(counts: dict | None, php_entries: Iterable[dict], rows: int) -> dict:
    """PHP entries written joined / unjoined by reason, waiting ones, and the summary
    line and warning `ingest` prints; `earlier`: rows written before the counts were
    kept (reasons unknown)."""
    from .php_joins import php_join_report

    counts = counts or {"joined": 0, "unjoined": {}, "hosts": {}}
    waiting = sum(1 for entry in php_entries if not entry["claimed"])
    summary, warning = php_join_report(counts, waiting)
    counted = counts["joined"] + sum(counts["unjoined"].values())
    return {
        "joined": counts["joined"],
        "unjoined": dict(counts["unjoined"]),
        "hosts": dict(counts.get("hosts", {})),
        "waiting": waiting,
        "earlier": max(rows - counted, 0),
        "summary": summary,
        "warning": warning,
    }


def coverage(data: str | os.PathLike | Snapshot | None = None) -> tuple:
    """The dataset's span: (first, last) UTC Timestamps of its rows and of the last line
    each source was read to, or (None, None) for an empty dataset. Reports use it to say
    what the dataset holds when a window is empty, notebooks to default to its last day."""
    import pandas as pd

    return tuple(None if t is None else pd.Timestamp(t) for t in span(data))


def span(data: str | os.PathLike | Snapshot | None = None) -> tuple:
    """`coverage` as UTC datetimes, without pandas (what the CLI's fast paths say)."""
    from .snapshot import Snapshot

    if isinstance(data, Snapshot):
        inner = getattr(data, "inner", None)  # some hosts' rows (`fleet.hosts.HostSnapshot`)
        if isinstance(inner, Snapshot):
            return span(inner)
        subs = getattr(data, "hosts", None)  # a fleet's: host -> snapshot (`fleet.reading`)
        if isinstance(subs, dict):
            spans = [span(sub) for sub in subs.values()]
            firsts = [f for f, _ in spans if f is not None]
            lasts = [last for _, last in spans if last is not None]
            return (min(firsts), max(lasts)) if lasts else (None, None)
    info = status(data)
    firsts = [t["first"] for t in info["tables"].values() if t["first"]]
    lasts = [t["last"] for t in info["tables"].values() if t["last"]]
    lasts += [s["last_line"] for s in info["sources"] if s["last_line"]]
    if not lasts:
        return None, None
    stamp = [_utc(v) for v in firsts + lasts]
    return min(stamp), max(stamp[len(firsts) :])


def _utc(value) -> datetime:
    """An ISO 8601 text (or a datetime) as an aware UTC datetime (naive: UTC)."""
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(micros: int) -> str:
    from datetime import timedelta

    dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    return dt.isoformat().replace("+00:00", "Z")
