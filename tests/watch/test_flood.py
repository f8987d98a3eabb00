"""A flood of incidents (a generated brute force from many IPs) is summarised, not sent
one by one: at most --max-alerts alerts an iteration, then one `summary` alert naming
the rest; the state records every incident, so none is sent later, and their closing is
rate limited the same way."""

from datetime import datetime, timedelta

from conftest import MiniLog

from analyzer.watch import state as alert_state
from analyzer.watch.loop import Settings, Watcher
from analyzer.watch.rate_limit import limit

IPS = 30
MOST = 5


def flood(log: MiniLog, start: datetime, ips: int = IPS) -> None:
    for n in range(ips):
        for i in range(55):
            log.auth_failure(start + timedelta(seconds=30 * i + n), f"198.51.100.{n + 1}", "x")


def test_a_flood_is_summarised_and_never_sent_twice(tmp_path):
    log = MiniLog()
    flood(log, datetime(2026, 11, 26, 3))
    path = tmp_path / "maillog"
    path.write_text("\n".join(log.lines) + "\n")
    settings = Settings(
        paths=[str(path)], data=str(tmp_path / "data"), tz="UTC", year=2026, max_alerts=MOST
    )
    sent: list[dict] = []
    step = Watcher(settings, [sent.append]).step()
    assert step.alerts == sent and step.left_out == IPS - MOST
    assert len(sent) == MOST + 1
    alerts, (summary,) = sent[:MOST], sent[MOST:]
    assert {(a["kind"], a["state"]) for a in alerts} == {("auth_bruteforce", "open")}
    assert summary["kind"] == "summary" and summary["counts"] == {
        "auth_bruteforce": {"open": IPS - MOST}
    }
    assert len(set(summary["left_out"])) == IPS - MOST
    assert not {a["id"] for a in alerts} & set(summary["left_out"])
    saved = alert_state.load(settings.data)
    tracked = {t.id for t in saved.open.values()}
    assert len(tracked) == IPS and tracked == {a["id"] for a in alerts} | set(summary["left_out"])

    # a restart with nothing new: nothing, not the left-out ones either
    assert Watcher(settings, [sent.append]).step().alerts == []

    # the log moves on past the grace: all close, summarised the same way
    later = MiniLog()
    later.auth_failure(datetime(2026, 11, 26, 4, 30), "192.0.2.200", "x")
    with open(path, "a") as f:
        f.write("\n".join(later.lines) + "\n")
    closing = Watcher(settings, [sent.append]).step().alerts
    assert len(closing) == MOST + 1
    assert {a["state"] for a in closing[:MOST]} == {"closed"}
    assert closing[-1]["counts"] == {"auth_bruteforce": {"closed": IPS - MOST}}
    assert not alert_state.load(settings.data).open
    pairs = [(a["id"], a["state"]) for a in sent if a["kind"] != "summary"]
    assert len(pairs) == len(set(pairs)), "an alert was sent twice"


def test_without_a_flood_nothing_changes_and_crit_goes_first():
    few = [{"id": str(i), "kind": "k", "state": "open", "severity": "warn"} for i in range(3)]
    assert limit(few, 3) == (few, [])
    assert limit(few, None) == (few, []) and limit(few, 0) == (few, [])
    mixed = [
        {"id": "a", "state": "closed", "severity": "crit"},
        {"id": "b", "state": "open", "severity": "warn"},
        {"id": "c", "state": "open", "severity": "crit"},
        {"id": "d", "state": "escalated", "severity": "crit"},
    ]
    kept, left = limit(mixed, 2)
    assert [a["id"] for a in kept] == ["c", "d"]  # in their order
    assert [a["id"] for a in left] == ["a", "b"]
