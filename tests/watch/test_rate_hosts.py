"""The hourly alert budget (on top of the per-iteration flood summary) and `--host`
on `watch` and `actions`. The watcher's clock is injected: the hour is the program's
notion of time, not the test's wall clock."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import MiniLog
from typer.testing import CliRunner

from analyzer.cli.app import app
from analyzer.watch import state as alert_state
from analyzer.watch.loop import Settings, Watcher
from analyzer.watch.rate_limit import throttle

T0 = datetime(2026, 11, 26, 3)
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def brute_forces(ips: list[str], start: datetime = T0, host: str = "mx1") -> list[str]:
    log = MiniLog()
    for n, ip in enumerate(ips):
        for i in range(55):
            log.auth_failure(start + timedelta(seconds=n + 30 * i), ip, f"u{i % 4}")
    return [line.replace(" mx1 ", f" {host} ", 1) for line in log.lines]


def made(n: int, tag: str = "") -> list[dict]:
    return [
        {"id": f"{tag}{i:04d}", "kind": "auth_bruteforce", "state": "open", "severity": "warn",
         "first_seen": "2026-11-26T03:00:00Z", "last_seen": "2026-11-26T03:30:00Z"}
        for i in range(n)
    ]  # fmt: skip


def test_the_hourly_budget_holds_the_rest_for_one_summary():
    state = alert_state.AlertState()
    first, left = throttle(made(8, "a"), state, most=20, per_hour=5, now=NOW)
    assert [a["id"] for a in first[:5]] == [f"a{i:04d}" for i in range(5)]
    assert first[5]["kind"] == "summary" and first[5]["left_out"] == [
        f"a{i:04d}" for i in range(5, 8)
    ]
    assert len(left) == 3 and len(state.sent) == 6
    # the hour's budget is spent: held, nothing sent
    later, left = throttle(made(4, "b"), state, 20, 5, NOW + timedelta(minutes=10))
    assert (
        later == []
        and len(left) == 4
        and [h["id"] for h in state.held] == [f"b{i:04d}" for i in range(4)]
    )
    # still within the hour of the first alerts: nothing, even with nothing new
    assert throttle([], state, 20, 5, NOW + timedelta(minutes=59))[0] == []
    # an hour on: the held ones come as one summary
    released, _ = throttle([], state, 20, 5, NOW + timedelta(minutes=61))
    assert [a["kind"] for a in released] == ["summary"]
    assert released[0]["left_out"] == [f"b{i:04d}" for i in range(4)] and state.held == []
    # without an hourly limit: only the per-iteration summary
    sent, _ = throttle(made(8), alert_state.AlertState(), 5, None, NOW)
    assert len(sent) == 6 and sent[-1]["kind"] == "summary"


def test_the_budget_survives_a_restart(tmp_path):
    log = tmp_path / "maillog"
    log.write_text("\n".join(brute_forces([f"192.0.2.{i}" for i in range(1, 11)])) + "\n")
    settings = Settings(paths=[str(log)], data=str(tmp_path / "data"), tz="UTC", year=2026,
                        max_per_hour=4)  # fmt: skip
    clock = [NOW]
    sent: list[dict] = []

    def watcher() -> Watcher:
        return Watcher(settings, [sent.append], clock=lambda: clock[0])

    watcher().step()
    assert [a["kind"] for a in sent].count("auth_bruteforce") == 4
    assert sent[-1]["kind"] == "summary" and len(sent[-1]["left_out"]) == 6
    with open(log, "a") as f:  # five more IPs, and a restart
        lines = brute_forces([f"198.51.100.{i}" for i in range(1, 6)], T0 + timedelta(minutes=30))
        f.write("\n".join(lines) + "\n")
    sent.clear()
    clock[0] = NOW + timedelta(minutes=20)
    step = watcher().step()
    assert step.alerts == [] and sent == [] and step.left_out == 5
    held = [h["id"] for h in alert_state.load(settings.data).held]
    assert len(held) == 5
    clock[0] = NOW + timedelta(minutes=65)
    watcher().step()
    assert [a["kind"] for a in sent] == ["summary"] and sent[0]["left_out"] == held


def two_hosts(tmp_path: Path) -> Path:
    log = tmp_path / "maillog"
    lines = brute_forces(["192.0.2.1"], host="mx1") + brute_forces(["192.0.2.2"], host="mx2")
    log.write_text("\n".join(sorted(lines, key=lambda x: x[:15])) + "\n")
    return log


def test_watch_evaluates_only_the_hosts_asked_for(tmp_path):
    log = two_hosts(tmp_path)
    alerts: list[dict] = []
    settings = Settings(paths=[str(log)], data=str(tmp_path / "data"), tz="UTC", year=2026,
                        hosts=["mx2"])  # fmt: skip
    Watcher(settings, [alerts.append]).step()
    assert [(a["kind"], a["subject"]) for a in alerts] == [("auth_bruteforce", "192.0.2.2")]
    out = CliRunner().invoke(app, ["watch", str(log), "--data", str(tmp_path / "d2"), "--tz",
                                   "UTC", "--year", "2026", "--once", "--hosts", "mx1",
                                   "--output", "json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert '"subject": "192.0.2.1"' in out.stdout and "192.0.2.2" not in out.stdout


def test_actions_takes_host_like_the_reports(tmp_path):
    log = two_hosts(tmp_path)
    data = tmp_path / "data"
    assert CliRunner().invoke(app, ["ingest", str(log), "--data", str(data), "--tz", "UTC",
                                    "--year", "2026"]).exit_code == 0  # fmt: skip
    base = ["actions", "--data", str(data), "--since", "all", "--tz", "UTC", "-f", "nft"]
    both = CliRunner().invoke(app, base)
    assert "{ 192.0.2.1 }" in both.stdout and "{ 192.0.2.2 }" in both.stdout
    one = CliRunner().invoke(app, [*base, "--host", "mx1"])
    assert one.exit_code == 0, one.output
    assert "{ 192.0.2.1 }" in one.stdout and "192.0.2.2" not in one.stdout
    none = CliRunner().invoke(app, [*base, "--host", "mx9"])
    assert none.exit_code == 0 and "add element" not in none.stdout
    assert "no host mx9 in the dataset; its hosts: mx1, mx2" in none.stderr
