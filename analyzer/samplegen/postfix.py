"""Synthetic Postfix syslog traffic with planted abuse incidents and exact ground truth.

Owns the generator behind ``sample_logs/maillog`` and the benchmark inputs. It simulates one
shared-hosting mail server (``mx1``): inbound mail for eight customer domains, SASL
submissions on ports 587/465, PHP ``mail()`` and cron submissions via pickup, outbound
deliveries with deferrals, bounces and expiries, rejects, SASL failures and the chatter of
postscreen, anvil, dovecot, amavis and opendkim. Outbound mail (SASL submissions and
pickup) passes amavis as a content filter: handed over on 127.0.0.1:10024 and re-injected
on 127.0.0.1:10025 as a new queue id, which makes the deliveries. Four incidents are planted (a compromised
SASL account, a PHP spam script, a relay-denied spike from a customer's web app on
localhost, an SMTP AUTH brute force) and everything emitted is counted into a truth dict.

Design points:

- Deterministic: all randomness comes from ``random.Random`` instances seeded from ``seed``;
  no wall clock, no global RNG. The same arguments give byte-identical output. Only
  ``random()`` and ``getrandbits()`` are used: Python keeps their output for a seed stable
  across versions (it does not promise that for ``choice``/``sample``/``randrange``).
- Time-ordered streaming: scenarios are generated hour by hour (in start-time order); each
  scenario appends ``(ms, program, text)`` events, and at the end of every hour the events
  that fall into it are sorted (stably, so a message's own lines keep their causal order)
  and written. Only the events of the next few minutes (plus a handful of long deferral
  retries) are ever held in memory.
- Fast: the syslog prefix is built once per hour from a table of ``MM:SS`` strings and the
  per-program line counts are taken with one C-level ``Counter.update`` per hour.
- Every timestamp is naive UTC wall time, in BSD syslog form ``Nov  6 09:05:01``.
- Every address and domain uses reserved names (``*.example``) and every IP address comes
  from reserved ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 198.18.0.0/15,
  2001:db8::/32, 10.0.0.1 for the server itself).

Module layout: ``core.py`` and the layers it lists hold the simulator, one concern each;
this module names the whole simulator and offers the public functions.
"""

from __future__ import annotations

import json
from datetime import datetime

from .core import DEFAULT_MESSAGES_PER_DAY, DEFAULT_SEED, DEFAULT_START
from .traffic import Traffic


class PostfixSimulator(Traffic):
    """One simulated server; ``run`` streams its log hour by hour into a sink."""


# ---------------------------------------------------------------------- public API
def generate_postfix(
    seed: int = DEFAULT_SEED,
    start: datetime = DEFAULT_START,
    days: float = 1.0,
    messages_per_day: int = DEFAULT_MESSAGES_PER_DAY,
    host: str = "mx1",
    incidents: bool = True,
) -> tuple[list[str], dict]:
    """Generate ``days`` of Postfix syslog lines (no trailing newlines, time-ordered) and the
    ground-truth dict. Deterministic for a given set of arguments."""
    lines: list[str] = []
    sim = PostfixSimulator(
        seed=seed,
        start=start,
        days=days,
        host=host,
        incidents=incidents,
        messages_per_day=messages_per_day,
        target_lines=None,
    )
    truth = sim.run(lines.extend)
    return lines, truth


def write_postfix(
    path,
    target_lines: int | None = None,
    days: float = 1.0,
    seed: int = DEFAULT_SEED,
    start: datetime = DEFAULT_START,
    host: str = "mx1",
    incidents: bool = True,
    messages_per_day: int | None = None,
    truth_path=None,
) -> dict:
    """Stream a generated log to ``path`` with bounded memory and return the truth dict.

    With ``target_lines`` the background volume is steered to write about that many lines
    (within a few percent) over ``days``; otherwise ``messages_per_day`` (default
    ``DEFAULT_MESSAGES_PER_DAY``) fixes the volume, and the output equals ``generate_postfix``.
    """
    if target_lines is not None and messages_per_day is not None:
        raise ValueError("give target_lines or messages_per_day, not both")
    if target_lines is None and messages_per_day is None:
        messages_per_day = DEFAULT_MESSAGES_PER_DAY
    sim = PostfixSimulator(
        seed=seed,
        start=start,
        days=days,
        host=host,
        incidents=incidents,
        messages_per_day=messages_per_day,
        target_lines=target_lines,
    )
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        write = f.write

        def sink(lines: list[str]) -> None:
            write("\n".join(lines))
            write("\n")

        truth = sim.run(sink)
    if truth_path is not None:
        write_truth(truth_path, truth)
    return truth


def write_truth(path, truth: dict) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")
