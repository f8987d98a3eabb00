"""The Arrow trace (`reports.arrow.trace`, what the CLI runs) against the pandas one
(`reports.trace`, the reference, what `api.trace` returns): the same columns, rows, order
and output (JSON, CSV, table, redacted) for every selector, window and host choice on the
sample dataset, the Exim and Sendmail samples, a generated day with other incidents, the
lightmeter corpus (content-filter chains, reused queue ids) and generated tables with
missing values, duplicates, ties and hostile strings; and the CLI's `trace` in every form:
the same bytes as the pandas path, and neither pandas nor plotly in its process."""

import functools
import json
import random
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from arrow_paths import WINDOWS, run_cli, same
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli import trace_command
from analyzer.cli.app import app
from analyzer.dataset.reading import to_pandas
from analyzer.render.output import plain_table, records, to_csv
from analyzer.render.redact import Redactor
from analyzer.reports import trace
from analyzer.reports.arrow import trace as arrow_trace
from analyzer.schema import TABLES


def same_output(frame, table) -> None:
    """`same`, and the CSV and the plain table byte for byte."""
    same(frame, table)
    assert to_csv(frame) == to_csv(table)
    assert plain_table(frame, title="t", caption="c") == plain_table(table, title="t", caption="c")


def compare(data, targets, windows=WINDOWS, **kw) -> int:
    """Both traces of every target in every window; the rows compared."""
    compared = 0
    for target in targets:
        for since, until in windows:
            args = dict(data=data, since=since, until=until, tz="UTC", **target, **kw)
            expected = api.trace(**args)
            same_output(expected, api.trace_arrow(**args))
            compared += len(expected)
    return compared


def targets_of(data, per_kind: int, seed: int = 0) -> list[dict]:
    """Queue ids (re-injected and their originals first), senders, identities and client
    IPs of the dataset, a few of each kind, drawn with `seed`."""
    rnd = random.Random(seed)
    m = api.table("messages", data=data)
    r = api.table("rejects", data=data)

    def some(values):
        values = sorted({v for v in values if isinstance(v, str)})
        return rnd.sample(values, min(per_kind, len(values)))

    reinjected = m[m["filter_of"].notna()]
    out = [{"queue_id": q} for q in some(reinjected["queue_id"]) + some(reinjected["filter_of"])]
    out += [{"queue_id": q} for q in some(m["queue_id"]) + some(r["queue_id"])]
    out += [{"sender": s} for s in some(m["sender"]) + some(r["sender"])]
    out += [{"identity": i} for i in some(m["identity"])]
    out += [{"client_ip": i} for i in some(m["client_ip"]) + some(r["client_ip"])]
    return out


# --- the sample dataset ---------------------------------------------------------------------


def sample_targets(truth) -> list[dict]:
    inc = truth["incidents"]
    return [
        {"queue_id": truth["reused_queue_id"]},
        {"sender": inc["relay_spike"]["sender"].upper()},
        {"sender": "<>"},
        {"sender": ""},
        {"identity": "sasl:" + inc["compromised_sasl"]["sasl_username"]},
        {"identity": f"uid:{inc['php_script']['uid']}"},
        {"identity": "sasl:" + inc["brute_force"]["succeeded_later_as"]},
        {"identity": "ip:" + inc["relay_spike"]["client_ip"]},
        {"identity": "user:nobody-here"},
        {"client_ip": inc["brute_force"]["client_ip"]},
        {"client_ip": inc["relay_spike"]["client_ip"]},
    ]


def test_equal_on_the_sample_incidents_in_every_window(sample):
    assert compare(sample.data, sample_targets(sample.truth)) > 3000


def test_equal_on_drawn_targets_of_the_sample(sample):
    targets = targets_of(sample.data, per_kind=2)
    assert compare(sample.data, targets, windows=[(None, None), WINDOWS[1]]) > 100


def test_equal_for_a_host_and_one_the_dataset_lacks(sample):
    targets = sample_targets(sample.truth)[:3] + sample_targets(sample.truth)[-2:]
    assert compare(sample.data, targets, windows=[(None, None)], hosts="mx1") > 1000
    assert compare(sample.data, targets, windows=[(None, None)], hosts="mx9") == 0


def test_a_quiet_window_is_empty_alike(sample):
    """No rows: the leading columns, times as times, in both."""
    for target in sample_targets(sample.truth):
        for since in ("2026-11-26T23:59:59", "2030-01-01"):
            args = dict(data=sample.data, since=since, until=None, tz="UTC", **target)
            table = api.trace_arrow(**args)
            if table.num_rows == 0:
                assert table.column_names == trace.FIRST
                assert str(table.schema.field("ts").type) == "timestamp[us, tz=UTC]"
                assert list(api.trace(**args).columns) == trace.FIRST


def test_redacted_output_is_the_same(sample):
    inc = sample.truth["incidents"]
    target = {"client_ip": inc["relay_spike"]["client_ip"]}
    frame = api.trace(data=sample.data, **target)
    table = api.trace_arrow(data=sample.data, **target)
    r = Redactor([inc["relay_spike"]["sender"]])
    same_output(r.frame(frame), r.frame(table))
    assert records(r.frame(table)) != records(table)  # something was masked


def test_bad_targets_are_refused_alike(sample):
    from analyzer.errors import AnalyzerError

    for kw in [dict(queue_id="X", sender="a@b"), dict(identity="anna"), {}]:
        with pytest.raises(AnalyzerError):
            api.trace(data=sample.data, **kw)
        with pytest.raises(AnalyzerError):
            api.trace_arrow(data=sample.data, **kw)
    empty = TABLES["messages"].arrow_schema.empty_table()
    with pytest.raises(ValueError):
        arrow_trace.trace(empty, empty, empty)


# --- other generated logs: Exim, Sendmail, another day of Postfix ------------------------------


@pytest.fixture(scope="module")
def other_logs(tmp_path_factory):
    """The Exim and Sendmail samples and a generated Postfix day with another seed (its
    incidents elsewhere), each ingested."""
    from analyzer.samplegen import generate_postfix

    base = tmp_path_factory.mktemp("trace-arrow")
    lines, truth = generate_postfix(seed=11, messages_per_day=1500)
    log = base / "maillog"
    log.write_text("\n".join(lines) + "\n")
    logs = {"postfix": (log, truth)}
    for kind, path in [("exim", "exim/exim_mainlog"), ("sendmail", "sendmail/maillog")]:
        logs[kind] = (f"sample_logs/{path}", None)
    out = {}
    for kind, (path, truth) in logs.items():
        data = base / kind
        api.ingest([str(path)], data=str(data), tz="UTC", year=2026)
        out[kind] = (data, truth)
    return out


@pytest.mark.parametrize("kind", ["postfix", "exim", "sendmail"])
def test_equal_on_other_generated_logs(other_logs, kind):
    data, truth = other_logs[kind]
    targets = targets_of(data, per_kind=2, seed=len(kind))
    if truth is not None:
        incidents = sample_targets(truth)
        targets += incidents[:1] + incidents[4:6] + incidents[9:10]
    assert compare(data, targets, windows=[(None, None)]) > 20


# --- the lightmeter corpus: real lines, content-filter chains, reused queue ids --------------


def test_equal_on_the_lightmeter_corpus(corpora, tmp_path):
    logs = sorted((corpora / "lightmeter" / "individual_files").glob("*.log"))
    data = tmp_path / "data"
    api.ingest([str(p) for p in logs], data=str(data), tz="UTC", year=2020)
    m = api.table("messages", data=data)
    chains = m.loc[m["filter_of"].notna(), ["queue_id", "filter_of"]]
    reused = m["queue_id"][m["queue_id"].duplicated()]
    picked = sorted(set(chains["queue_id"]))[:4] + sorted(set(chains["filter_of"]))[:4]
    zimbra = ["E8759DC24C3", "218BEDC28EC", "33DE0DC24C3"]  # submission, DKIM, amavis
    assert set(zimbra) <= set(m["queue_id"])
    targets = [{"queue_id": q} for q in zimbra + picked + sorted(set(reused))[:4]]
    targets += targets_of(data, per_kind=2, seed=1)
    assert len(chains) >= 3 and len(reused)  # chains and reused queue ids are compared
    assert compare(data, targets, windows=[(None, None)]) > 50


# --- generated tables: missing values, duplicates, ties, hostile strings ---------------------

T0 = datetime(2026, 11, 26, tzinfo=UTC)
HOSTILE = [
    "=cmd|' /C calc'!A0",
    "\x1b[31mred\x1b[0m",
    "a\x1cb\x1dc",  # separators Python's split takes for whitespace, pyarrow's not
    "x\u2028y\x85z\xa0w",
    "  spaced \t out  ",
    "zero\u200bwidth",
    "nul\x00byte",
    "ünïcødé",
    "",
]
HOSTS = ["mx1", "mx2", None]
QUEUE_IDS = ["A1", "B2", "C3", "D4", "E5", None]
IPS = ["192.0.2.1", "198.51.100.7", "2001:db8::1", None]
SENDERS = ["Anna@Shop.Example", "anna@shop.example", "", "<>", "bob@x.example", None]
LOGINS = ["anna@shop.example", "Anna@Shop.Example", "bob", None]
IDENTITIES = ["sasl:anna@shop.example", "ip:192.0.2.1", "uid:1017", "user:bob", None]


def generated(seed: int, n: int = 60):
    """The five tables drawn at random: few distinct values (ties in time, keys shared by
    several messages, whole delivery rows twice), about a fifth of each value missing."""
    rnd = random.Random(seed)

    def maybe(values, missing=0.2):
        return None if rnd.random() < missing else rnd.choice(values)

    def when(missing=0.05):
        return None if rnd.random() < missing else T0 + timedelta(minutes=rnd.randrange(6))

    def text():
        return maybe(HOSTILE + ["250 2.0.0 Ok", "User unknown", "mx.example"])

    def table(name, rows):
        schema = TABLES[name].arrow_schema
        return pa.table(
            {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema},
            schema=schema,
        )

    messages = [
        {
            "first_seen": when(),
            "last_seen": when(),
            "host": maybe(HOSTS, 0.1),
            "queue_id": maybe(QUEUE_IDS, 0.1),
            "identity": maybe(IDENTITIES),
            "origin": maybe(["smtp", "sasl", "local", "bounce", ""]),
            "sasl_method": maybe(["PLAIN", "LOGIN"]),
            "sasl_username": maybe(LOGINS),
            "uid": maybe([1017, 0]),
            "script": text(),
            "client_ip": maybe(IPS),
            "sender": maybe(SENDERS + HOSTILE),
            "size": maybe([0, 445, 12_000_000]),
            "nrcpt": maybe([1, 2]),
            "filter_of": maybe(QUEUE_IDS, 0.6),
            "sent": maybe([0, 1]),
            "deferred": maybe([0, 2]),
            "bounced": maybe([0, 1]),
            "complete": maybe([True, False]),
        }
        for _ in range(n // 2)
    ]
    deliveries = []
    for _ in range(n):
        msg = rnd.choice(messages)
        row = {
            "ts": when(),
            "host": msg["host"] if rnd.random() < 0.8 else maybe(HOSTS),
            "queue_id": msg["queue_id"] if rnd.random() < 0.8 else maybe(QUEUE_IDS),
            "message_first_seen": msg["first_seen"] if rnd.random() < 0.8 else when(),
            "identity": maybe(IDENTITIES, 0.4),
            "recipient": maybe(SENDERS),
            "relay": text(),
            "status": maybe(["sent", "deferred", "bounced", "filtered"]),
            "dsn": maybe(["2.0.0", "5.1.1"]),
            "delay": maybe([0.27, 1.5, 0.0]),
            "response": text(),
        }
        deliveries += [row, dict(row)] if rnd.random() < 0.15 else [row]
    rejects = [
        {
            "ts": when(),
            "host": maybe(HOSTS, 0.1),
            "queue_id": maybe(QUEUE_IDS, 0.5),
            "stage": maybe(["RCPT", "CONNECT", ""]),
            "client_ip": maybe(IPS),
            "code": maybe([550, 554]),
            "reason": text(),
            "reason_class": maybe(["relay_denied", "rbl"]),
            "sender": maybe(SENDERS + HOSTILE),
            "sasl_username": maybe(LOGINS, 0.5),
            "local_client": maybe([True, False]),
        }
        for _ in range(n // 2)
    ]
    notices = [
        {
            "ts": when(),
            "host": maybe(HOSTS, 0.1),
            "queue_id": maybe(QUEUE_IDS, 0.3),
            "kind": maybe(["reply", "header"]),
            "relay_name": text(),
            "relay_ip": maybe(IPS),
            "client_ip": maybe(IPS),
            "header": maybe(["Subject", ""] + HOSTILE[:3]),
            "value": text(),
            "text": text(),
        }
        for _ in range(n // 3)
    ]
    auth = [
        {
            "ts": when(),
            "host": maybe(HOSTS, 0.1),
            "client_ip": maybe(IPS),
            "sasl_method": maybe(["PLAIN", "LOGIN", ""]),
            "sasl_username": maybe(LOGINS),
            "reason": text(),
        }
        for _ in range(n // 3)
    ]
    return (
        table("messages", messages),
        table("deliveries", deliveries),
        table("rejects", rejects),
        table("auth_failures", auth),
        table("notices", notices),
    )


GENERATED_TARGETS = (
    [{"queue_id": q} for q in QUEUE_IDS[:-1] + ["NONE"]]
    + [{"sender": s} for s in ["<>", "", " <ANNA@shop.example> ", "bob@x.example", HOSTILE[0]]]
    + [{"identity": i} for i in IDENTITIES[:-1] + ["sasl:Anna@Shop.Example", "ip:2001:db8::1"]]
    + [{"client_ip": i} for i in IPS[:-1]]
)


@pytest.mark.parametrize("seed", range(4))
def test_equal_on_generated_tables(seed):
    msgs, dels, rejects, auth, notices = generated(seed)
    frames = [to_pandas(t) for t in (msgs, dels, rejects, auth, notices)]
    compared = 0
    for target in GENERATED_TARGETS:
        for with_auth, with_notices in [(True, True), (False, False)]:
            kw = dict(target, notices=notices if with_notices else None)
            pandas_kw = dict(target, notices=frames[4] if with_notices else None)
            expected = trace.trace(*frames[:3], frames[3] if with_auth else None, **pandas_kw)
            got = arrow_trace.trace(msgs, dels, rejects, auth if with_auth else None, **kw)
            same_output(expected, got)
            compared += len(expected)
    assert compared > 300


def test_generated_tables_reach_the_rules_compared():
    """What the generated tables hold, so that the comparison above covers it: whole
    delivery rows twice, a content-filter chain, rows without a time, hostile text."""
    msgs, dels, rejects, auth, notices = generated(0)
    rows = [tuple(r.values()) for r in dels.to_pylist()]
    assert len(rows) > len(set(rows))
    assert len(arrow_trace.filter_chain(msgs, "A1")) > 1
    assert sum(t.column(0).null_count for t in (msgs, dels, rejects, auth, notices)) > 0
    out = arrow_trace.trace(msgs, dels, rejects, auth, client_ip="192.0.2.1", notices=notices)
    assert set(out["table"].to_pylist()) == set(trace.TABLE_ORDER)
    assert any(h in " ".join(filter(None, out["detail"].to_pylist())) for h in HOSTILE[:4])


# --- the command: the same bytes as the pandas path, without pandas or plotly ----------------


def invoke(args, pandas_path: bool, monkeypatch):
    """`analyzer trace ARGS` in this process, on the Arrow path or (`pandas_path`) on the
    pandas one, as before the Arrow path: `api.trace` on the local engine."""
    with monkeypatch.context() as m:
        if pandas_path:
            m.setattr(
                trace_command,
                "report_call",
                lambda *a, **k: functools.partial(api.trace, engine="local", scheduler=None),
            )
        return CliRunner().invoke(app, [str(a) for a in args])


def cli_forms(truth) -> list[list[str]]:
    inc = truth["incidents"]
    day = ["--since", "2026-11-26", "--until", "2026-11-27", "--tz", "UTC"]
    forms = [
        [truth["reused_queue_id"], "--since", "all"],
        ["--sender", inc["relay_spike"]["sender"], *day],
        ["--sender", "<>", "--since", "2026-11-26T06:00", "--until", "2026-11-26T07:00"],
        ["--identity", "sasl:" + inc["compromised_sasl"]["sasl_username"], *day, "-n", "40"],
        ["--identity", f"uid:{inc['php_script']['uid']}", "--since", "all"],
        ["--client-ip", inc["brute_force"]["client_ip"], *day, "--host", "mx1"],
        ["--client-ip", inc["relay_spike"]["client_ip"], "--since", "2026-11-26T10:00"],
        ["NOSUCHID", "--since", "all"],  # nothing: an error naming what the dataset covers
        ["--client-ip", "192.0.2.254", "--since", "2030-01-01"],  # after the data
        ["--identity", "sasl:x", "--host", "mx9", "--since", "all"],  # a host it lacks
        ["--identity", "nocolon"],  # a bad identity
    ]
    return [f + fmt for f in forms for fmt in ([], ["-f", "json"], ["-f", "csv"])]


def test_the_command_prints_the_same_bytes_as_the_pandas_path(sample, monkeypatch):
    shown = 0
    for form in cli_forms(sample.truth):
        args = ["trace", *form, "--data", sample.data]
        arrow_run = invoke(args, False, monkeypatch)
        pandas_run = invoke(args, True, monkeypatch)
        assert arrow_run.exit_code == pandas_run.exit_code, (form, arrow_run.output)
        assert arrow_run.stdout_bytes == pandas_run.stdout_bytes, form
        assert arrow_run.stderr_bytes == pandas_run.stderr_bytes, form
        shown += arrow_run.exit_code == 0 and len(arrow_run.stdout_bytes) > 1000
    assert shown >= 15


def test_the_old_message_is_found_alike_and_told(minilog, tmp_path, monkeypatch):
    """Nothing in the last 7 days: the whole dataset, with a note, on both paths."""
    t = datetime(2026, 1, 5, 10, 0)
    qid = minilog.sasl_message(
        t, "anna@shop.example", "192.0.2.10", "anna@shop.example", [("bob@gmail.example", "sent")]
    )
    data = minilog.ingest(tmp_path)
    for fmt in ([], ["-f", "json"]):
        args = ["trace", qid, "--data", data, *fmt]
        arrow_run, pandas_run = invoke(args, False, monkeypatch), invoke(args, True, monkeypatch)
        assert arrow_run.exit_code == 0 and "whole dataset" in arrow_run.stderr
        assert arrow_run.stdout_bytes == pandas_run.stdout_bytes
        assert arrow_run.stderr_bytes == pandas_run.stderr_bytes


@pytest.mark.parametrize(
    "form",
    [
        ["B5EB1AB107", "--since", "all"],
        ["--sender", "shop@shop-anna.example", "-f", "json"],
        ["--identity", "uid:1017", "-f", "csv", "-n", "5"],
        ["--client-ip", "203.0.113.66", "--since", "2026-11-26T02:00", "--until", "2026-11-26T03"],
        ["NOSUCHID"],  # the last 7 days, then the whole dataset: nothing, an error
    ],
)
def test_the_command_imports_neither_pandas_nor_plotly(sample, form):
    done = run_cli("trace", *form, "--data", str(sample.data), "--tz", "UTC")
    assert "HEAVY=\n" in done.stderr, done.stderr
    if form[0] == "NOSUCHID":
        assert done.returncode == 1 and "no rows about NOSUCHID" in done.stderr
        return
    assert done.returncode == 0, done.stderr
    if "json" in form:
        expected = api.trace(sender=form[1], data=sample.data, since="7d", tz="UTC")
        if expected.empty:
            expected = api.trace(sender=form[1], data=sample.data, tz="UTC")
        assert json.loads(done.stdout) == records(expected) and len(expected)
