"""The Arrow suspicious-scripts (`reports.arrow.scripts`, what the CLI runs) against the
pandas one (`reports.scripts`, the reference): the same rows, values, reasons and order
for windows, hosts, limits and histories on the sample dataset, and on generated
submissions with missing values, repeated queue ids, re-injections, ties, histories and
hostile script names; the CLI's `suspicious-scripts` without pandas or plotly, its output
as the pandas path prints it, redaction alike."""

import json
import random
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from arrow_paths import WINDOWS, run_cli, run_lean, same

from analyzer import api
from analyzer.dataset.reading import to_pandas
from analyzer.errors import AnalyzerError
from analyzer.render.output import records, to_csv
from analyzer.render.redact import Redactor
from analyzer.reports import scripts
from analyzer.reports.arrow import scripts as arrow_scripts
from analyzer.reports.scripts_spec import DELIVERY_COLUMNS, HISTORY_COLUMNS, MESSAGE_COLUMNS
from analyzer.schema import TABLES


@pytest.mark.parametrize("history", ["30d", "6h", "0", None])
def test_equal_on_the_sample_for_every_window_and_history(sample, history):
    compared = 0
    for since, until in WINDOWS + [("2026-11-26T20:00", "2026-11-26T21:00")]:
        kw = dict(since=since, until=until, tz="UTC", history=history)
        expected = api.suspicious_scripts(sample.data, **kw)
        same(expected, api.suspicious_scripts_arrow(sample.data, **kw))
        compared += len(expected)
    assert compared > 50


def test_equal_with_hosts_and_limits(sample):
    for kw in [dict(hosts="mx1"), dict(hosts="mx9"), dict(limit=3), dict(limit=0)]:
        kw.update(since="2026-11-26T12:00", tz="UTC")
        same(
            api.suspicious_scripts(sample.data, **kw),
            api.suspicious_scripts_arrow(sample.data, **kw),
        )


def test_the_sample_scores_its_spam_script(sample):
    top = records(api.suspicious_scripts_arrow(sample.data, since="2026-11-26T12:00", tz="UTC"))
    assert top[0]["score"] >= 5 and any("new script" in r for r in top[0]["reasons"])


def test_a_bad_history_is_refused_alike(sample):
    for report in (api.suspicious_scripts, api.suspicious_scripts_arrow):
        with pytest.raises(AnalyzerError):
            report(sample.data, since="2026-11-26T12:00", tz="UTC", history="a while")


# --- generated submissions ---------------------------------------------------------------

SCRIPTS = [
    "/var/www/site/wp-content/uploads/x7f3k2q9.php",
    "index.php",
    "/home/u/.cache/.hidden.php",
    "/var/www/a.php(12) : eval()'d code",
    "",
    "=cmd|' /C calc'!A0",
    "\x1b[31mred\x1b[0m.php",
    "ünïcødé.php",
    "3f2a9c0e1b.php",
]
IDENTITIES = ["uid:33", "uid:1017", "uid:0", '=HYPERLINK("x")', "ünï"]
T0 = datetime(2026, 11, 26, tzinfo=UTC)


def generated(seed: int, n: int = 700):
    """Window messages (most local, some re-injections), their deliveries (queue ids that
    repeat, some of no message), and history rows: few distinct keys, so groups reach the
    volume, burst, bounce and fan-out thresholds and tie in their counts."""
    rnd = random.Random(seed)

    def maybe(values, missing=0.15):
        return None if rnd.random() < missing else rnd.choice(values)

    msgs = {c: [] for c in MESSAGE_COLUMNS}
    dels = {c: [] for c in DELIVERY_COLUMNS}
    burst = rnd.randrange(0, 20)
    for i in range(n):
        hour = burst if rnd.random() < 0.3 else rnd.randrange(0, 24)
        first = T0 + timedelta(hours=hour, seconds=rnd.randrange(3600), microseconds=i % 3)
        # a busy new script, a busy known one, and a scatter of small groups
        host, identity, script = rnd.choice(
            [("mx1", "uid:33", SCRIPTS[-1])] * 5
            + [("mx2", "uid:1017", "index.php")] * 2
            + [(maybe(["mx1", "mx2"], 0.05), maybe(IDENTITIES, 0.1), maybe(SCRIPTS, 0.2))] * 3
        )
        row = {
            "first_seen": first if rnd.random() > 0.02 else None,
            "last_seen": first + timedelta(seconds=rnd.randrange(0, 4000)),
            "host": host,
            "queue_id": maybe([f"Q{k}" for k in range(40)], 0.05),
            "identity": identity,
            "origin": maybe(["local", "local", "local", "smtp"], 0.05),
            "uid": maybe([0, 33, 1017]),
            "user": maybe(["www-data", "root"]),
            "script": script,
            "script_path": maybe(SCRIPTS, 0.6),
            "nrcpt": maybe([1, 2, 5], 0.2),
            "sent": maybe([0, 1, 3]),
            "deferred": maybe([0, 1]),
            "bounced": maybe([0, 1, 2], 0.3),
            "filter_of": maybe(["X1"], 0.85),
        }
        for c in MESSAGE_COLUMNS:
            msgs[c].append(row[c])
        for _ in range(rnd.randrange(0, 4)):
            own = rnd.random() < 0.85  # else a delivery of no message in the table
            domain = maybe([f"d{k}.example" for k in range(rnd.choice([3, 40, 150]))], 0.1)
            dels["host"].append(row["host"] if own else "mx3")
            dels["queue_id"].append(row["queue_id"])
            dels["message_first_seen"].append(row["first_seen"] if own else None)
            dels["recipient"].append(maybe([f"r{k}@{domain}" for k in range(3)]))
            dels["recipient_domain"].append(domain)
    history = {c: [] for c in HISTORY_COLUMNS}
    for _ in range(n // 2):
        when = T0 - timedelta(hours=rnd.randrange(1, 24 * 29))
        for c, value in (
            ("first_seen", when),
            ("host", maybe(["mx1", "mx2"], 0.05)),
            ("identity", maybe(IDENTITIES[:3], 0.1)),
            ("origin", maybe(["local", "local", "smtp"], 0.05)),
            ("script", maybe(SCRIPTS[:5], 0.2)),
            ("filter_of", maybe(["X1"], 0.85)),
        ):
            history[c].append(value)
    schema, dschema = TABLES["messages"].arrow_schema, TABLES["deliveries"].arrow_schema
    return (
        pa.table({c: pa.array(v, schema.field(c).type) for c, v in msgs.items()}),
        pa.table({c: pa.array(v, dschema.field(c).type) for c, v in dels.items()}),
        pa.table({c: pa.array(v, schema.field(c).type) for c, v in history.items()}),
    )


@pytest.mark.parametrize("seed", range(6))
def test_equal_on_generated_submissions(seed):
    window, dels, history_rows = generated(seed)
    first, hist = arrow_scripts.count_history(history_rows)
    expected_first, expected_hist = scripts.count_history(to_pandas(history_rows))
    assert first == expected_first.value // 1000  # µs since the epoch
    key = lambda r: tuple(str(v) for v in r.values())  # noqa: E731
    assert sorted(records(hist), key=key) == sorted(records(expected_hist), key=key)
    pw, pd_ = to_pandas(window), to_pandas(dels)
    reasons = set()
    for days, history_days, with_history in [
        (1.0, 29.0, True),
        (0.5, 2.5, True),
        (1.0, 0.0, True),
        (1 / 24, 0.0, False),
    ]:
        expected = scripts.suspicious_scripts(
            pw, pd_, expected_hist if with_history else None, days, history_days
        )
        got = arrow_scripts.suspicious_scripts(
            window, dels, hist if with_history else None, days, history_days
        )
        same(expected, got)
        reasons.update(r.split(":")[0].split(" ")[0] for rs in expected["reasons"] for r in rs)
    # the signs were judged, not only empty lists
    assert {"new", "burst", "bounce", "fan-out", "runs", "eval()'d"} <= reasons, reasons


def test_no_local_mail_and_only_reinjections_give_empty_results():
    window, dels, _ = generated(2, n=60)
    origin = window.schema.get_field_index("origin")
    smtp = window.set_column(origin, "origin", pa.array(["smtp"] * 60, pa.string()))
    filter_of = window.schema.get_field_index("filter_of")
    reinjected = window.set_column(filter_of, "filter_of", pa.array(["X"] * 60, pa.string()))
    for table in (window.slice(0, 0), smtp, reinjected):
        expected = scripts.suspicious_scripts(to_pandas(table), to_pandas(dels))
        got = arrow_scripts.suspicious_scripts(table, dels)
        same(expected, got)
        assert got.num_rows == 0 and got.schema == arrow_scripts.empty().schema


# --- the command: no pandas, no plotly, the same output ----------------------------------

SAMPLE_DAY = ["--since", "2026-11-26T12:00", "--tz", "UTC"]


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "json"],
        ["--format", "csv", "--history", "0"],
        [],
        ["--host", "mx1", "--limit", "2"],
        ["--host", "mx9"],  # a host the dataset lacks: no rows, exit 0
        ["--since", "2030-01-01"],  # after the data: an error naming what it covers
    ],
)
def test_suspicious_scripts_command_imports_neither_pandas_nor_plotly(sample, args):
    done = run_lean("suspicious-scripts", sample.data, args, since="2026-11-26T12:00")
    if done is None:
        return
    if "mx9" in args:
        assert "no local submissions" in done.stderr and not done.stdout
    if "json" in args:
        expected = api.suspicious_scripts(sample.data, since="2026-11-26T12:00", tz="UTC", limit=20)
        assert json.loads(done.stdout) == records(expected) and len(expected)


@pytest.mark.parametrize(
    "args", [["--format", "json"], ["--format", "csv"], ["--format", "table"], ["--redact"]]
)
def test_output_is_what_the_pandas_path_prints(sample, tmp_path, args):
    """A chart takes the pandas path (and still prints the report): the same bytes out,
    redacted alike (`--redact` runs the nightly report, which imports pandas)."""
    cmd = ["suspicious-scripts", "--data", str(sample.data), *SAMPLE_DAY, *args]
    fast, slow = run_cli(*cmd), run_cli(*cmd, "--chart", str(tmp_path / "c.html"))
    assert fast.returncode == slow.returncode == 0, fast.stderr + slow.stderr
    assert "pandas" in slow.stderr and "plotly" in slow.stderr
    assert "plotly" not in fast.stderr and ("--redact" in args or "HEAVY=\n" in fast.stderr)
    assert fast.stdout == slow.stdout and len(fast.stdout.splitlines()) > 3


def test_redacted_output_is_the_same(sample):
    """Every text cell, the lists of reasons included, is masked alike: on the sample
    (local uids, nothing to mask) and on submissions whose identities and scripts carry
    addresses and IPs."""
    kw = dict(since="2026-11-26T12:00", tz="UTC")
    frame = api.suspicious_scripts(sample.data, **kw)
    table = api.suspicious_scripts_arrow(sample.data, **kw)
    r = Redactor([frame["identity"].iloc[0]])
    same(r.frame(frame), r.frame(table))
    assert to_csv(r.frame(frame)) == to_csv(r.frame(table))

    window, dels, _ = generated(4, n=200)
    names = {"uid:33": "anna@shop.example", "uid:0": "192.0.2.7", "uid:1017": "bob@x.example"}
    identity = [names.get(i, i) for i in window["identity"].to_pylist()]
    window = window.set_column(
        window.schema.get_field_index("identity"), "identity", pa.array(identity, pa.string())
    )
    frame = scripts.suspicious_scripts(to_pandas(window), to_pandas(dels))
    table = arrow_scripts.suspicious_scripts(window, dels)
    r = Redactor(["bob@x.example"])
    same(r.frame(frame), r.frame(table))
    assert to_csv(r.frame(frame)) == to_csv(r.frame(table))
    shown = r.frame(table)["identity"].to_pylist()
    assert "bob@x.example" in shown and "anna@shop.example" not in shown
    assert "192.0.2.7" not in shown and any("***" in str(s) for s in shown)
