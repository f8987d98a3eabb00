"""Log lines are attacker-controlled. Postfix lines crafted by hand carry script payloads in
the HELO, the envelope sender, the SASL username (of a login and of a failed AUTH) and
the PHP script name — in amounts that make each one an incident, so it reaches the
headline, the tables and the charts. In headless Chromium no payload runs (they would
set `window.__pwned` or open an `alert`), none becomes an element or an attribute, and
each one is visible as text, hover texts included. JSON and CSV stay valid."""

import csv
import io
import json
import re
from datetime import datetime, timedelta

import pytest
from browser import Browser
from conftest import MiniLog
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.nightly import html as report_html
from analyzer.nightly import text as summary_text

# The Postfix patterns read an address or a HELO up to the first `>` (as Postfix writes
# them, in <...>), so the payloads of those two fields do without one; the SASL username
# and the script name are read to the end of their field and carry whole tags.
HELO = "<img src=x onerror=window.__pwned=1;alert(1)//"
SENDER = "javascript:window.__pwned=1//'\"<svg/onload=alert(2)//@evil-shop.example"
SASL_USER = '"><img src=x onerror=window.__pwned=1;alert(3)>'
AUTH_USER = "<script>window.__pwned=1;alert(4)</script><!--"
SCRIPT = "x</script><script>window.__pwned=1;alert(5)</script>.php"
PAYLOADS = {"helo": HELO, "sender": SENDER, "sasl": SASL_USER, "auth": AUTH_USER, "script": SCRIPT}
W = ("2026-11-26", "2026-11-27", "UTC")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A day of mail where every payload is an incident."""
    log = MiniLog()
    day = datetime(2026, 11, 26)
    for hour in range(10):  # internet relay probes: the baseline
        log.relay_reject(
            day + timedelta(hours=hour, minutes=7),
            f"198.51.100.{hour + 1}",
            "spam@probe.example",
            "victim@gmail.example",
        )
    for i in range(60):  # a local app trying to relay: helo + sender payloads
        log.relay_reject(
            day + timedelta(hours=10, seconds=50 * i),
            "127.0.0.1",
            SENDER,
            f"customer{i}@gmail.example",
            helo=HELO,
            name="localhost",
        )
    for i in range(60):  # a stolen account: 60 messages from 12 IPs in one hour
        log.sasl_message(
            day + timedelta(hours=13, seconds=55 * i),
            SASL_USER,
            f"203.0.113.{i % 12 + 100}",
            "billing@evil-shop.example",
            [(f"rcpt{i}@gmail.example", "sent")],
        )
    for i in range(120):  # a spam script: burst, fan-out, bounces
        status = "bounced" if i % 3 == 0 else "sent"
        log.local_message(
            day + timedelta(hours=20, seconds=25 * i),
            1005,
            SCRIPT,
            "site1005@mx1.example",
            [(f"x{i}@domain{i}.example", status)],
        )
    for i in range(60):  # AUTH brute force with the username payload
        log.auth_failure(day + timedelta(hours=3, seconds=30 * i), "192.0.2.66", AUTH_USER)
    return log.ingest(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def report(hostile):
    result = api.report(hostile, *W)
    return result, report_html.render(result)


def test_every_payload_is_an_incident_and_none_is_in_the_page_raw(report):
    result, page = report
    kinds = {i.kind: i for i in result.incidents}
    assert set(kinds) == {"relay_spike", "sasl_account", "script", "auth_brute_force"}
    assert kinds["relay_spike"].subject == SENDER.lower()
    assert kinds["sasl_account"].subject == SASL_USER
    assert SCRIPT in kinds["script"].subject
    for name, payload in PAYLOADS.items():
        assert payload not in page, f"the {name} payload is in the page unescaped"
        assert payload.lower() not in page
    markup = page.split("<script", 1)[0]
    hrefs = re.findall(r'href="([^"]*)"', markup)
    assert hrefs and all(h.startswith("#") for h in hrefs), "no link made from data"


def test_text_summary_and_machine_outputs_stay_plain_and_valid(hostile, report):
    result, _ = report
    text = summary_text.render(result)
    assert SASL_USER in text and "\x1b" not in text
    runner = CliRunner()
    for args in (
        ["top-senders", "--by", "sasl"],
        ["relay-spikes"],
        ["auth-failures"],
        ["suspicious-scripts"],
    ):
        for fmt in ("json", "csv"):
            res = runner.invoke(
                app,
                [
                    *args,
                    "--since",
                    W[0],
                    "--until",
                    W[1],
                    "--tz",
                    W[2],
                    "--data",
                    str(hostile),
                    "--format",
                    fmt,
                ],
            )
            assert res.exit_code == 0, res.output
            if fmt == "json":
                assert json.loads(res.stdout)
            else:
                rows = list(csv.reader(io.StringIO(res.stdout)))
                assert len({len(r) for r in rows}) == 1 and len(rows) > 1


@pytest.fixture(scope="module")
def page(report, tmp_path_factory):
    _, text = report
    path = tmp_path_factory.mktemp("page") / "hostile.html"
    path.write_text(text, encoding="utf-8")
    try:
        browser = Browser()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    tab = browser.page()
    tab.open(path.as_uri())
    tab.evaluate("""new Promise(done => (function wait(n) {
        const charts = [...document.querySelectorAll('.chart')];
        if (charts.every(c => c.querySelector('.main-svg')) || n > 500) done(true);
        else setTimeout(() => wait(n + 1), 20); })(0))""")
    tab.settle(0.5)
    yield tab
    tab.close()
    browser.close()


def test_no_payload_runs(page):
    # hover every point of every chart: hover texts are HTML too
    page.evaluate("""(() => {
        for (const div of document.querySelectorAll('.chart')) {
          (div._fullData || []).forEach((t, c) => {
            for (let p = 0; p < Math.min((t.x || []).length, 50); p++) {
              Plotly.Fx.hover(div, [{curveNumber: c, pointNumber: p}]);
            }
          });
        }
        return true; })()""")
    page.settle(0.5)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs() == []
    assert page.console_errors() == []  # a CSP refusal would be logged here


def test_no_payload_becomes_markup(page):
    found = page.evaluate("""(() => {
        const out = [];
        for (const el of document.querySelectorAll('*')) {
          if (['IMG', 'IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName)) out.push(el.tagName);
          if (el.tagName === 'SCRIPT' && !['', 'application/json'].includes(el.type))
            out.push('script type ' + el.type);
          for (const a of el.attributes) {
            if (/^on/i.test(a.name)) out.push(el.tagName + ' ' + a.name);
            if (/^\\s*javascript:/i.test(a.value)) out.push(el.tagName + ' ' + a.name + '=js');
          }
        }
        const scripts = [...document.querySelectorAll('script:not([type])')].length;
        if (scripts !== 2) out.push(scripts + ' executable scripts');
        return out; })()""")
    assert found == []


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_payload_is_visible_as_text(page, name):
    payload = PAYLOADS[name]
    if name in ("helo", "sender"):
        payload = payload.lower()  # grouped lower-cased, as the report shows them
    text = page.evaluate("document.body.innerText")
    assert payload in text


def test_chart_labels_and_hover_texts_show_the_payload_as_text(page):
    legend = page.evaluate("""[...document.querySelectorAll('#chart-senders .legendtext')]
        .map(e => e.textContent)""")
    assert "sasl:" + SASL_USER in legend
    labels = page.evaluate("""[...document.querySelectorAll('#chart-scripts .textpoint')]
        .map(e => e.textContent)""")
    assert f"uid 1005: {SCRIPT}" in labels
    hover = page.evaluate("""(() => {
        const div = document.getElementById('chart-scripts');
        const i = div._fullData[0].text.findIndex(t => t.includes('1005'));
        Plotly.Fx.hover(div, [{curveNumber: 0, pointNumber: i}]);
        return document.querySelector('#chart-scripts .hoverlayer').textContent; })()""")
    assert SCRIPT in hover
    hover = page.evaluate("""(() => {
        const div = document.getElementById('chart-senders');
        const c = div._fullData.findIndex(t => t.name.includes('img'));
        const p = [...div._fullData[c].y].findIndex(v => v > 0);
        Plotly.Fx.hover(div, [{curveNumber: c, pointNumber: p}]);
        return document.querySelector('#chart-senders .hoverlayer').textContent; })()""")
    assert "sasl:" + SASL_USER in hover
