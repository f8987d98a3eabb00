"""The nightly report without a browser: the planted incidents of the sample come out as
incidents named by what an operator acts on, the page carries them with working anchors,
is self-contained and escapes everything; the command's text summary, --quiet, exit
status and the trailing-week comparison."""

import base64
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.config import Thresholds, thresholds_from_flags
from analyzer.nightly import html as report_html
from analyzer.nightly import text as summary_text

DAY = ["--since", "2026-11-26", "--until", "2026-11-27", "--tz", "UTC"]
runner = CliRunner()


def invoke(*args, env=None):
    result = runner.invoke(
        app, [str(a) for a in args], env={"ANALYZER_CONFIG": None, **(env or {})}
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def passwd(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("etc") / "passwd"
    path.write_text(
        "root:x:0:0:root:/root:/bin/bash\n# a comment\n"
        "site1017:x:1017:1017:blog-kochen:/home/site1017:/usr/sbin/nologin\n"
    )
    return path


@pytest.fixture(scope="module")
def day(sample, passwd):
    """The sample day's report (users from the passwd file) and its page."""
    from analyzer.config import read_passwd

    result = api.report(sample.data, "2026-11-26", "2026-11-27", "UTC", users=read_passwd(passwd))
    return result, report_html.render(result)


def test_every_planted_incident_is_found_and_named_by_what_to_act_on(sample, day):
    result, _ = day
    truth = sample.truth["incidents"]
    by_kind = {}
    for inc in result.incidents:
        by_kind.setdefault(inc.kind, []).append(inc)
    assert sorted(by_kind) == ["auth_brute_force", "relay_spike", "sasl_account", "script"]
    assert all(len(v) == 1 for v in by_kind.values()), by_kind  # no false positives
    assert all(i.severity == "crit" for i in result.incidents)

    sasl = by_kind["sasl_account"][0]
    assert sasl.subject == truth["compromised_sasl"]["sasl_username"]
    ips = int(result.top_senders.iloc[sasl.row]["client_ips"])
    assert ips >= truth["compromised_sasl"]["client_ips"]
    assert f"logged in from {ips} client IPs" in sasl.summary

    script = by_kind["script"][0]
    php = truth["php_script"]
    assert php["script"] in script.subject and f"uid {php['uid']}" in script.subject
    assert "site1017" in script.subject  # the user name from --passwd
    assert f"{php['messages']:,} messages" in script.summary

    relay = by_kind["relay_spike"][0]
    spike = truth["relay_spike"]
    assert relay.subject == spike["sender"]
    assert spike["sender_domain"] in relay.summary
    assert (
        f"{spike['count']:,} rejects" in relay.summary
        and "from clients on this server" in relay.summary
    )
    row = result.relay_buckets.iloc[relay.row]
    assert row["start"] == datetime.fromisoformat(spike["start"]).replace(tzinfo=UTC)

    brute = by_kind["auth_brute_force"][0]
    bf = truth["brute_force"]
    assert brute.subject == bf["client_ip"]
    assert f"{bf['failures']:,} failures on {bf['usernames']} usernames" in brute.summary
    assert bf["succeeded_later_as"] in brute.summary

    # each incident points at its own row of the section's table
    assert result.top_senders.iloc[sasl.row]["identity"] == "sasl:" + sasl.subject
    assert result.scripts.iloc[script.row]["script"] == php["script"]
    assert result.auth.iloc[brute.row]["client_ip"] == bf["client_ip"]


def test_totals_equal_the_reports(sample, day):
    result, _ = day
    w = (sample.data, "2026-11-26", "2026-11-27", "UTC")
    senders = api.top_senders(*w)
    assert result.totals["messages_out"] == senders["messages"].sum()
    assert (
        result.totals["local_submissions"]
        == senders.loc[senders["identity"].str.startswith("uid:"), "messages"].sum()
    )
    assert result.totals["relay_denied"] == sample.truth["rejects"]["by_class"]["relay_denied"]
    assert result.totals["auth_failures"] == sample.truth["auth_failures"]["total"]
    assert result.hosts == [sample.truth["host"]]
    # the sample is the first day of the dataset: nothing to compare with
    assert result.history_days == 0 and set(result.previous.values()) == {None}


def test_page_links_every_incident_to_its_row_and_back(day):
    result, page = day
    page = page.split("<script", 1)[0]  # the markup (plotly.js has hrefs of its own)
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    hrefs = re.findall(r'\bhref="([^"]*)"', page)
    assert hrefs and all(h.startswith("#") for h in hrefs), "only in-page links"
    assert {h[1:] for h in hrefs} <= ids, "every link has its target"
    for n, inc in enumerate(result.incidents, 1):
        item = re.search(rf'<li id="incident-{n}"[^>]*>.*?</li>', page, re.S).group(0)
        assert f'href="#{inc.section}-{inc.row}"' in item
        row = re.search(rf'<tr id="{inc.section}-{inc.row}"[^>]*>.*?</tr>', page, re.S).group(0)
        assert f'href="#incident-{n}"' in row
    for section in ("senders", "relay", "scripts", "auth"):
        assert f'<section id="{section}"' in page and f'id="chart-{section}"' in page


def test_page_is_self_contained_with_plotly_inlined_once(day):
    _, page = day
    assert page.count("<script>") == 2  # plotly.js, then the few lines that draw the charts
    assert len(re.findall(r"plotly\.js v\d", page)) == 1
    ours = re.sub(r"<script>.*?</script>", "", page, flags=re.S)  # all but plotly.js itself
    assert not re.search(r"(https?:|//[a-z])", ours.replace("http-equiv", ""), re.I)
    blocks = re.findall(
        r'<script type="application/json" class="chart-data" '
        r'data-chart="chart-(\w+)">(.*?)</script>',
        page,
        re.S,
    )
    assert [name for name, _ in blocks] == ["senders", "relay", "scripts", "auth"]
    for _, text in blocks:
        fig = json.loads(text)
        assert fig["data"] and "<" not in text and ">" not in text


def test_csp_allows_exactly_the_page_scripts(day):
    _, page = day
    csp = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    )
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    hashes = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts}
    assert set(re.findall(r"'sha256-([^']+)'", csp)) == hashes
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("style-src")[0]


def test_embedded_json_cannot_end_its_script_element():
    nasty = json.dumps({"a": "</script><script>alert(1)</script><!-- \u2028 & -->"})
    safe = report_html.embed_json(nasty)
    assert json.loads(safe) == json.loads(nasty)
    for bad in ("</", "<!--", "<", ">", "&", "\u2028"):
        assert bad not in safe


def test_text_summary_puts_incidents_first(day):
    result, _ = day
    text = summary_text.render(result, "/srv/report.html")
    lines = text.splitlines()
    assert lines[0].startswith("Mail report mx1: 2026-11-26 00:00 to 2026-11-27 00:00")
    assert lines[1].startswith("4 incident(s): 4 crit, 0 warn")
    incidents = [line for line in lines[2:] if line.startswith("  ")]
    assert [line[:8] for line in incidents if not line.startswith(" " * 8)] == ["  CRIT  "] * 4
    assert lines[2 + len(incidents)] == ""  # then the totals
    assert "report: /srv/report.html" in lines
    assert len(lines) < 25 and max(map(len, lines)) <= 100


# --- the command -------------------------------------------------------------------------------


def test_command_writes_the_dated_page_prints_the_summary_and_exits_2(sample, passwd, tmp_path):
    out = tmp_path / "reports" / "report-{date}.html"
    result = invoke("report", *DAY, "--data", sample.data, "--html", out, "--passwd", passwd)
    assert result.exit_code == 2, result.output
    page = tmp_path / "reports" / "report-2026-11-26.html"
    assert page.is_file() and page.stat().st_size > 1_000_000
    assert f"report: {page}" in result.stdout
    assert result.stdout.splitlines()[1].startswith("4 incident(s)")
    assert not list(page.parent.glob(".report-*"))  # no temp file left behind


@pytest.mark.parametrize(
    "args,code",
    [
        ([], 2),
        (["--fail-on", "warn"], 2),
        (["--fail-on", "never"], 0),
        (
            [
                "--threshold",
                "auth.failures_crit=100000",
                "--threshold",
                "auth.success_min_failures=100000",
            ],
            2,
        ),  # the other three are still crit
    ],
)
def test_exit_status_follows_fail_on(sample, args, code):
    assert invoke("report", *DAY, "--data", sample.data, *args).exit_code == code


def test_quiet_prints_nothing_without_incidents_and_everything_with(sample):
    calm = [
        "--threshold",
        "senders.min_messages=100000",
        "--threshold",
        "relay.local_warn=100000",
        "--threshold",
        "relay.local_crit=100000",
        "--threshold",
        "scripts.min_messages=100000",
        "--threshold",
        "auth.failures_warn=100000",
        "--threshold",
        "auth.failures_crit=100000",
        "--threshold",
        "auth.success_min_failures=100000",
    ]
    quiet = invoke("report", *DAY, "--data", sample.data, "--quiet", *calm)
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    loud = invoke("report", *DAY, "--data", sample.data, *calm)
    assert loud.exit_code == 0 and "No incidents." in loud.stdout
    warn_only = invoke(
        "report",
        *DAY,
        "--data",
        sample.data,
        "--quiet",
        "--threshold",
        "auth.failures_crit=100000",
        "--threshold",
        "auth.success_min_failures=100000",
        "--threshold",
        "senders.min_messages=100000",
        "--threshold",
        "relay.local_crit=100000",
        "--threshold",
        "scripts.score_crit=100",
    )
    assert warn_only.exit_code == 0  # warn incidents: mailed, but below --fail-on crit
    assert warn_only.stdout.splitlines()[1] == "3 incident(s): 0 crit, 3 warn"
    assert "CRIT" not in warn_only.stdout


def test_errors_exit_1_with_a_message(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "report",
            "--data",
            str(tmp_path / "none"),
            "--html",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ANALYZER_CONFIG": ""},
        cwd=tmp_path,
    )
    assert run.returncode == 1 and "no dataset" in run.stderr and "Traceback" not in run.stderr
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "report",
            "--data",
            str(tmp_path),
            "--threshold",
            "nope=1",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 1 and "SECTION.NAME=VALUE" in run.stderr


# --- quiet windows and the comparison with the trailing week ---------------------------------


@pytest.mark.parametrize(
    "window",
    [("2026-10-01", "2026-10-02"), ("2030-01-01", "2030-01-02")],
    ids=["before-the-data", "after-the-data"],
)
def test_an_empty_window_is_a_report_with_a_no_data_warning(sample, window):
    """No host is invented and no trailing week claimed: the page and the summary say
    "no data" and what the dataset covers."""
    result = api.report(sample.data, *window, "UTC")
    assert [i.kind for i in result.incidents] == ["no_data"]
    assert result.incidents[0].severity == "warn"
    assert result.no_data and result.hosts == []
    assert result.history_days == 0 and set(result.previous.values()) == {None}
    first, last = api.coverage(sample.data)
    covers = f"the dataset covers {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    page = report_html.render(result)
    assert "No outgoing messages in the window." in page and "<script>" not in page
    assert 'data-testid="no-data"' in page and covers in page
    assert "no host" not in page and "avg" not in page and "days of data before" not in page
    text = summary_text.render(result)
    assert text.startswith(f"Mail report: no data from {window[0]} 00:00 to")
    assert covers in text and "no host" not in text and "avg" not in text


def test_trailing_week_gives_each_identity_its_usual_volume(minilog, tmp_path):
    start = datetime(2026, 11, 19, 9, 0)
    rcpt = [("a@gmail.example", "sent")]
    for day in range(7):  # a week of 4 messages a day, then 120 in one day
        for i in range(4):
            minilog.sasl_message(
                start + timedelta(days=day, minutes=10 * i),
                "anna@shop.example",
                "198.51.100.7",
                "anna@shop.example",
                rcpt,
            )
    for i in range(120):
        minilog.sasl_message(
            datetime(2026, 11, 26, 9, 0) + timedelta(minutes=5 * i),
            "anna@shop.example",
            "198.51.100.7",
            "anna@shop.example",
            rcpt,
        )
    data = minilog.ingest(tmp_path)
    result = api.report(data, "2026-11-26", "2026-11-27", "UTC")
    row = result.top_senders.iloc[0]
    assert row["identity"] == "sasl:anna@shop.example" and row["messages"] == 120
    assert result.history_days == pytest.approx(7, abs=0.5)
    assert row["usual"] == pytest.approx(28 / result.history_days, rel=0.01)
    assert result.previous["messages_out"] == pytest.approx(row["usual"], rel=0.01)
    (inc,) = result.incidents
    assert inc.kind == "sasl_account" and inc.severity == "warn"  # 12x: above 5x, below 20x
    assert "12x its usual volume" in inc.summary
    page = report_html.render(result)
    assert "vs 7-day avg 4" in page and "no earlier data" not in page
    stricter = thresholds_from_flags(Thresholds(), ["senders.growth_crit=10"])
    assert (
        api.report(data, "2026-11-26", "2026-11-27", "UTC", thresholds=stricter)
        .incidents[0]
        .severity
        == "crit"
    )
