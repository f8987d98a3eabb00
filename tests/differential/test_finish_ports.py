"""The Rust ports of the Exim and Sendmail patterns' Python steps (`rust/src/finish/`,
`core_table.finish_ports`) against those steps: every finishing pattern has a port, the
core makes its samples' events without calling Python, and on mutated sample lines
(selectors added, moved, cut; odd flags, delays, stats, addresses) the compiled core and
the Python parser give the same events, key for key, in the same order, same types; and
the engine's dataset of such lines equals the Python path's."""

from __future__ import annotations

import random
from datetime import date

import pytest
from both import compare, require_core, zone
from engine_mta import both_ways, write_log
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_compiled_engine import count_runs

from analyzer.parse import core_table, rust_batch
from analyzer.parse.patterns import FAMILIES


@pytest.fixture(autouse=True)
def _core():
    require_core()


def _finishing(family: str) -> list:
    return [
        p
        for p in FAMILIES[family]
        if p.event != "other" and (p.derive is not None or bool(p.extra))
    ]


# (format, native) the samples of a family are written in
FORMS = {"exim": ("exim", True), "sendmail": ("sendmail", False)}
SAMPLES = {f: [line for p in _finishing(f) for line in p.samples] for f in FORMS}


def test_every_finishing_pattern_has_a_port():
    args = core_table.core_arguments()
    finishing = [f is not None for f in args["finishers"]]
    assert sum(finishing) == sum(len(_finishing(f)) for f in FORMS) >= 9
    assert [p is not None for p in args["ports"]] == finishing


@pytest.fixture
def python_steps(monkeypatch):
    """The core built with its Python steps counted: how many events Python finished."""
    calls = {"n": 0}
    real = core_table.core_arguments

    def counted():
        args = real()

        def count(step):
            def finish(event, message):
                calls["n"] += 1
                step(event, message)

            return finish

        args["finishers"] = [None if f is None else count(f) for f in args["finishers"]]
        return args

    monkeypatch.setattr(rust_batch, "core_arguments", counted)
    monkeypatch.setattr(rust_batch, "_cores", {})  # no core built before (nor kept after)
    return calls


@pytest.mark.parametrize("family", sorted(FORMS))
def test_samples_made_in_rust(family, python_steps):
    fmt, native = FORMS[family]
    data = "\n".join(SAMPLES[family]).encode()
    lines, python_lines = compare(data, zone=zone("UTC"), format=fmt, native=native)
    # only the `<mail.info>` header form is Python's (read whole by the Python parser)
    facility = sum(" <mail." in line for line in SAMPLES[family])
    assert lines == len(SAMPLES[family]) and python_lines == facility
    assert python_steps["n"] == 0


def test_a_number_beyond_i64_is_finished_by_python(python_steps):
    # an extra selector's port (`H=`'s port, an int) too big for the Rust event
    line = (
        "2026-11-26 09:00:01 H=(x) [10.0.0.1]:99999999999999999999 F=<a@b> rejected RCPT <c@d>: no"
    )
    compare(line.encode(), zone=zone("UTC"), format="exim", native=True)
    assert python_steps["n"] == 1


# what a mutation inserts: the selectors, flags and words the ports read
# fmt: off
TOKENS = [
    ' ', '<', '>', '<>', '@', '=', ':', ',', '(', ')', '[', ']', '"', '\\', '\\"', '+', '-',
    '.', '0', '7', 'x', '|', '/', ' H=', ' H=(h) [10.0.0.9]:25', ' F=<a@b>', ' F=', ' U=u',
    ' A=plain:user', ' P=esmtp', ' rejected ', 'temporarily ', 'RCPT ', 'MAIL ', 'EHLO ',
    'from ', ' from <a@b>', 'after DATA', 'connection', '[127.0.0.1]', '::1', ' T=t', ' R=r',
    '=>', '**', '==', '->', '*>', '>>', ' for a@b c@d', ' T="s\\"x"', ' S=', ' id=', 'Sent',
    'Sent (', 'Deferred: ', 'queued', 'QUEUED', 'stat=', 'dsn=4.0.0, ', 'dsn=5.1.1',
    'ctladdr=<u@h> (1/1), ', 'ctladdr=apache (48/48), ', 'to=', 'from=', 'relay=', 'relay=a@b',
    '00:00:', '1+', '+', '4.7.1 ', '5.1.1', ', ', 'check_rcpt', 'check_mail', 'check_compat',
    'SMTP protocol ', 'too many ',
    'arg2=1.2.3.4, ', 'Milter: to=<a@b>', 'Milter: from=', 'msgid=<m@x>', 'proto=',
    'mailer=local', 'mailer=prog', 'mailer=', 'AUTH',
]
# fmt: on


def _mutate(rng: random.Random, line: str, start: int) -> str:
    """One to three edits after the line's time (`start`): insert, cut or replace."""
    for _ in range(rng.randint(1, 3)):
        if len(line) <= start:
            break
        a = rng.randrange(start, len(line) + 1)
        b = min(len(line), a + rng.randint(0, 12))
        token = rng.choice(TOKENS)
        op = rng.randrange(3)
        if op == 0:
            line = line[:a] + token + line[a:]
        elif op == 1:
            line = line[:a] + line[b:]
        else:
            line = line[:a] + token + line[b:]
    return line


def _mutated(family: str, seed: int, n: int) -> list[str]:
    """`n` mutated sample lines of the family's finishing patterns."""
    rng = random.Random(seed)
    fmt, native = FORMS[family]
    lines = []
    for _ in range(n):
        line = rng.choice(SAMPLES[family])
        # past the header: Exim's `YYYY-MM-DD hh:mm:ss `, syslog's `... prog[pid]: `
        start = 20 if native else line.index("]: ") + 3
        lines.append(_mutate(rng, line, start))
    return lines


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), family=st.sampled_from(sorted(FORMS)))
def test_mutated_lines_same_events(seed, family):
    fmt, native = FORMS[family]
    compare(
        "\n".join(_mutated(family, seed, 60)).encode(),
        zone=zone("UTC"),
        reference=date(2026, 12, 31),
        format=fmt,
        native=native,
    )


@pytest.mark.parametrize("family", sorted(FORMS))
def test_engine_dataset_of_mutated_lines(monkeypatch, tmp_path, family):
    runs = count_runs(monkeypatch)
    lines = list(SAMPLES[family]) + _mutated(family, 11, 3000)
    log = write_log(lines, tmp_path / "mail.log", FORMS[family][1])
    both_ways(monkeypatch, tmp_path, log)
    assert runs["batches"] >= 1 and runs["handed_over"] == 0


# lines a port leaves to Python (a number beyond i64): Sendmail's delay is then a float
# the engine holds; Exim's `H=` port stays an int it cannot hold, so that batch goes to
# the Python correlator (handed over), as any event the engine cannot hold
LEFT_TO_PYTHON = {
    "sendmail": (
        "Nov 26 10:00:05 mx1 sm-mta[3001]: 5AQA04xF003000: to=<a@b>, "
        "delay=99999999999999999999:00:00, mailer=esmtp, pri=1, dsn=2.0.0, stat=Sent",
        0,
    ),
    "exim": (
        "2026-11-26 09:00:02 H=(x) [10.0.0.1]:99999999999999999999 F=<a@b> rejected RCPT <c@d>: no",
        1,
    ),
}


@pytest.mark.parametrize("family", sorted(FORMS))
def test_engine_finishes_by_python_what_its_port_leaves(
    monkeypatch, tmp_path, python_steps, family
):
    runs = count_runs(monkeypatch)
    line, handed_over = LEFT_TO_PYTHON[family]
    lines = [*SAMPLES[family], line, *SAMPLES[family]]
    log = write_log(lines, tmp_path / "mail.log", FORMS[family][1])
    both_ways(monkeypatch, tmp_path, log)
    assert runs["handed_over"] == handed_over and python_steps["n"] >= 1
