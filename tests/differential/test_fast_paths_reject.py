"""The hand-written matchers of Postfix's reject lines and PHP script headers
(`rust/src/engine/fast/postfix_reject.rs`) against their regexes on token soup: lines
whose reason, envelope tail and script name are made of the very tokens the matchers
decide on (`;`, ` from=<`, `>`, `,`, ` to=<`, ` proto=`, ` helo=`, ` from `, clients),
so that every lazy group and optional part is met in every order. With the fast paths on
and in `verify` mode the core must give exactly what it gives with them off."""

from __future__ import annotations

import random

import pytest
from both import require_core, zone
from test_fast_paths import same_as_regexes

HEAD = "Nov 26 10:00:00 mx1 postfix/smtpd[9]: "
TAIL_TOKENS = [";", " from=<", ">", ",", " to=<", " proto=", " helo=", "<", " ", "SMTP"]
TAIL_TOKENS += ["a@b", "x", "; from=<", ">,", " helo=<", "ESMTP", "4", "5.7.1", "-"]
LEADS = ["NOQUEUE: ", "3A8E81C0F1: ", "", "3bHLg21qzBz9vNC: ", "NOQUEUE:", "AE: "]
VERBS = ["reject: ", "defer: ", "reject_warning: ", "reject_x: "]
STAGES = ["RCPT", "END-OF-MESSAGE", "CONNECT", "A--B", "-A", "DATA-"]
CLIENTS = ["unknown[192.0.2.9]", "[192.0.2.9]:25", "a.b[2001:db8::1]", "x[1.2.3.4]:x", "y[1"]
CODES = ["554 5.7.1 ", "450 ", "4500 ", "550 5.1.1000 ", "550 5.1 ", "", "55 ", "554 5.7.1"]


@pytest.fixture(autouse=True)
def _core():
    require_core()


def soup(rng: random.Random, tokens: list[str], most: int) -> str:
    return "".join(rng.choice(tokens) for _ in range(rng.randint(0, most)))


def reject_line(rng: random.Random) -> str:
    return (
        HEAD
        + rng.choice(LEADS)
        + rng.choice(VERBS)
        + rng.choice(STAGES)
        + " from "
        + rng.choice(CLIENTS)
        + ": "
        + rng.choice(CODES)
        + soup(rng, TAIL_TOKENS, 14)
    )


SCRIPT_TOKENS = [" from ", "local;", "local", "x[192.0.2.1];", "x[192.0.2.1]:25;", ";", "a.php"]
SCRIPT_TOKENS += [" from=<", ">", " to=<", "r@x", " from from ", "[", "]"]


def script_line(rng: random.Random) -> str:
    return (
        "Nov 26 00:32:09 mx1 postfix/cleanup[7]: 17FD07BFBD5: "
        + rng.choice(["warning: ", "info: ", "note: "])
        + "header X-PHP-Originating-Script: "
        + rng.choice(["1026:", "7:", ":", "12"])
        + soup(rng, SCRIPT_TOKENS, 10)
    )


def test_token_soup():
    rng = random.Random(17)
    lines = [reject_line(rng) for _ in range(6000)]
    lines += [script_line(rng) for _ in range(5000)]
    counts = same_as_regexes("\n".join(lines).encode(), batch_bytes=100_000, zone=zone("UTC"))
    # most lines are answered by hand (the others are declined or match no pattern)
    assert counts["smtpd_noqueue_reject"] > 600, counts
    assert counts["cleanup_php_script"] > 200, counts
