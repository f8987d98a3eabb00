"""The docs cannot rot: docs/cli.md is the commands' current --help (regenerate with
`python -m analyzer.cli.clidoc > docs/cli.md`) and documents every command; docs/reports.md
describes every report and every column the reports return."""

from pathlib import Path

import pytest

from analyzer.cli import clidoc
from analyzer.reports import auth, scripts, senders, spikes, trace

DOCS = Path(__file__).resolve().parents[2] / "docs"
REPORTS = ["top-senders", "relay-spikes", "suspicious-scripts", "auth-failures", "trace"]


def test_cli_reference_is_up_to_date():
    current = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert current == clidoc.render(), (
        "docs/cli.md is stale: run `python -m analyzer.cli.clidoc > docs/cli.md`"
    )


def test_every_command_is_in_the_cli_reference():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    names = clidoc.command_names()
    assert set(REPORTS) <= set(names)
    for name in names:
        assert f"## analyzer {name}\n" in text, f"analyzer {name} is missing from docs/cli.md"


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_has_a_section(name):
    assert f"\n## {name}\n" in (DOCS / "reports.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "columns",
    [
        senders.COLUMNS,
        list(senders.BY),
        spikes.COLUMNS,
        scripts.COLUMNS,
        auth.COLUMNS["client-ip"],
        auth.COLUMNS["username"],
        trace.FIRST,
    ],
    ids=[
        "top-senders",
        "top-senders --by",
        "relay-spikes",
        "suspicious-scripts",
        "auth-failures",
        "auth-failures --by username",
        "trace",
    ],
)
def test_every_column_is_documented(columns):
    text = (DOCS / "reports.md").read_text(encoding="utf-8")
    missing = [c for c in columns if f"`{c}`" not in text]
    assert not missing, f"docs/reports.md does not describe {missing}"
