"""How the dataset's columns are stored in Parquet: which are dictionary-encoded, which are
delta-encoded, and how each column chunk is compressed. Readers see the same values
whatever is chosen here; it only trades the writer's CPU against the size of the files.

- A column whose values repeat (host, program, status, identity, ...) is
  dictionary-encoded; one whose values are mostly distinct (queue ids, Message-IDs, reply
  texts, sizes) is not: its dictionary would hold every value once more, hashed for
  nothing.
- Times and the other integer columns without a dictionary are delta-encoded: a day's
  times are near-ordered, so their deltas pack into a few bits each.
- A column chunk of at least ZSTD_BYTES (its Arrow size) is compressed with zstd, a
  smaller one with snappy: each zstd call sets up a new context (in Arrow's codec),
  whose CPU-feature probe traps to the hypervisor on a virtual machine, so on the many
  small chunks of a day's part (30 days x 6 tables in a 1M-line run) zstd's set-up cost
  more than the bytes it saved over snappy. Compaction's merged parts are big: zstd.
- Statistics (min/max per column chunk) only on the columns readers filter row groups
  by: the time column (`dataset.parts`, `dataset.status`, Dask's filters) and `host`
  (Dask's host filter). Min/max of every string column cost the writer a sixth of
  its instructions (a byte comparison per value) for nothing any reader asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

from .tables import TABLES

if TYPE_CHECKING:
    import pyarrow as pa

ZSTD_BYTES = 64 << 10

# per table, the columns whose values are mostly distinct (no dictionary); every other
# column is dictionary-encoded (a new column too, unless it is added here)
DISTINCT: dict[str, frozenset[str]] = {
    "messages": frozenset({"queue_id", "size", "message_id", "bounce_of", "filter_of"}),
    "deliveries": frozenset({"queue_id", "response"}),
    "rejects": frozenset({"client_ip", "reason", "sender", "helo"}),
    "auth_failures": frozenset(),
    "connections": frozenset({"pid"}),
    "notices": frozenset({"queue_id", "text"}),
    "client_rates": frozenset(),
    "php_mail": frozenset({"script_line", "queue_id"}),
    "unparsed": frozenset({"offset", "line", "line_length"}),
}

_DELTA_TYPES = ("timestamp", "int64")


def parquet_options(
    table: str, part: pa.Table | None = None, sizes: Mapping[str, float] | None = None
) -> dict:
    """Keyword arguments of `pyarrow.parquet.write_table` / `ParquetWriter` for a part of
    `table`: compression chosen per column from its Arrow bytes, `sizes` or else those
    of `part` (neither: zstd throughout, for compaction's big parts)."""
    options = dict(_fixed_options(table))
    if sizes is None and part is not None:
        sizes = {name: part.column(name).nbytes for name in part.column_names}
    if sizes is not None:
        options["compression"] = {
            name: "zstd" if size >= ZSTD_BYTES else "snappy" for name, size in sizes.items()
        }
    return options


@cache
def _fixed_options(table: str) -> dict:
    """The options that do not depend on a part's size (callers copy the dict)."""
    spec = TABLES[table]
    plain = DISTINCT[table] | {c.name for c in spec.columns if c.type == "timestamp"}
    types = {c.name: c.type for c in spec.columns}
    return {
        "use_dictionary": [c for c in spec.names if c not in plain],
        "column_encoding": {c: "DELTA_BINARY_PACKED" for c in plain if types[c] in _DELTA_TYPES},
        "write_statistics": [c for c in spec.names if c in (spec.time_column, "host")],
        "compression": "zstd",
    }
