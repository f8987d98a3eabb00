"""`python -m analyzer.schema > docs/tables.md`: print the table reference."""

from .reference import reference_markdown

print(reference_markdown(), end="")
