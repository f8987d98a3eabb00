"""The report commands: JSON output equals the API result, CSV is safe for spreadsheets,
charts are self-contained and escape log content, errors are messages (exit 1), and the
CLI stays lean (no pandas/plotly at import, plotly only for --chart)."""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.render import output

DAY = ["--since", "2026-11-26", "--until", "2026-11-27", "--tz", "UTC"]
runner = CliRunner()


def invoke(*args, data=None):
    env = {"ANALYZER_DATA": str(data)} if data else {}
    result = runner.invoke(app, [str(a) for a in args], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def assert_json_is_frame(rows: list[dict], frame: pd.DataFrame) -> None:
    """JSON rows carry exactly the frame: same columns in order, same values (times as
    ISO 8601 UTC, missing as null)."""
    assert isinstance(rows, list) and len(rows) == len(frame)
    for row, (_, expected) in zip(rows, frame.iterrows()):
        assert list(row) == list(frame.columns)
        for col in frame.columns:
            want, got = expected[col], row[col]
            if isinstance(want, (list, dict)):
                assert got == want, col
            elif pd.isna(want):
                assert got is None, col
            elif isinstance(want, pd.Timestamp):
                assert got.endswith("Z") and pd.Timestamp(got) == want, col
            elif isinstance(want, float):
                assert got == pytest.approx(want), col
            else:
                assert got == want, col


CASES = {
    "top-senders": (
        ["top-senders"],
        lambda d: api.top_senders(d, "2026-11-26", "2026-11-27", "UTC", limit=20),
    ),
    "top-senders-script": (
        ["top-senders", "--by", "script", "--scope", "all", "-n", "5"],
        lambda d: api.top_senders(
            d, "2026-11-26", "2026-11-27", "UTC", by="script", scope="all", limit=5
        ),
    ),
    "relay-spikes": (
        ["relay-spikes"],
        lambda d: api.relay_spikes(d, "2026-11-26", "2026-11-27", "UTC"),
    ),
    "relay-spikes-all": (
        ["relay-spikes", "--all", "--bucket", "30min"],
        lambda d: api.relay_spikes(
            d, "2026-11-26", "2026-11-27", "UTC", bucket="30min", all_buckets=True
        ),
    ),
    "suspicious-scripts": (
        ["suspicious-scripts"],
        lambda d: api.suspicious_scripts(d, "2026-11-26", "2026-11-27", "UTC", limit=20),
    ),
    "auth-failures": (
        ["auth-failures", "--by", "username", "-n", "7"],
        lambda d: api.auth_failures(d, "2026-11-26", "2026-11-27", "UTC", by="username", limit=7),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_json_equals_the_api(sample, name):
    args, call = CASES[name]
    result = invoke(*args, *DAY, "--format", "json", data=sample.data)
    assert result.exit_code == 0, result.output
    assert_json_is_frame(json.loads(result.stdout), call(sample.data))


def test_trace_json_equals_the_api(sample):
    inc = sample.truth["incidents"]["brute_force"]
    result = invoke("trace", "--client-ip", inc["client_ip"], *DAY, "-f", "json", data=sample.data)
    assert result.exit_code == 0
    expected = api.trace(
        client_ip=inc["client_ip"],
        data=sample.data,
        since="2026-11-26",
        until="2026-11-27",
        tz="UTC",
    )
    assert_json_is_frame(json.loads(result.stdout), expected)


def test_csv_has_the_api_rows(sample):
    result = invoke("auth-failures", *DAY, "-f", "csv", "-n", "3", data=sample.data)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = api.auth_failures(sample.data, "2026-11-26", "2026-11-27", "UTC", limit=3)
    assert list(rows[0]) == list(expected.columns)
    assert [r["client_ip"] for r in rows] == list(expected["client_ip"])
    assert [int(r["failures"]) for r in rows] == list(expected["failures"])
    assert json.loads(rows[0]["succeeded_as"]) == expected.iloc[0]["succeeded_as"]
    assert rows[0]["first_seen"].endswith("Z")


def test_table_output_is_the_report(sample):
    result = invoke("top-senders", *DAY, "-n", "3", data=sample.data)
    assert result.exit_code == 0
    inc = sample.truth["incidents"]["compromised_sasl"]
    first_line = next(line for line in result.stdout.splitlines() if inc["sasl_username"] in line)
    assert str(inc["messages_total_day"]) in first_line  # one row per line when piped
    assert "Top senders by identity" in result.stdout


# --- hostile log content --------------------------------------------------------------------

HOSTILE = ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "<script>alert(1)</script>", "=HYPERLINK(x)"]


@pytest.fixture
def hostile(minilog, tmp_path):
    t = datetime(2026, 11, 26, 9, 0, 0)
    for i, user in enumerate(HOSTILE):
        for k in range(i + 1):  # distinct counts: a stable order
            minilog.sasl_message(
                t + timedelta(minutes=10 * i + k),
                user,
                f"192.0.2.{i + 1}",
                "x@shop.example",
                [("a@gmail.example", "sent")],
            )
    return minilog.ingest(tmp_path)


def test_csv_neutralises_formulas_from_the_logs(hostile):
    result = invoke("top-senders", "--by", "sasl", *DAY, "-f", "csv", data=hostile)
    assert result.exit_code == 0
    cells = [r["sasl_username"] for r in csv.DictReader(io.StringIO(result.stdout))]
    assert sorted(cells) == sorted("'" + u if u[0] in "=+-@" else u for u in HOSTILE)
    # and the JSON keeps the values as they are
    rows = json.loads(
        invoke("top-senders", "--by", "sasl", *DAY, "-f", "json", data=hostile).stdout
    )
    assert sorted(r["sasl_username"] for r in rows) == sorted(HOSTILE)


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_cell_neutralisation(value, cell):
    text = output.to_csv(pd.DataFrame({"v": [value], "n": [-5]}))
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["v"] == cell
    assert row["n"] == "-5"  # numbers stay numbers


def test_json_stays_valid_for_any_input():
    frame = pd.DataFrame(
        {
            "s": ['"quoted"\n\\', "\x00\x1b[31m", "ünï©ødé ✉"],
            "f": [float("nan"), float("inf"), 1.5],
            "t": [
                pd.Timestamp("2026-11-26T10:00:00.5", tz="UTC"),
                pd.NaT,
                pd.Timestamp("2026-11-26"),
            ],
            "l": [[{"value": "<b>", "count": 1}], [], None],
        }
    )
    rows = json.loads(output.to_json(frame))
    assert rows[0]["s"] == '"quoted"\n\\' and rows[1]["s"] == "\x00\x1b[31m"
    assert [r["f"] for r in rows] == [None, None, 1.5]
    assert [r["t"] for r in rows] == ["2026-11-26T10:00:00.500000Z", None, "2026-11-26T00:00:00Z"]
    assert rows[0]["l"] == [{"value": "<b>", "count": 1}] and rows[2]["l"] is None


def test_table_shows_control_characters_escaped():
    assert output.table_cell("a\x1b[31mred\x07") == "a\\x1b[31mred\\x07"
    assert output.table_cell("[bold]x[/bold]") == "[bold]x[/bold]"  # plain text, not markup


def test_chart_is_self_contained_and_escapes_log_content(hostile, tmp_path):
    chart = tmp_path / "senders.html"
    result = invoke("top-senders", *DAY, "--chart", chart, data=hostile)
    assert result.exit_code == 0
    html = chart.read_text()
    assert len(html) > 1_000_000  # plotly.js is inside: no CDN, works offline
    assert '<script src="http' not in html and "<script src='http" not in html
    assert "<script>alert(1)</script>" not in html
    assert "alert(1)" in html and "&lt;script&gt;" in html
    assert "chart written to" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["relay-spikes", "--all"],
        ["suspicious-scripts"],
        ["auth-failures"],
        ["top-senders", "--by", "script"],
    ],
)
def test_every_report_writes_a_chart(sample, tmp_path, args):
    chart = tmp_path / "chart.html"
    result = invoke(*args, *DAY, "--chart", chart, "-f", "json", data=sample.data)
    assert result.exit_code == 0
    html = chart.read_text()
    assert "Plotly.newPlot" in html or "plotly" in html.lower()
    json.loads(result.stdout)  # the chart note went to stderr


def test_charts_escape_every_label(sample):
    from analyzer.render import charts

    evil = "<img src=x onerror=alert(1)>"
    buckets = api.relay_spikes(sample.data, all_buckets=True)
    i = buckets.index[buckets["spike"]][0]
    buckets.at[i, "top_clients"] = [{"value": evil, "count": 3}]
    buckets.at[i, "responsible"] = evil
    fig = charts.relay_spikes(buckets, title=evil)
    text = fig.to_json()
    assert "<img" not in text and "&lt;img" in text
    scripts = api.suspicious_scripts(sample.data, limit=3)
    scripts.at[0, "script"] = evil
    scripts.at[0, "reasons"] = [evil]
    assert "<img" not in charts.suspicious_scripts(scripts, evil).to_json()
    assert charts.esc(evil) == "&lt;img src=x onerror=alert(1)&gt;"
    assert charts.esc(None) == ""


# --- errors, help, start-up -------------------------------------------------------------------


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_empty_window_is_a_message_and_exit_1(sample):
    proc = run_cli(
        "top-senders",
        "--since",
        "2030-01-01",
        "--tz",
        "UTC",
        "-f",
        "json",
        env={"ANALYZER_DATA": str(sample.data)},
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "error:" in proc.stderr and "no messages since 2030-01-01" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_dataset_and_bad_time_are_messages(tmp_path):
    proc = run_cli("auth-failures", "--data", tmp_path / "none")
    assert proc.returncode == 1 and "no dataset here yet" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_time_is_a_message(sample):
    proc = run_cli(
        "relay-spikes", "--since", "yesterday-ish", env={"ANALYZER_DATA": str(sample.data)}
    )
    assert proc.returncode == 1 and "cannot read time 'yesterday-ish'" in proc.stderr


def test_no_spikes_is_not_an_error(sample):
    result = invoke(
        "relay-spikes",
        "--since",
        "2026-11-26T12:00",
        "--until",
        "2026-11-26T18:00",
        "--tz",
        "UTC",
        data=sample.data,
    )
    assert result.exit_code == 0
    assert "no relay-denied spikes" in result.stderr
    json_result = invoke(
        "relay-spikes",
        "--since",
        "2026-11-26T12:00",
        "--until",
        "2026-11-26T18:00",
        "--tz",
        "UTC",
        "-f",
        "json",
        data=sample.data,
    )
    assert json.loads(json_result.stdout) == []


@pytest.mark.parametrize(
    "command, words",
    [
        (
            "top-senders",
            [
                "--by",
                "--scope",
                "--hosted-domain",
                "--since",
                "--until",
                "--tz",
                "--limit",
                "--format",
                "--chart",
                "--data",
            ],
        ),
        (
            "relay-spikes",
            [
                "--bucket",
                "--all",
                "--window",
                "--z",
                "--min-count",
                "--local-ip",
                "--hosted-domain",
                "--chart",
            ],
        ),
        ("suspicious-scripts", ["--history", "--since", "--chart"]),
        ("auth-failures", ["--by", "--since", "--chart"]),
        ("trace", ["QUEUE_ID", "--sender", "--identity", "--client-ip", "--since"]),
    ],
)
def test_help(command, words):
    result = runner.invoke(app, [command, "--help"], env={"TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0
    for word in words:
        assert word in result.stdout, word
    assert "ANALYZER_DATA" in result.stdout


def test_cli_start_is_lean():
    code = (
        "import sys; import analyzer.cli.app; "
        "heavy = [m for m in ('pandas', 'pyarrow', 'plotly', 'numpy') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout


def test_plotly_only_for_charts(sample):
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom analyzer.cli.app import app\n"
        f"r = CliRunner().invoke(app, ['top-senders', '--data', {str(sample.data)!r}, "
        "'--since', 'all', '-f', 'json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('plotly' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "False", proc.stderr
