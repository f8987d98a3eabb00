"""The nightly report in a real browser: headless Chromium opens the page from disk with no
network, every chart renders, nothing logs an error, the headline numbers in the DOM are
the API's, the incident links land on their rows. A screenshot is kept in
test-artifacts/ (gitignored). Chromium missing is a failure, not a skip: `.ci/run`
installs it."""

from pathlib import Path

import pytest
from browser import Browser
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
W = ("2026-11-26", "2026-11-27", "UTC")


@pytest.fixture(scope="module")
def browser():
    try:
        b = Browser()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield b
    b.close()


@pytest.fixture(scope="module")
def opened(sample, browser, tmp_path_factory):
    """The sample day's report written by the command, opened once."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--since",
            W[0],
            "--until",
            W[1],
            "--tz",
            W[2],
            "--data",
            str(sample.data),
            "--html",
            str(out),
        ],
        env={"ANALYZER_CONFIG": None},
    )
    assert result.exit_code == 2, result.output
    page = browser.page()
    seconds = page.open(out.as_uri())
    drawn = page.evaluate("""new Promise(done => {
        const t0 = performance.now();
        (function wait() {
          const charts = [...document.querySelectorAll('.chart')];
          if (charts.length && charts.every(c => c.querySelector('.main-svg'))) {
            done(performance.now()); return; }
          if (performance.now() - t0 > 20000) { done(-1); return; }
          setTimeout(wait, 20);
        })(); })""")
    page.settle(0.5)
    print(
        f"\nreport page: {out.stat().st_size / 1e6:.1f} MB, load event after {seconds:.2f} s, "
        f"all charts drawn {drawn / 1000:.2f} s after navigation start"
    )
    yield page, out
    page.screenshot(ARTIFACTS / "report.png")
    page.close()


def test_no_console_errors_and_no_network(opened):
    page, out = opened
    assert page.console_errors() == []
    assert page.dialogs() == []
    assert page.requests() == [out.as_uri()], "the page must need nothing but itself"


def test_every_chart_is_drawn_with_its_data(opened):
    page, _ = opened
    charts = page.evaluate("""[...document.querySelectorAll('.chart')].map(c => ({
        id: c.id,
        svg: c.querySelectorAll('.main-svg').length,
        traces: (c._fullData || []).length,
        points: (c._fullData || []).reduce((n, t) => n + ((t.x || []).length || 0), 0),
        drawn: c.querySelectorAll('.scatterlayer .trace, .barlayer .trace').length }))""")
    assert [c["id"] for c in charts] == [
        "chart-senders",
        "chart-relay",
        "chart-scripts",
        "chart-auth",
    ]
    for c in charts:
        assert c["svg"] >= 1 and c["traces"] >= 1 and c["points"] >= 1, c
        assert c["drawn"] >= 1, c
    relay = page.evaluate("document.getElementById('chart-relay').data.map(t => t.name)")
    assert "spike" in relay  # the planted spike is marked


def test_headline_numbers_are_the_apis(sample, opened):
    page, _ = opened
    dom = page.evaluate("""Object.fromEntries([...document.querySelectorAll(
        '[data-metric] .value[data-value], [data-testid][data-value]')].map(e =>
        [e.closest('[data-metric]') && !e.dataset.testid
            ? e.closest('[data-metric]').dataset.metric : e.dataset.testid,
         Number(e.dataset.value)]))""")
    senders = api.top_senders(sample.data, *W)
    spikes = api.relay_spikes(sample.data, *W, all_buckets=True)
    auth = api.auth_failures(sample.data, *W)
    assert dom["messages_out"] == senders["messages"].sum()
    assert (
        dom["local_submissions"]
        == senders.loc[senders["identity"].str.startswith("uid:"), "messages"].sum()
    )
    assert dom["relay_denied"] == spikes["count"].sum()
    assert dom["auth_failures"] == auth["failures"].sum()
    assert dom["top-messages"] == senders["messages"].iloc[0]
    assert (
        page.evaluate("document.querySelector('[data-testid=top-identity]').innerText")
        == senders["identity"].iloc[0]
    )
    assert dom["crit-count"] == 4 and dom["warn-count"] == 0
    shown = page.evaluate("document.querySelector('[data-testid=window]').innerText")
    assert shown == "2026-11-26 00:00 UTC to 2026-11-27 00:00 UTC"
    assert page.evaluate("document.querySelector('[data-testid=hosts]').innerText") == "mx1"


def test_incident_links_land_on_their_rows(sample, opened):
    page, _ = opened
    truth = sample.truth["incidents"]
    landed = page.evaluate("""[...document.querySelectorAll('li.incident a.more')].map(a => {
        a.click();
        const row = document.querySelector(':target');
        const back = row && row.querySelector('a[href^="#incident-"]');
        return {href: a.getAttribute('href'), row: row ? row.id : null,
                text: row ? row.innerText : '', back: back ? back.getAttribute('href') : null,
                inView: row ? row.getBoundingClientRect().top < innerHeight : false};
    })""")
    assert len(landed) == 4
    for n, hop in enumerate(landed, 1):
        assert hop["row"] == hop["href"][1:] and hop["inView"], hop
        assert hop["back"] == f"#incident-{n}"
    text = " ".join(h["text"] for h in landed)
    for needle in (
        truth["compromised_sasl"]["sasl_username"],
        truth["php_script"]["script"],
        truth["relay_spike"]["sender"],
        truth["brute_force"]["client_ip"],
    ):
        assert needle in text
    page.evaluate("location.hash = ''; scrollTo(0, 0)")


def test_a_screenshot_is_kept(opened):
    page, _ = opened
    page.evaluate("scrollTo(0, 0)")
    path = page.screenshot(ARTIFACTS / "report-top.png", full_page=False)
    assert path.stat().st_size > 20_000
