"""The table reference of `docs/tables.md`, generated from the declarations in
`schema/tables.py`: `python -m analyzer.schema > docs/tables.md`."""

from __future__ import annotations

from .tables import TABLES


def reference_markdown() -> str:
    """The table reference of `docs/tables.md` (a test keeps the file equal to this)."""
    out = [
        "# Dataset tables",
        "",
        "Generated from `analyzer/schema/tables.py` by "
        "`python -m analyzer.schema > docs/tables.md`; do not edit by hand.",
        "",
        "Layout: `DATA/<table>/date=YYYY-MM-DD/part-<commit>-<seq>.parquet`, Hive-partitioned by "
        "the UTC date of the table's time column. Every table directory holds a "
        "`_common_metadata` file with its schema, so a table exists with its columns even "
        "before it has a row. Times are UTC (`timestamp[us, tz=UTC]`). Messages still open "
        "at the end of the last ingest live in `DATA/_state/open.sqlite` until they complete; "
        '`analyzer.api.table("messages")` includes them with `complete = false`.',
        "",
    ]
    for t in TABLES.values():
        out += [
            f"## `{t.name}`",
            "",
            t.doc,
            "",
            f"Partitioned by the date of `{t.time_column}`.",
            "",
            "| column | type | meaning |",
            "| --- | --- | --- |",
        ]
        out += [f"| `{c.name}` | {c.type} | {c.doc} |" for c in t.columns]
        out.append("")
    return "\n".join(out)
