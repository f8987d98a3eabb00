from pathlib import Path

from analyzer.schema.reference import reference_markdown


def test_table_reference_is_current():
    doc = Path(__file__).resolve().parents[2] / "docs" / "tables.md"
    assert doc.read_text() == reference_markdown(), (
        "docs/tables.md is stale: python -m analyzer.schema > docs/tables.md"
    )
