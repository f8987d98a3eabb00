"""What a dataset table is: its columns with their types and meaning, and the Arrow schema
the store writes it with."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

ARROW_TYPES = {
    "timestamp": pa.timestamp("us", tz="UTC"),
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    time_column: str  # partitions the table by its UTC date and serves --since/--until
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in self.columns])
