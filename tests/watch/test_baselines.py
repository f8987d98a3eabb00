"""Per-identity baselines on generated history: a quiet account that suddenly sends 40
in half an hour is a `volume_anomaly`, a busy account sending its usual 40 an hour is
not, an account that never sent is judged by the floor; the same rule reaches the
nightly report's incidents, `actions` and `watch`."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from conftest import MiniLog

from analyzer.actions.allowlist import Allowlist
from analyzer.actions.found import found_in
from analyzer.actions.plan import plan
from analyzer.config import BaselineThresholds, Thresholds, from_dict
from analyzer.nightly.model import build
from analyzer.reports.baselines import volume_incidents
from analyzer.watch.loop import Settings, Watcher

DAYS = [datetime(2026, 11, 20) + timedelta(days=d) for d in range(5)]
BURST = datetime(2026, 11, 25, 10, 0)
RCPT = [("someone@dest.example", "sent")]


def history() -> MiniLog:
    log = MiniLog()
    for day in DAYS:
        for hour in range(8, 16):
            t = day + timedelta(hours=hour)
            for i in range(3):  # quiet: 3 an hour in office hours
                log.sasl_message(t + timedelta(minutes=20 * i), "quiet@ex.example", "192.0.2.10",
                                 "quiet@ex.example", RCPT)  # fmt: skip
            for i in range(40):  # busy: 40 an hour
                log.sasl_message(t + timedelta(seconds=90 * i), "busy@ex.example", "192.0.2.11",
                                 "busy@ex.example", RCPT)  # fmt: skip
    for i in range(40):  # the quiet account's burst: 40 in 30 minutes
        log.sasl_message(BURST + timedelta(seconds=45 * i), "quiet@ex.example", "192.0.2.10",
                         "quiet@ex.example", RCPT)  # fmt: skip
    for i in range(45):  # the busy one: its usual
        log.sasl_message(BURST + timedelta(seconds=80 * i), "busy@ex.example", "192.0.2.11",
                         "busy@ex.example", RCPT)  # fmt: skip
    for i in range(35):  # a local account that never sent before
        log.local_message(BURST + timedelta(seconds=50 * i), 1017, "mailer.php",
                          "site1017@ex.example", RCPT)  # fmt: skip
    return log


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    base = tmp_path_factory.mktemp("baselines")
    log = history()
    return log.ingest(base), base, log


def test_the_nightly_report_finds_the_accounts_above_their_own_history(dataset):
    data, _, _ = dataset
    report = build(data, "2026-11-25T10:00", "2026-11-25T11:00", "UTC", users={1017: "site1017"})
    anomalies = {i.subject: i for i in report.incidents if i.kind == "volume_anomaly"}
    assert set(anomalies) == {"quiet@ex.example", "uid 1017 (site1017)"}
    quiet = anomalies["quiet@ex.example"]
    assert quiet.severity == "warn" and quiet.section == "volume"
    assert "40 messages in 60 minutes from 10:00 UTC" in quiet.reasons[0]
    assert "usually 3 an hour" in quiet.reasons[1] and "13x its usual" in quiet.reasons[1]
    assert "never sent before" in anomalies["uid 1017 (site1017)"].reasons[1]
    row = report.volume.iloc[quiet.row]
    assert row["identity"] == "sasl:quiet@ex.example" and row["usual"] == 3.0
    busy = report.volume[report.volume["identity"] == "sasl:busy@ex.example"].iloc[0]
    assert busy["usual"] == 40.0 and busy["peak"] == 45  # its usual: no incident


def test_the_live_kind_and_its_actions(dataset):
    data, _, _ = dataset
    report = build(data, "2026-11-25T10:00", "2026-11-25T11:00", "UTC")
    found = {f.subject: f for f in found_in(report)}
    quiet = found["quiet@ex.example"]
    assert quiet.kind == "volume_anomaly" and quiet.facts["identity"] == "sasl:quiet@ex.example"
    assert quiet.first_seen == BURST.replace(tzinfo=UTC)
    actions = plan(found.values(), Allowlist())
    assert ("refuse_login", "quiet@ex.example") in {(a.what, a.value) for a in actions.actions}


def test_too_little_history_is_no_baseline(dataset):
    data, _, _ = dataset
    t = Thresholds(baselines=BaselineThresholds(min_days=6))
    report = build(data, "2026-11-25T10:00", "2026-11-25T11:00", "UTC", thresholds=t)
    assert not [i for i in report.incidents if i.kind == "volume_anomaly"]
    assert report.volume["usual"].isna().all()


def test_watch_alerts_it_from_the_same_rule(dataset, tmp_path):
    _, _, log = dataset
    maillog = tmp_path / "maillog"
    maillog.write_text("\n".join(log.lines) + "\n")
    alerts: list[dict] = []
    settings = Settings(paths=[str(maillog)], data=str(tmp_path / "data"), tz="UTC", year=2026)
    Watcher(settings, [alerts.append]).step()
    opened = {(a["kind"], a["subject"]) for a in alerts if a["state"] == "open"}
    assert ("volume_anomaly", "quiet@ex.example") in opened
    assert not any(s == "busy@ex.example" for _, s in opened)


def test_factor_and_floor_set_the_severity():
    t = BaselineThresholds()
    frame = pd.DataFrame(
        {
            "identity": ["sasl:a", "sasl:b", "sasl:c", "uid:7", "sasl:d"],
            "messages": [500, 29, 90, 90, 10],
            "peak": [400, 29, 90, 90, 10],
            "peak_start": [pd.Timestamp("2026-11-25T10:00Z")] * 5,
            "usual": [10.0, 0.0, 20.0, 5.0, float("nan")],
            "history_days": [7.0] * 5,
        }
    )
    got = [(i.subject, i.severity) for i in volume_incidents(frame, t, {7: "web"})]
    # a: 40x and above the crit floor; b: under the floor; c: 4.5x; 7: 18x; d: no history
    assert got == [("a", "crit"), ("uid 7 (web)", "warn")]


def test_the_thresholds_are_configurable():
    cfg = from_dict({"thresholds": {"baselines": {"factor_warn": 3, "floor_warn": 10}}})
    assert cfg.thresholds.baselines.factor_warn == 3.0 and cfg.thresholds.baselines.floor_warn == 10


def test_the_page_has_the_accounts_section_each_incident_links_to(dataset):
    """Every `volume_anomaly`'s details link on the nightly page reaches its account's row
    in the page's volume section, which lists the accounts furthest above their usual first."""
    import re

    from analyzer.nightly.html import render

    data, _, _ = dataset
    report = build(data, "2026-11-25T10:00", "2026-11-25T11:00", "UTC", users={1017: "site1017"})
    page = render(report)
    section = page[page.index('<section id="volume"') :]
    section = section[: section.index("</section>")]
    anomalies = [i for i in report.incidents if i.kind == "volume_anomaly"]
    assert anomalies
    for inc in anomalies:
        assert f'href="#volume-{inc.row}"' in page
        assert f'<tr id="volume-{inc.row}"' in section
    ids = [int(n) for n in re.findall(r'<tr id="volume-(\d+)"', section)]
    factors = report.volume["factor"].fillna(-1.0).tolist()
    flagged = [r for r in ids if r in {i.row for i in anomalies}]
    assert ids[: len(flagged)] == flagged  # the incidents' rows first
    assert [factors[r] for r in flagged] == sorted((factors[r] for r in flagged), reverse=True)
    assert "quiet@ex.example" in section and 'href="#volume"' in page
