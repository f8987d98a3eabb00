"""The checkpoint's declaration (`analyzer.dataset.checkpoint`): every part of the open
state is owned by one concern of the correlator, the correlator saves exactly the
declared parts, and a dataset whose checkpoint is in the previous format (version 1, as
the code before open.sqlite wrote it) is ingested further into exactly what one
uninterrupted run gives."""

import json
from datetime import datetime

import pandas as pd
import pytest
from helpers import assert_same_dataset, ingest, table

from analyzer import api
from analyzer.correlate import Correlator
from analyzer.correlate.core import Correlator as CoreCorrelator
from analyzer.dataset import checkpoint
from analyzer.dataset.openstate import Keyed, OpenStore
from analyzer.samplegen.deferred import deferred_run
from analyzer.samplegen.mta import generate_mta
from analyzer.samplegen.postfix import generate_postfix

# What version 1 held: the correlator's state() of the time, the per-entry parts as lists.
V1_PARTS = (
    "now",
    "messages",
    "sessions",
    "closing",
    "logins",
    "auth_seen",
    "held",
    "handoffs",
    "cwds",
    "php",
    "php_seen",
    "joins",
)


def test_each_part_is_owned_by_one_concern_that_saves_it():
    owners = {base.OWNER for base in CoreCorrelator.__mro__ if "OWNER" in vars(base)}
    assert owners == {p.owner for p in checkpoint.PARTS}
    assert len(checkpoint.KEYS) == len(set(checkpoint.KEYS))
    state = Correlator(lambda table, row: None).state()
    assert list(state) == list(checkpoint.KEYS)
    assert [k for k, p in zip(state, checkpoint.PARTS) if isinstance(state[k], Keyed)] == [
        p.key for p in checkpoint.PARTS if p.per_entry
    ]


def test_a_concern_that_saves_another_part_is_caught():
    with pytest.raises(AssertionError, match="sessions concern saves"):
        checkpoint.assemble({checkpoint.SESSIONS: {"sessions": {}, "cwds": []}})
    with pytest.raises(AssertionError, match="no concern saved"):
        checkpoint.assemble({checkpoint.CORE: {"now": 0, "messages": {}, "closing": []}})


def test_an_older_open_state_is_made_current():
    """Version 1: lists of entries, logins without `last_seen`, later parts absent."""
    login = {"ts": 5, "client_ip": "192.0.2.1", "sasl_method": "PLAIN", "sasl_username": "a"}
    old = {
        "now": 7,
        "messages": [{"host": "mx", "queue_id": "Q1", "first_seen": 1}],
        "sessions": [{"host": "mx", "program": "smtpd", "pid": 3, "ts": 2}],
        "logins": [["mx", "sm-mta", 9, login]],
    }
    state = checkpoint.open_parts(json.loads(json.dumps(old)))
    assert list(state) == list(checkpoint.KEYS)
    assert isinstance(state["messages"], Keyed) and list(state["messages"]) == [("mx", "Q1")]
    assert list(state["sessions"]) == [("mx", "smtpd", 3)]
    assert state["logins"][0][3]["last_seen"] == 5
    assert state["filter_links"] == [] and state["mta_hosts"] == {}
    assert state["php_joins"] == {"joined": 0, "unjoined": {}, "hosts": {}}
    assert state["closing"] == [] and state["php_seen"] is False and state["now"] == 7


def _as_version_1(data):
    """Rewrite a dataset's checkpoint as the code before open.sqlite wrote it: state.json
    version 1 with the open state inline under `correlator` (only the parts of the time,
    per-entry parts as lists of their entries), no list of parts, no open.sqlite."""
    state_dir = data / "_state"
    state = json.loads((state_dir / "state.json").read_text())
    store = OpenStore(state_dir)
    store.rollback(state["commit"])
    saved = store.load()
    store.close()
    inline = {
        key: list(saved[key].values()) if isinstance(saved.get(key), Keyed) else saved.get(key)
        for key in V1_PARTS
    }
    inline["messages"] = inline["messages"] or []
    inline["sessions"] = inline["sessions"] or []
    for name in ("open.sqlite", "open.sqlite-wal", "open.sqlite-shm"):
        (state_dir / name).unlink(missing_ok=True)
    state.pop("parts", None)
    state.update(version=1, correlator={k: v for k, v in inline.items() if v is not None})
    (state_dir / "state.json").write_text(json.dumps(state))
    return inline


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


START = datetime(2026, 11, 26, 9, 0, 0)


def _sendmail(tmp_path):
    """Sendmail (AUTH logins, failures) with its PHP mail.log, cut in the middle."""
    lines, _, php_lines, _ = generate_mta(
        "sendmail", seed=5, start=START, days=0.25, messages_per_day=4000, php_log=True
    )
    php = _write(tmp_path / "php_mail.log", php_lines)
    carried = ("messages", "closing", "logins", "auth_seen", "php")
    return lines, len(lines) // 2, [php], carried


def _postfix(tmp_path):
    """Postfix with messages that stay deferred, cut just after a connection opened."""
    lines, _ = generate_postfix(seed=3, days=0.25, start=START, messages_per_day=3000)
    lines = sorted(lines + list(deferred_run(START, 150)), key=lambda line: line[:15])
    cut = next(i for i in range(len(lines) // 2, len(lines)) if ": connect from" in lines[i])
    return lines, cut + 1, [], ("messages", "sessions", "closing")


@pytest.mark.parametrize("logs", [_sendmail, _postfix])
def test_a_version_1_checkpoint_is_ingested_further_as_one_run(tmp_path, logs):
    """Split by a version 1 checkpoint (as the code before open.sqlite wrote it), then
    continued by today's code: the dataset is the uninterrupted run's."""
    lines, cut, others, carried = logs(tmp_path)
    ingest([*others, _write(tmp_path / "full.log", lines)], tmp_path / "clean", year=2026)

    data = tmp_path / "d"
    maillog = _write(tmp_path / "maillog", lines[:cut])
    ingest([*others, maillog], data, year=2026)
    before = {name: table(data, name) for name in ("messages", "php_mail", "connections")}
    inline = _as_version_1(data)
    for key in carried:
        assert inline[key], f"the split carries no {key}: the test would prove less"
    assert json.loads((data / "_state" / "state.json").read_text())["version"] == 1
    status = api.status(data)  # read as it is
    assert status["open_messages"] == len(inline["messages"])
    assert status["open_sessions"] == len(inline["sessions"])
    assert status["php_mail"]["waiting"] == sum(not e["claimed"] for e in inline["php"] or ())
    for name, frame in before.items():  # open rows included, as from open.sqlite
        pd.testing.assert_frame_equal(table(data, name), frame)

    _write(maillog, lines)  # the log grew: the run goes on from the inline open state
    ingest([*others, maillog], data, year=2026)
    after = json.loads((data / "_state" / "state.json").read_text())
    assert after["version"] == checkpoint.VERSION and "correlator" not in after
    assert (data / "_state" / "open.sqlite").exists()
    assert_same_dataset(tmp_path / "clean", data)
