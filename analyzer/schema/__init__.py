"""Every table of the dataset, declared once (`TABLES`, in `tables.py`).

The Arrow schemas the store writes with, the pandas dtypes the API returns and the table
reference in `docs/tables.md` (`reference.py`) are all derived from `TABLES`. Column names
follow the canonical event vocabulary of `docs/architecture.md`; the dataset is a public
interface.
"""

from __future__ import annotations

from .model import Column, Table, arrow_types
from .tables import TABLES

__all__ = ["TABLES", "Column", "Table", "arrow_types"]
