"""The Arrow relay-spikes (`reports.arrow.spikes`, what the CLI runs) against the pandas
one (`reports.spikes`, the reference): the same rows, values and order for windows,
hosts, limits, buckets and baseline parameters on the sample dataset, and on generated
rejects with missing values, ties, local and internet clients, hosted domains and
hostile strings; the grid of buckets pandas' `resample` lays; the CLI's `relay-spikes`
without pandas or plotly, its output as the pandas path prints it, redaction alike."""

import json
import random
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest
from arrow_paths import WINDOWS, run_cli, run_lean, same

from analyzer import api
from analyzer.dataset.reading import to_pandas
from analyzer.errors import AnalyzerError
from analyzer.render.output import records, to_csv
from analyzer.render.redact import Redactor
from analyzer.reports import spikes
from analyzer.reports.arrow import spikes as arrow_spikes
from analyzer.reports.spikes_spec import (
    REJECT_COLUMNS,
    SENDER_COLUMNS,
    checked_params,
    fixed_step,
    grid_starts,
)
from analyzer.schema import TABLES

BUCKETS = ["1h", "15min", "6h", "1D", "7h", "90s", "2D"]


@pytest.mark.parametrize("bucket", BUCKETS)
def test_equal_on_the_sample_for_every_window_and_bucket(sample, bucket):
    for since, until in WINDOWS:
        for all_buckets in (False, True):
            kw = dict(since=since, until=until, tz="UTC", bucket=bucket, all_buckets=all_buckets)
            same(api.relay_spikes(sample.data, **kw), api.relay_spikes_arrow(sample.data, **kw))


def test_equal_with_hosts_limits_parameters_and_local_addresses(sample):
    compared = 0
    for kw in [
        dict(hosts="mx1"),
        dict(hosts="mx9"),  # unknown: no rows
        dict(limit=1, all_buckets=True),
        dict(limit=3, bucket="15min", min_count=2),
        dict(limit=0, all_buckets=True),  # 0: all
        dict(z=0.5, min_count=1, window=3, min_history=2),
        dict(z=0.0, min_count=1, window=1, min_history=1, all_buckets=True),
        dict(local_ips=["192.0.2.10", "203.0.113.5"], hosted_domains=["Shop.Example"]),
        dict(hosted_domains=["@example.com ", ""], all_buckets=True, min_count=1),
        dict(since="2026-11-26T20:00", tz="UTC", bucket="10min", min_count=1, z=1.0),
    ]:
        expected = api.relay_spikes(sample.data, **kw)
        same(expected, api.relay_spikes_arrow(sample.data, **kw))
        compared += len(expected)
    assert compared > 30  # rows, not only empty results


def test_the_sample_has_a_local_spike_with_its_responsible_account(sample):
    got = api.relay_spikes_arrow(sample.data)
    local = [r for r in records(got) if r["source"] in ("local", "mixed")]
    assert local and local[0]["responsible"] and local[0]["top_clients"]


def test_bad_arguments_are_refused_alike(sample):
    for kw in [dict(window=0), dict(min_history=0)]:
        with pytest.raises(AnalyzerError):
            api.relay_spikes(sample.data, **kw)
        with pytest.raises(AnalyzerError):
            api.relay_spikes_arrow(sample.data, **kw)
    with pytest.raises(AnalyzerError):  # a calendar bucket: only the pandas path
        api.relay_spikes_arrow(sample.data, bucket="W")


def test_fixed_buckets_are_recognised_and_others_are_not():
    assert fixed_step("1h") == fixed_step("h") == fixed_step("60min") == 3_600_000_000
    assert fixed_step("2D") == 2 * 86_400_000_000 and fixed_step("90s") == 90_000_000
    for other in ["W", "MS", "1H", "0h", "-1h", "1.5h", " 1h", "1 h", "B", "1d", ""]:
        assert fixed_step(other) is None, other


def test_the_grid_is_the_one_pandas_resample_lays():
    rnd = random.Random(7)
    for _ in range(400):
        bucket = f"{rnd.choice([1, 2, 3, 7, 15, 25, 90])}{rnd.choice(['s', 'min', 'h', 'D'])}"
        first = 1_764_000_000_000_000 + rnd.randrange(0, 10**12)
        last = first + rnd.choice([0, 1, rnd.randrange(0, 10**11)])
        span = pd.Series(pd.to_datetime([first, last], unit="us", utc=True))
        expected = spikes.bucket_grid(span, bucket).as_unit("us").asi8
        got = grid_starts(first, last, fixed_step(bucket))
        assert got.tolist() == expected.tolist(), bucket


# --- generated rejects -----------------------------------------------------------------------

HOSTILE = [
    "Anna@Shop.Example",
    "anna@shop.example",
    "",  # the null sender
    "<>",
    "=cmd|' /C calc'!A0@evil.example",
    "\x1b[31mred\x1b[0m@term.example",
    "bare-login",
    "ünïcødé@exämple.example",
    "\u202egnp.exe@rtl.example",
]
HELOS = ["Shop.Example", "SHOP.example", "İstanbul.example", "localhost", "", "\x00nul"]
IPS = ["127.0.0.1", "192.0.2.10", "198.51.100.7", "2001:db8::1", "bad ip"]
T0 = datetime(2026, 11, 26, tzinfo=UTC)


def generated(seed: int, n: int = 600):
    """Rejects over three days (a burst or two among them), a fifth of each value missing,
    few distinct values (ties in every count), and the messages that say who sends from
    which domain."""
    rnd = random.Random(seed)

    def maybe(values, missing=0.2):
        return None if rnd.random() < missing else rnd.choice(values)

    bursts = [rnd.randrange(0, 72 * 60) for _ in range(2)]

    def when():
        start = rnd.choice(bursts) if rnd.random() < 0.4 else rnd.randrange(0, 72 * 60)
        minute = start + (rnd.randrange(0, 20) if start in bursts else 0)
        return T0 + timedelta(minutes=minute, microseconds=rnd.randrange(3))

    rejects = [
        {
            "ts": when(),
            "client_ip": maybe(IPS, 0.1),
            "reason_class": maybe(["relay_denied", "relay_denied", "rbl", "unknown_user"], 0.1),
            "sender": maybe(HOSTILE),
            "helo": maybe(HELOS),
            "local_client": maybe([True, False, False]),
        }
        for _ in range(n)
    ]
    messages = [
        {
            "identity": maybe(["uid:33", "sasl:anna@shop.example", "uid:1017", *HOSTILE[:3]]),
            "sender": maybe(HOSTILE),
            "sasl_username": maybe(["anna@shop.example", "Bob@Shop.Example", "carl", ""]),
            "filter_of": maybe(["X1"], 0.8),
        }
        for _ in range(n // 3)
    ]

    def table(name, rows, columns):
        schema = TABLES[name].arrow_schema
        return pa.table({c: pa.array([r[c] for r in rows], schema.field(c).type) for c in columns})

    return table("rejects", rejects, REJECT_COLUMNS), table("messages", messages, SENDER_COLUMNS)


def _accounts_sorted(frame_or_table):
    rows = records(frame_or_table)
    return sorted(rows, key=lambda r: (r["domain"], r["identity"]))


@pytest.mark.parametrize("seed", range(6))
def test_equal_on_generated_rejects(seed):
    rejects, messages = generated(seed)
    accounts = arrow_spikes.sending_accounts(messages)
    expected_accounts = spikes.sending_accounts(to_pandas(messages))
    assert _accounts_sorted(accounts) == _accounts_sorted(expected_accounts)
    hosted = frozenset({"shop.example", "localhost", "exämple.example"})
    frame = to_pandas(rejects)
    compared = responsible = 0
    for bucket, since, until, params, local_ips in [
        ("1h", None, None, checked_params(z=1.0, min_count=2), ()),
        ("15min", T0 + timedelta(hours=20), None, checked_params(min_count=1), ["198.51.100.7"]),
        ("6h", None, T0 + timedelta(days=2), checked_params(window=2, min_history=1), ()),
        ("1D", T0 + timedelta(hours=30), T0 + timedelta(hours=31), checked_params(), ()),
    ]:
        for all_buckets in (False, True):
            kw = dict(since=since, until=until, local_ips=local_ips, all_buckets=all_buckets)
            expected = spikes.relay_spikes(
                frame, bucket, hosted=hosted, accounts=expected_accounts, **kw, **params
            )
            got = arrow_spikes.relay_spikes(
                rejects, bucket, hosted=hosted, accounts=accounts, params=params, **kw
            )
            same(expected, got)
            compared += len(expected)
            responsible += int(expected["responsible_domain"].notna().sum())
            for limit in (1, 2):
                same(spikes.largest(expected, limit), arrow_spikes.largest(got, limit))
    assert compared > 50 and responsible > 0  # buckets, spikes and local spikes compared


def test_quiet_and_empty_rejects_give_empty_results():
    rejects, _ = generated(3, n=50)
    quiet = rejects.set_column(2, "reason_class", pa.array(["rbl"] * 50, pa.string()))
    params = checked_params(min_count=1, z=0.0)
    for table in (rejects.slice(0, 0), quiet):
        for all_buckets in (False, True):
            expected = spikes.relay_spikes(
                to_pandas(table), "1h", all_buckets=all_buckets, **params
            )
            got = arrow_spikes.relay_spikes(table, "1h", all_buckets=all_buckets, params=params)
            same(expected, got)
            if not all_buckets or table.num_rows == 0:
                assert got.num_rows == 0 and got.schema == arrow_spikes.empty().schema


# --- the command: no pandas, no plotly, the same output ----------------------------------

SAMPLE_DAY = ["--since", "2026-11-26", "--tz", "UTC"]


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "json", "--all"],
        ["--format", "csv", "--bucket", "15min", "--min-count", "2"],
        [],
        ["--host", "mx1", "--limit", "1"],
        ["--host", "mx1", "--min-count", "100000"],  # no spike: a quiet window, exit 0
        ["--since", "2030-01-01"],  # after the data: an error naming what it covers
    ],
)
def test_relay_spikes_command_imports_neither_pandas_nor_plotly(sample, args):
    done = run_lean("relay-spikes", sample.data, args, since="2026-11-26")
    if done is None:
        return
    if "100000" in args:
        assert "no relay-denied spikes" in done.stderr and not done.stdout
    if "json" in args:
        expected = api.relay_spikes(sample.data, since="2026-11-26", tz="UTC", all_buckets=True)
        assert json.loads(done.stdout) == records(expected) and len(expected)


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "json"],
        ["--format", "csv", "--all"],
        ["--format", "table", "--all"],
        ["--format", "json", "--all", "--redact"],
    ],
)
def test_output_is_what_the_pandas_path_prints(sample, tmp_path, args):
    """A chart takes the pandas path (and still prints the report): the same bytes out,
    redacted alike (`--redact` runs the nightly report, which imports pandas)."""
    cmd = ["relay-spikes", "--data", str(sample.data), *SAMPLE_DAY, "--bucket", "30min", *args]
    fast, slow = run_cli(*cmd), run_cli(*cmd, "--chart", str(tmp_path / "c.html"))
    assert fast.returncode == slow.returncode == 0, fast.stderr + slow.stderr
    assert "pandas" in slow.stderr and "plotly" in slow.stderr
    assert "plotly" not in fast.stderr and ("--redact" in args or "HEAVY=\n" in fast.stderr)
    assert fast.stdout == slow.stdout and len(fast.stdout.splitlines()) > 3
    if "--redact" in args:  # the clients' addresses in the [{value, count}] lists
        kw = dict(since="2026-11-26", tz="UTC", bucket="30min", all_buckets=True)
        raw = {
            c["value"]
            for row in records(api.relay_spikes(sample.data, **kw))
            for c in row["top_clients"]
        }
        clients = [c["value"] for row in json.loads(fast.stdout) for c in row["top_clients"]]
        assert any(c not in raw for c in clients), clients


def test_a_calendar_bucket_takes_the_pandas_path(sample):
    cmd = ["relay-spikes", "--data", str(sample.data), "--bucket", "W", "--format", "json"]
    done = run_cli(*cmd, *SAMPLE_DAY, "--all")
    assert done.returncode == 0 and "pandas" in done.stderr, done.stderr
    kw = dict(since="2026-11-26", tz="UTC", bucket="W", all_buckets=True)
    expected = api.relay_spikes(sample.data, **kw)
    assert json.loads(done.stdout) == records(expected) and len(expected)


def test_redacted_output_is_the_same(sample):
    """Every text cell, the [{value, count}] lists and the lists of accounts included, is
    masked alike."""
    frame = api.relay_spikes(sample.data, all_buckets=True, min_count=1)
    table = api.relay_spikes_arrow(sample.data, all_buckets=True, min_count=1)
    r = Redactor([frame["top_clients"].iloc[0][0]["value"]])
    same(r.frame(frame), r.frame(table))
    assert to_csv(r.frame(frame)) == to_csv(r.frame(table))
    masked = records(r.frame(table))
    assert masked != records(table)  # something was masked
    shown = json.dumps([row["top_clients"] + row["top_senders"] for row in masked])
    assert "***" in shown  # inside the lists too
