"""The Arrow auth-failures (`reports.arrow.auth`, what the CLI runs) against the pandas
one (`reports.auth`, the reference): the same rows, values and order by client IP and by
username, on the sample dataset and on generated tables with missing values, ties,
hostile strings and anvil rates; and the CLI's `auth-failures` and `status` without
pandas or plotly in the process."""

import json
import random
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from arrow_paths import WINDOWS, run_cli, run_lean, same

from analyzer import api
from analyzer.dataset.reading import to_pandas
from analyzer.render.output import records
from analyzer.reports import auth
from analyzer.reports.arrow import auth as arrow_auth
from analyzer.schema import TABLES


@pytest.mark.parametrize("by", list(auth.BY))
def test_equal_on_the_sample_for_every_window_host_and_limit(sample, by):
    compared = 0
    for since, until in WINDOWS:
        for extra in [{}, {"hosts": "mx1"}, {"hosts": "mx9"}, {"limit": 3}, {"limit": 0}]:
            kw = dict(since=since, until=until, tz="UTC", by=by, **extra)
            expected = api.auth_failures(sample.data, **kw)
            same(expected, api.auth_failures_arrow(sample.data, **kw))
            compared += len(expected)
    assert compared > 10  # the sample has failures to compare


def test_bad_arguments_are_refused_alike(sample):
    from analyzer.errors import AnalyzerError

    with pytest.raises(AnalyzerError):
        api.auth_failures(sample.data, by="nobody")
    with pytest.raises(AnalyzerError):
        api.auth_failures_arrow(sample.data, by="nobody")


# --- generated tables ----------------------------------------------------------------------

HOSTILE = [
    "Anna@Shop.Example",
    "anna@shop.example",
    "=cmd|' /C calc'!A0",
    "\x1b[31mred\x1b[0m",
    "ünïcødé",
    "(not logged)",
    "",
]
IPS = ["192.0.2.1", "198.51.100.7", "2001:db8::1", "203.0.113.9", "bad ip"]
T0 = datetime(2026, 11, 26, tzinfo=UTC)


def generated(seed: int, n: int = 400):
    """Failures, messages, connections and anvil rates drawn at random, about a fifth of
    each value missing, few distinct values (ties in counts and names)."""
    rnd = random.Random(seed)

    def maybe(values, missing=0.2):
        return None if rnd.random() < missing else rnd.choice(values)

    def when():
        return T0 + timedelta(minutes=rnd.randrange(0, 2 * 24 * 60), microseconds=rnd.randrange(3))

    def table(name, rows):
        schema = TABLES[name].arrow_schema
        columns = list(rows[0])
        return pa.table({c: pa.array([r[c] for r in rows], schema.field(c).type) for c in columns})

    failures = [
        {
            "ts": when(),
            "client_ip": maybe(IPS, 0.1),
            "client_name": maybe(["mail.example", "unknown", "a.example", "b.example"]),
            "sasl_username": maybe(HOSTILE, 0.3),
        }
        for _ in range(n)
    ]
    messages = [
        {
            "first_seen": when(),
            "client_ip": maybe(IPS),
            "sasl_username": maybe(HOSTILE),
            "filter_of": maybe(["X1"], 0.8),
        }
        for _ in range(n // 2)
    ]
    connections = [
        {
            "ts": when(),
            "client_ip": maybe(IPS),
            "sasl_username": maybe(HOSTILE, 0.5),
            "auth_ok": maybe([0, 1, 2]),
            "messages": maybe([0, 0, 1]),
        }
        for _ in range(n // 2)
    ]
    rates = [
        {
            "client_ip": maybe(IPS, 0.1),
            "kind": maybe(["connection_rate", "connection_count", "message_rate"], 0.05),
            "figure": maybe([1, 5, 30, 45, 90]),
            "period": maybe([0, 60, 120, 3600], 0.3),
        }
        for _ in range(n // 4)
    ]
    return (
        table("auth_failures", failures),
        table("messages", messages),
        table("connections", connections),
        table("client_rates", rates),
    )


@pytest.mark.parametrize("seed", range(6))
def test_equal_on_generated_tables(seed):
    failures, msgs, conns, rates = generated(seed)
    fp, mp, cp, rp = (to_pandas(t) for t in (failures, msgs, conns, rates))
    succeeded = arrow_auth.successes(
        msgs.filter(arrow_auth.logged_in(msgs)), conns.filter(arrow_auth.bare_auth(conns))
    )
    compared = 0
    for by in auth.BY:
        expected = auth.auth_failures(fp, auth.successes(mp, cp), by, rp)
        got = arrow_auth.auth_failures(failures, succeeded, by, rates)
        same(expected, got)
        compared += len(expected)
        assert expected["succeeded_later"].any()  # later logins were compared too
    assert compared >= 8


def test_equal_without_failures_or_rates():
    failures, msgs, conns, rates = generated(1, n=20)
    none = failures.slice(0, 0)
    succeeded = arrow_auth.successes(msgs.slice(0, 0), conns.slice(0, 0))
    for by in auth.BY:
        expected = auth.auth_failures(to_pandas(none), auth.successes(None, None), by)
        same(expected, arrow_auth.auth_failures(none, succeeded, by))
        expected = auth.auth_failures(to_pandas(failures), auth.successes(None, None), by, None)
        same(expected, arrow_auth.auth_failures(failures, succeeded, by, None))


# --- the commands: no pandas, no plotly -----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "json"],
        ["--format", "json", "--by", "username", "--limit", "0"],
        ["--format", "csv"],
        ["--host", "mx1"],
        ["--since", "2030-01-01"],  # after the data: an error naming what it covers
    ],
)
def test_auth_failures_command_imports_neither_pandas_nor_plotly(sample, args):
    done = run_lean("auth-failures", sample.data, args, since="2026-11-26")
    if done is None:
        return
    if "json" in args:
        by = "username" if "username" in args else "client-ip"
        limit = 0 if "--limit" in args else 20
        expected = api.auth_failures(sample.data, since="2026-11-26", tz="UTC", by=by, limit=limit)
        assert json.loads(done.stdout) == records(expected) and len(expected)


@pytest.mark.parametrize("args", [[], ["--json"]])
def test_status_imports_neither_pandas_nor_plotly(sample, args):
    done = run_cli("status", "--data", str(sample.data), *args)
    assert done.returncode == 0, done.stderr
    assert "HEAVY=\n" in done.stderr, done.stderr
    if args:
        assert json.loads(done.stdout) == json.loads(json.dumps(api.status(sample.data)))


def test_redacted_output_is_the_same(sample):
    """Every text cell, the lists of names and [{value, count}] included, is masked alike."""
    from analyzer.render.output import to_csv
    from analyzer.render.redact import Redactor

    for by in auth.BY:
        frame = api.auth_failures(sample.data, by=by)
        table = api.auth_failures_arrow(sample.data, by=by)
        r = Redactor([frame[auth.BY[by]].iloc[0]])
        same(r.frame(frame), r.frame(table))
        assert to_csv(r.frame(frame)) == to_csv(r.frame(table))
        assert records(r.frame(table)) != records(table)  # something was masked
