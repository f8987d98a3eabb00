"""Scripts are grouped by (host, identity, script) on a generated fleet: the same uid and
script on two servers are two rows and two incidents, each naming its host in the subject
("wp-xmlrpc-cache.php of uid 1017 on mx1"), the summary ("(on mx1)") and `hosts`; one
host's dataset reads as before; the host is in the JSON document, the nightly page, the
alerts (JSON `hosts`, text `Where:`, syslog `hosts=`) and the stop_script action, which
`watch --apply` runs only on the script's own host."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import pytest
from fleet_data import generated_fleet, ingest_fleet, spam_script

from analyzer import api
from analyzer.actions.allowlist import Allowlist
from analyzer.actions.apply import Applier
from analyzer.actions.formats import render as render_actions
from analyzer.actions.propose import propose
from analyzer.config import ActionsConfig
from analyzer.fleet.layout import host_dataset
from analyzer.nightly import html, text
from analyzer.nightly.document import document
from analyzer.watch import mail_text, syslog_line
from analyzer.watch.loop import Settings, Watcher

SCRIPT = "wp-xmlrpc-cache.php"  # what Postfix's pickup names (uid 1017's spam script)
POSTFIX_HOSTS = ["mx1", "mx3"]
EXIM_HOST = "mx2"  # Exim logs the script's directory: a path, so a stop_script action


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("script-hosts")
    truth = generated_fleet(root)
    data = ingest_fleet(root, truth, root / "data")
    return root, truth, data, api.report(data, None, None, "UTC")


def script_incidents(report) -> list:
    return [i for i in report.incidents if i.kind == "script"]


def test_the_same_script_on_two_hosts_is_two_rows(fleet):
    _, truth, data, _ = fleet
    scripts = api.suspicious_scripts(data, since=None, until=None, tz="UTC")
    ours = scripts[(scripts["uid"] == 1017) & (scripts["script"] == SCRIPT)]
    assert sorted(ours["host"]) == POSTFIX_HOSTS
    for row in ours.itertuples():
        assert row.messages == spam_script(truth, row.host)["messages"]


def test_script_incidents_name_their_host(fleet):
    _, truth, _, report = fleet
    incidents = {tuple(i.hosts): i for i in script_incidents(report)}
    assert sorted(incidents) == [("mx1",), ("mx2",), ("mx3",)]
    for host in POSTFIX_HOSTS:
        inc = incidents[(host,)]
        assert inc.subject == f"{SCRIPT} of uid 1017 on {host}"
        assert inc.summary.endswith(f"(on {host})")
        assert inc.summary.startswith(f"{spam_script(truth, host)['messages']:,} messages")
    exim = incidents[(EXIM_HOST,)]
    assert exim.subject.endswith(f" on {EXIM_HOST}") and "uploads" in exim.subject


def test_one_hosts_dataset_reads_as_before(fleet):
    _, _, data, _ = fleet
    alone = api.report(host_dataset(data, "mx1"), None, None, "UTC")
    (inc,) = [i for i in script_incidents(alone) if SCRIPT in i.subject]
    assert inc.subject == f"{SCRIPT} of uid 1017"
    assert "(on " not in inc.summary and inc.hosts == ["mx1"]


def test_hosts_in_the_document_the_page_and_the_text(fleet):
    _, _, _, report = fleet
    doc = json.loads(json.dumps(document(report)))
    rows = doc["sections"]["scripts"]
    for inc in (i for i in doc["incidents"] if i["kind"] == "script"):
        assert inc["hosts"] == [rows[inc["row"]]["host"]]
        assert inc["subject"].endswith(f" on {inc['hosts'][0]}")
    page = html.render(report)
    section = page[page.index('id="scripts"') :]
    assert ">host</th>" in section[: section.index("</thead>")]
    assert f"{SCRIPT} of uid 1017 on mx3" in page
    assert f"{SCRIPT} of uid 1017 on mx1" in text.render(report)
    fleet_rows = {r["host"]: r for r in doc["fleet"]}
    for host in ("mx1", "mx2", "mx3"):  # each host's script incident is counted there
        assert fleet_rows[host]["incidents"] == sum(host in i["hosts"] for i in doc["incidents"])


def test_stop_script_names_its_host(fleet):
    _, _, data, _ = fleet
    plan = propose(data, since=None, tz="UTC")
    stops = [a for a in plan.actions if a.what == "stop_script"]
    assert stops and {a.host for a in stops} == {EXIM_HOST}
    locates = {a.host for a in plan.actions if a.what == "locate_script" and a.value == SCRIPT}
    assert locates == set(POSTFIX_HOSTS)
    sh = render_actions(plan, "sh")
    assert f"# stop the script (uid ?, on host {EXIM_HOST})" in sh  # Exim logs no uid
    for host in POSTFIX_HOSTS:
        assert f"file name (uid 1017, on host {host}); find it" in sh


def fake_chmod(directory) -> tuple[str, object]:
    calls = directory / "chmod.calls"
    script = directory / "chmod"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    script.chmod(0o755)
    return str(script), calls


@pytest.mark.parametrize("queue_host", [EXIM_HOST, "mx1"])
def test_alerts_name_the_host_and_apply_runs_only_its_own_hosts_script(fleet, tmp_path, queue_host):
    """`watch --apply` on one dataset of the whole fleet: the spam-script alerts carry
    their host (JSON, text, syslog); the stop_script of mx2's script runs on mx2 only."""
    root, truth, _, _ = fleet
    data = ingest_fleet(root, truth, tmp_path / "data", one_dataset=True)
    chmod, calls = fake_chmod(tmp_path)
    config = ActionsConfig(
        apply=("stop_script",), severity="warn", queue_host=queue_host, chmod=chmod
    )
    applier = Applier(config, Allowlist(), tmp_path / "actions.log")
    settings = Settings(
        paths=[str(root / "logs" / "mx1")],
        data=str(data),
        tz="UTC",
        host="mx1",
        catch_up=timedelta(hours=5),  # from before the scripts' burst (20:10-21:10)
        grace=timedelta(days=1),  # still open at the end: its actions are due
        applier=applier,
        max_alerts=None,
        max_per_hour=None,
        compact_every=None,
    )
    alerts: list[dict] = []
    step = Watcher(settings, [alerts.append]).step()
    opened = [a for a in alerts if a["kind"] == "spam_script" and a["state"] == "open"]
    assert {tuple(a["hosts"]) for a in opened} == {("mx1",), ("mx2",), ("mx3",)}
    for a in opened:
        host = a["hosts"][0]
        assert a["subject"].endswith(f" on {host}")
        assert f"\nWhere:    {host}\n" in mail_text.render(a)
        assert f' hosts="{host}"' in syslog_line.message(a)
        assert all(x.get("host") == host for x in a["actions"] if "script" in x["what"])
    stops = [o for o in step.outcomes if o.action.what == "stop_script"]
    assert stops and all(o.action.host == EXIM_HOST for o in stops)
    if queue_host == EXIM_HOST:
        assert {o.result for o in stops} == {"applied"}
        assert [c[:2] for c in map(json.loads, calls.read_text().splitlines())] == [
            ["000", "--"]
        ] * len(stops)
    else:
        assert {o.result for o in stops} == {"refused"}
        assert {o.reason for o in stops} == {"a script on host mx2, not on this one (mx1)"}
        assert not calls.exists()
