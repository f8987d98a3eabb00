"""The Arrow top-senders (`reports.arrow.senders`, what the CLI runs) against the pandas
one (`reports.senders`, the reference): the same rows, values and order for every --by,
scope, window, host choice and redaction, on the sample dataset and on generated tables
with missing values, duplicate keys, re-injections and hostile strings; and the CLI's
`top-senders` without pandas or plotly in the process."""

import json
import random
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from arrow_paths import WINDOWS, run_cli, same

from analyzer import api
from analyzer.dataset.reading import to_pandas
from analyzer.render.output import records, to_csv
from analyzer.render.redact import Redactor
from analyzer.reports import senders
from analyzer.reports.arrow import senders as arrow_senders
from analyzer.reports.spec import BY, DELIVERY_COLUMNS, MESSAGE_COLUMNS, SCOPES
from analyzer.schema import TABLES


@pytest.mark.parametrize("by", list(BY))
def test_equal_on_the_sample_for_every_key_scope_and_window(sample, by):
    for scope in SCOPES:
        for since, until in WINDOWS:
            kw = dict(since=since, until=until, tz="UTC", by=by, scope=scope)
            same(api.top_senders(sample.data, **kw), api.top_senders_arrow(sample.data, **kw))


def test_equal_with_hosts_limit_and_hosted_domains(sample):
    for kw in [
        dict(hosts="mx1"),
        dict(hosts="mx9"),  # unknown: no rows
        dict(limit=3, by="sender"),
        dict(limit=0, by="client-ip"),  # 0: all
        dict(hosted_domains=["gmail.example", "@Yahoo.example "], scope="inbound"),
        dict(hosted_domains=["gmail.example"]),
    ]:
        same(api.top_senders(sample.data, **kw), api.top_senders_arrow(sample.data, **kw))


def test_a_nonempty_window_is_compared_not_only_empties(sample):
    top = api.top_senders_arrow(sample.data, by="script", scope="all")
    assert top.num_rows > 3 and top.column_names[:2] == ["uid", "script"]


def test_redacted_output_is_the_same(sample):
    frame = api.top_senders(sample.data, by="sender", scope="all")
    table = api.top_senders_arrow(sample.data, by="sender", scope="all")
    keep = frame["sender"].iloc[0]
    r = Redactor([keep])
    masked = r.frame(table)
    same(r.frame(frame), masked)
    shown = masked.column("sender").to_pylist()
    assert shown[0] == keep and any("***@" in s for s in shown[1:])
    assert to_csv(r.frame(frame)) == to_csv(masked)


def test_bad_arguments_are_refused_alike(sample):
    from analyzer.errors import AnalyzerError

    for kw in [dict(by="nobody"), dict(scope="sideways")]:
        with pytest.raises(AnalyzerError):
            api.top_senders(sample.data, **kw)
        with pytest.raises(AnalyzerError):
            api.top_senders_arrow(sample.data, **kw)


# --- generated tables: missing values, duplicates, re-injections, hostile strings ---------

HOSTILE = [
    "Anna@Shop.Example",
    "anna@shop.example",
    "",  # the null sender
    "=cmd|' /C calc'!A0@evil.example",
    "\x1b[31mred\x1b[0m@term.example",
    "bare-login",
    "ünïcødé@exämple.example",
    "a@b@c.example",
    'quote"d@x.example',
    "\u202egnp.exe@rtl.example",
]
T0 = datetime(2026, 11, 26, tzinfo=UTC)


def generated(seed: int, n: int = 300) -> tuple[pa.Table, pa.Table]:
    """Messages and deliveries with every column of the report, drawn at random: about a
    fifth of each value missing, queue ids that repeat across hosts and times, content
    filter re-injections, messages without nrcpt whose deliveries say who got them."""
    rnd = random.Random(seed)

    def maybe(values, missing=0.2):
        return None if rnd.random() < missing else rnd.choice(values)

    msgs = {c: [] for c in MESSAGE_COLUMNS}
    dels = {c: [] for c in DELIVERY_COLUMNS}
    for _ in range(n):
        first = T0 + timedelta(minutes=rnd.randrange(0, 3 * 24 * 60), microseconds=rnd.randrange(3))
        row = {
            "first_seen": first,
            "last_seen": first + timedelta(seconds=rnd.randrange(0, 4000)),
            "host": maybe(["mx1", "mx2", "MX1"], 0.05),
            "queue_id": maybe(["A1", "B2", "C3", "D4", "E5", "F6"], 0.05),
            "identity": maybe(["sasl:anna@shop.example", "uid:1017", "smtp:192.0.2.1", *HOSTILE]),
            "origin": maybe(["sasl", "local", "smtp", "bounce", "weird"]),
            "sasl_username": maybe(["anna@shop.example", "Bob@Hosted.Example", "carl", *HOSTILE]),
            "uid": maybe([0, 33, 1017, -1]),
            "script": maybe(["/var/www/a.php", "index.php", "", *HOSTILE]),
            "client_ip": maybe(["192.0.2.1", "198.51.100.7", "2001:db8::1", "bad ip"]),
            "sender": maybe(HOSTILE),
            "nrcpt": maybe([0, 1, 2, 5]),
            "sent": maybe([0, 1, 3]),
            "deferred": maybe([0, 1]),
            "bounced": maybe([0, 1, 2]),
            "expired": maybe([True, False]),
            "filter_of": maybe(["X1"], 0.8),
            "bounce_of": maybe(["Y1", "Z2"], 0.6),
        }
        for c in MESSAGE_COLUMNS:
            msgs[c].append(row[c])
        for _ in range(rnd.randrange(0, 4)):
            domain = maybe(["gmail.example", "shop.example", "hosted.example", "ÜBER.example"])
            own = rnd.random() < 0.8  # else a delivery of no message in the table
            dels["host"].append(row["host"] if own else "mx3")
            dels["queue_id"].append(row["queue_id"])
            dels["message_first_seen"].append(row["first_seen"] if own else None)
            dels["program"].append(maybe(["postfix/smtp", "postfix/lmtp", "postfix/virtual"]))
            dels["status"].append(maybe(["sent", "bounced", "deferred", "filtered"]))
            dels["recipient"].append(maybe([f"r{i}@{domain}" for i in range(4)]))
            dels["recipient_domain"].append(domain)
    mschema, dschema = TABLES["messages"].arrow_schema, TABLES["deliveries"].arrow_schema
    return (
        pa.table({c: pa.array(msgs[c], mschema.field(c).type) for c in MESSAGE_COLUMNS}),
        pa.table({c: pa.array(dels[c], dschema.field(c).type) for c in DELIVERY_COLUMNS}),
    )


@pytest.mark.parametrize("seed", range(6))
def test_equal_on_generated_tables(seed):
    msgs, dels = generated(seed)
    hosted_arrow = arrow_senders.hosted_domains(dels, msgs["sasl_username"], ["Extra.example"])
    pm, pd_ = to_pandas(msgs), to_pandas(dels)
    from analyzer.reports.common import hosted_domains

    assert hosted_arrow == hosted_domains(pd_, pm["sasl_username"], ["Extra.example"])
    compared = 0
    for by in BY:
        for scope in SCOPES:
            expected = senders.top_senders(pm, pd_, by, scope, hosted_arrow)
            got = arrow_senders.top_senders(msgs, dels, by, scope, hosted_arrow)
            same(expected, got)
            compared += len(expected)
    assert compared > 100  # the tables made groups to compare


def test_equal_on_a_table_of_one_missing_key():
    msgs, dels = generated(1, n=40)
    msgs = msgs.set_column(
        msgs.schema.get_field_index("identity"), "identity", pa.nulls(40, pa.string())
    )
    pm, pd_ = to_pandas(msgs), to_pandas(dels)
    for scope in SCOPES:
        expected = senders.top_senders(pm, pd_, "identity", scope)
        got = arrow_senders.top_senders(msgs, dels, "identity", scope)
        assert expected.empty and got.num_rows == 0
        assert list(expected.columns) == got.column_names


# --- the command: no pandas, no plotly ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "json"],
        ["--format", "csv", "--by", "sender"],
        ["--by", "script"],
        ["--host", "mx1", "--by", "host"],
        ["--by", "uid", "--scope", "inbound"],  # no row: a quiet window, exit 0
    ],
)
def test_top_senders_command_imports_neither_pandas_nor_plotly(sample, args):
    cmd = ["top-senders", "--data", str(sample.data), "--since", "2026-11-26", "--tz", "UTC"]
    done = run_cli(*cmd, *args)
    assert done.returncode == 0, done.stderr
    assert "HEAVY=\n" in done.stderr, done.stderr
    if "json" in args:
        expected = records(api.top_senders(sample.data, since="2026-11-26", tz="UTC", limit=20))
        assert json.loads(done.stdout) == expected


def test_a_chart_still_takes_the_pandas_path(sample, tmp_path):
    chart = tmp_path / "chart.html"
    cmd = ["top-senders", "--data", str(sample.data), "--since", "2026-11-26", "--tz", "UTC"]
    done = run_cli(*cmd, "--chart", str(chart), "--limit", "3")
    assert done.returncode == 0, done.stderr
    assert chart.is_file() and "pandas" in done.stderr and "plotly" in done.stderr
