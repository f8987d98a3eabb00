"""`analyzer watch` on a log that grows between iterations: the sample generator's day,
appended in slices (the cue is the watcher's own iteration, not the wall clock). Each
planted incident is alerted open once, with the right subject, and closed once; a
restart in the middle alerts nothing twice."""

import json
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from conftest import SAMPLE_LOGS, MiniLog
from typer.testing import CliRunner

from analyzer.actions.found import Found
from analyzer.cli.app import app
from analyzer.cli.watch_commands import duration
from analyzer.errors import AnalyzerError
from analyzer.watch import state as alert_state
from analyzer.watch.engine import evaluate
from analyzer.watch.loop import Settings, Watcher, ends, run
from analyzer.watch.outputs import Exec, alert

PLANTED = {
    ("stolen_account", "info@bakery-berlin.example"),
    ("spam_script", "wp-xmlrpc-cache.php of uid 1017"),
    ("relay_spike", "shop@shop-anna.example"),
    ("auth_bruteforce", "203.0.113.66"),
}
SLICES = 12
FIELDS = {"id", "kind", "state", "subject", "severity", "first_seen", "last_seen", "detected_at",
          "title", "summary", "reasons", "hosts", "facts", "actions"}  # fmt: skip


def sample_lines() -> list[str]:
    log = SAMPLE_LOGS / "maillog"
    if log.is_file():
        return log.read_text().splitlines()
    from analyzer.samplegen import generate_postfix

    return generate_postfix()[0]


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """The day appended in SLICES slices, one iteration after each; the watcher is
    replaced by a new one (a restart: state read back from disk) halfway, and that new
    one first iterates once with nothing new."""
    lines = sample_lines()
    base = tmp_path_factory.mktemp("watch")
    log = base / "maillog"
    log.write_text("")
    settings = Settings(paths=[str(log)], data=str(base / "data"), tz="UTC", year=2026)
    alerts: list[dict] = []
    watcher = Watcher(settings, [alerts.append])
    after_restart = None
    for i in range(SLICES):
        if i == SLICES // 2:
            watcher = Watcher(settings, [alerts.append])  # restart
            after_restart = watcher.step().alerts
        part = lines[i * len(lines) // SLICES : (i + 1) * len(lines) // SLICES]
        with open(log, "a") as f:
            f.write("\n".join(part) + "\n")
        assert run(watcher, interval=0, iterations=1) == 1
    return alerts, after_restart, settings


def test_each_planted_incident_is_alerted_open_once_and_closed_once(watched):
    alerts, _, _ = watched
    opened = Counter((a["kind"], a["subject"]) for a in alerts if a["state"] == "open")
    assert set(opened) == PLANTED and set(opened.values()) == {1}
    closed = Counter((a["kind"], a["subject"]) for a in alerts if a["state"] == "closed")
    assert set(closed) == PLANTED - {("spam_script", "wp-xmlrpc-cache.php of uid 1017")} or (
        set(closed) == PLANTED
    )
    assert set(closed.values()) == {1}
    pairs = Counter((a["id"], a["state"]) for a in alerts)
    assert set(pairs.values()) == {1}, "an alert was sent twice"
    for a in alerts:
        assert set(a) == FIELDS
        assert a["detected_at"].endswith("Z") and a["first_seen"].endswith("Z")
    ids = {a["id"] for a in alerts if a["state"] == "open"}
    assert {a["id"] for a in alerts if a["state"] != "open"} <= ids


def test_alerts_carry_the_explanation_and_the_actions(watched):
    alerts, _, _ = watched
    by_kind = {a["kind"]: a for a in alerts if a["state"] == "open"}
    stolen = by_kind["stolen_account"]
    assert stolen["severity"] == "crit" and "client IPs" in stolen["summary"]
    assert stolen["facts"]["identity"] == "sasl:info@bakery-berlin.example"
    refuse = {"what": "refuse_login", "value": "info@bakery-berlin.example", "mta": "postfix"}
    assert refuse in stolen["actions"]
    # live, some of its messages are still in the queue when it is found: held by queue id
    holds = [a for a in stolen["actions"] if a["what"] == "hold_queue"]
    assert holds and all(a["mta"] == "postfix" and a["host"] == "mx1" for a in holds)
    brute = by_kind["auth_bruteforce"]
    assert {"what": "block_ip", "value": "203.0.113.66"} in brute["actions"]
    first = datetime.fromisoformat(brute["first_seen"].replace("Z", "+00:00"))
    assert first.strftime("%H:%M") < "02:10"  # planted from 02:00


def test_a_restart_alerts_nothing_twice(watched):
    alerts, after_restart, settings = watched
    assert after_restart == []
    saved = alert_state.load(settings.data)
    assert saved.newest is not None and saved.newest.startswith("2026-11-26T23:59")
    # one more restart with nothing new: silence
    assert Watcher(settings, []).step().alerts == []


def found(severity: str, subject: str = "victim", first=datetime(2026, 11, 26, 13, tzinfo=UTC)):
    return Found(
        "abc", "stolen_account", severity, subject, "s", ["r"], "t", first, first, {}, subject
    )


def test_escalation_and_closing_follow_severity_and_grace():
    s = alert_state.AlertState()
    t0 = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
    assert [e.state for e in evaluate([found("warn")], s, t0)] == ["open"]
    assert evaluate([found("warn")], s, t0 + timedelta(minutes=1)) == []
    assert [e.state for e in evaluate([found("crit")], s, t0 + timedelta(minutes=2))] == [
        "escalated"
    ]
    assert evaluate([found("warn")], s, t0 + timedelta(minutes=3)) == []  # no de-escalation alert
    assert evaluate([], s, t0 + timedelta(minutes=12)) == []  # within the grace
    closed = evaluate([], s, t0 + timedelta(minutes=13))
    assert [(e.state, e.incident.severity) for e in closed] == [("closed", "crit")]
    assert alert(closed[0])["id"] == "abc" and not s.open


def test_state_is_written_atomically_and_checked(tmp_path):
    s = alert_state.AlertState()
    evaluate([found("crit")], s, datetime(2026, 11, 26, 14, tzinfo=UTC))
    alert_state.save(tmp_path, s)
    assert alert_state.load(tmp_path) == s
    assert not list((tmp_path / "_state").glob("*.tmp"))
    alert_state.path_of(tmp_path).write_text("{half")
    with pytest.raises(AnalyzerError, match="cannot read the watch state"):
        alert_state.load(tmp_path)


def test_exec_runs_no_shell_and_has_a_timeout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    errors: list[str] = []
    Exec("echo $(touch pwned) `touch pwned2`; touch pwned3", on_error=errors.append)(
        {"id": "x", "subject": "$(touch pwned4)"}
    )
    assert not list(tmp_path.iterdir()) and not errors
    Exec("sleep 5", timeout=0.2, on_error=errors.append)({"id": "x"})
    Exec("/nonexistent/cmd", on_error=errors.append)({"id": "x"})
    Exec(f"{sys.executable} -c 'raise SystemExit(3)'", on_error=errors.append)({"id": "x"})
    assert errors[0].startswith("--exec sleep: killed after 0.2 s")
    assert "no such file" in errors[1].lower() and "exit status 3" in errors[2]


def test_durations():
    assert duration("--window", "90m") == timedelta(minutes=90)
    assert duration("--window", "2d") == timedelta(days=2)
    for bad in ("0h", "1x", "h", "-1h"):
        with pytest.raises(AnalyzerError, match="is not a duration"):
            duration("--window", bad)


def test_the_command_alerts_once_across_runs_and_execs(tmp_path):
    log = MiniLog()
    day = datetime(2026, 11, 26, 3)
    for i in range(60):
        log.auth_failure(day + timedelta(seconds=30 * i), "192.0.2.66", f"user{i % 7}")
    path = tmp_path / "maillog"
    path.write_text("\n".join(log.lines) + "\n")
    sink = tmp_path / "exec.jsonl"
    args = ["watch", str(path), "--data", str(tmp_path / "data"), "--tz", "UTC", "--year", "2026",
            "--once", "--exec", f"tee -a {sink}"]  # fmt: skip
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    lines = [json.loads(x) for x in first.stdout.splitlines()]
    assert [(a["kind"], a["state"], a["subject"], a["severity"]) for a in lines] == [
        ("auth_bruteforce", "open", "192.0.2.66", "warn")
    ]
    assert [json.loads(x) for x in sink.read_text().splitlines()] == lines
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and again.stdout == ""
    bad = CliRunner().invoke(app, [*args[:-2], "--window", "soon"])
    assert bad.exit_code == 1 and "is not a duration" in bad.output


def test_a_backlog_is_read_window_by_window():
    t = datetime(2026, 11, 26, 12, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert ends("2026-11-26T11:59:00Z", t, hour, timedelta(days=1)) == [t]
    assert ends("2026-11-26T09:30:00Z", t, hour, timedelta(days=1)) == [
        t - timedelta(minutes=90),
        t - timedelta(minutes=30),
        t,
    ]
    capped = ends("2026-11-20T00:00:00Z", t, hour, timedelta(hours=3))
    assert capped == [t - 2 * hour, t - hour, t]
    assert ends(None, t, hour, 2 * hour) == [t - hour, t]
