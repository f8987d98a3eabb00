"""What a dataset table is: its columns with their types and meaning, and the Arrow schema
the store writes it with."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


@cache
def arrow_types() -> dict[str, pa.DataType]:
    """Column type -> Arrow type. Made when first asked: pyarrow (and numpy with it) is a
    tenth of a second of start-up that an ingest with nothing new to read never needs."""
    import pyarrow as pa

    return {
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
        import pyarrow as pa

        types = arrow_types()
        return pa.schema([pa.field(c.name, types[c.type]) for c in self.columns])
