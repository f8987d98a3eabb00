"""notebooks/investigate.ipynb runs end to end against the ingested sample, so it can never
rot: every cell executes without error and the incidents show up in its outputs."""

import json
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "investigate.ipynb"


@pytest.fixture(scope="module")
def executed(sample, tmp_path_factory, monkeypatch_module):
    from nbclient import NotebookClient

    monkeypatch_module.setenv("ANALYZER_DATA", str(sample.data))  # the kernel inherits it
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb"))}},
    )
    client.execute()
    return nb


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def outputs(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.extend(json.dumps(v) for v in out.get("data", {}).values())
    return "\n".join(parts)


def test_notebook_runs_and_shows_the_incidents(executed, sample):
    errors = [
        o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors
    text = outputs(executed)
    incidents = sample.truth["incidents"]
    assert incidents["compromised_sasl"]["sasl_username"] in text
    assert incidents["relay_spike"]["sender"] in text
    assert incidents["php_script"]["script"] in text
    assert incidents["brute_force"]["client_ip"] in text


def test_notebook_draws_plotly_figures(executed):
    figures = [
        o
        for c in executed.cells
        for o in c.get("outputs", [])
        if "application/vnd.plotly.v1+json" in o.get("data", {})
    ]
    assert len(figures) >= 7


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "from analyzer import api" in source
    assert "analyzer." not in source.replace("from analyzer import api", "")


def test_notebook_runs_on_a_quiet_day(minilog, tmp_path, monkeypatch):
    """A day without outgoing mail (AUTH failures of Postfix < 3.8 without usernames, no
    successful login, one reject): every cell runs and says there is nothing to drill into."""
    from datetime import datetime, timedelta

    from nbclient import NotebookClient

    t0 = datetime(2026, 11, 26, 12, 0)
    for i in range(3):
        minilog.auth_failure(t0 + timedelta(minutes=i), "203.0.113.5")
    minilog.relay_reject(t0 + timedelta(minutes=5), "198.51.100.4", "a@b.example", "c@d.example")
    data = minilog.ingest(tmp_path)
    monkeypatch.setenv("ANALYZER_DATA", str(data))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    text = outputs(nb)
    assert "no outgoing mail in the window" in text
    assert "203.0.113.5" in text  # the AUTH failures are still shown
