"""The Postfix sample's simulated server, running Exim (cPanel style) or Sendmail instead.

The same world (domains, mailboxes, SASL accounts, web sites, destinations), the same
background traffic and the same four planted incidents as ``postfix.py`` — the scheduling,
incident planning and truth bookkeeping are inherited from its simulator — with every
line an MTA writes rendered in that MTA's own words:

- **Exim** (``exim_mainlog`` of a cPanel server: Exim's own timestamps, no pid, ``U=``
  logins, ``cwd=`` lines of local submissions, ``A=dovecot_login:user``, ``C=`` replies).
  Local submissions are charged to ``user:site<uid>``; the PHP burst shows up with the
  directory of its script (``cwd=``).
- **Sendmail** (syslog, ``sm-mta`` for the MTA, ``sendmail`` for the MSP): every local
  submission makes the MSP -> MTA hop over localhost, SASL sessions log ``AUTH=server``
  before their first message without a queue id (a tenth with one, a form seen in parsers),
  AUTH failures are logged one by one (LogLevel >= 10) and sessions with several end in
  ``possible SMTP attack``; relay rejects are ``check_rcpt ... Relaying denied`` followed
  by the session's ``nrcpts=0`` line.

Deterministic like the Postfix generator (its own random streams, only ``random()``).
Counts that differ by nature (Exim gives up with a ``retry timeout exceeded`` bounce where
Postfix expires; Sendmail has no HELO reject) are counted as what is written.

Module layout: ``mta_common.py`` (what both share), ``exim_mail.py`` + ``exim.py``,
``sendmail_mail.py`` + ``sendmail.py``; this module offers the public functions.
"""

from __future__ import annotations

import json
from datetime import datetime

from .core import DEFAULT_MESSAGES_PER_DAY, DEFAULT_SEED, DEFAULT_START
from .exim import EximSimulator
from .names import SITE_NAMES
from .sendmail import SendmailSimulator


def passwd_lines() -> list[str]:
    """A passwd file of the simulated server: root, the MTA's users, one account per web
    site (`site<uid>`, home `/home/site<uid>`)."""
    lines = [
        "root:x:0:0:root:/root:/bin/bash",
        "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
        "mailnull:x:47:47::/var/spool/mqueue:/sbin/nologin",
        "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
    ]
    for i, name in enumerate(SITE_NAMES):
        uid = 1001 + i
        lines.append(f"site{uid}:x:{uid}:{uid}:{name}.example:/home/site{uid}:/bin/bash")
    return lines


def write_passwd(path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(line + "\n" for line in passwd_lines()))


# ---------------------------------------------------------------------------- public API
_KINDS = {"exim": EximSimulator, "sendmail": SendmailSimulator}


def generate_mta(
    kind: str,
    seed: int = DEFAULT_SEED,
    start: datetime = DEFAULT_START,
    days: float = 1.0,
    messages_per_day: int = DEFAULT_MESSAGES_PER_DAY,
    host: str = "mx1",
    incidents: bool = True,
    php_log: bool = False,
):
    """``days`` of Exim (``kind="exim"``) or Sendmail (``"sendmail"``) log lines and the
    truth dict. Deterministic for a given set of arguments. With ``php_log``, also the PHP
    mail.log of the same run and its truth: (lines, truth, php lines, php truth)."""
    lines: list[str] = []
    sim = _KINDS[kind](
        seed=seed,
        start=start,
        days=days,
        host=host,
        incidents=incidents,
        messages_per_day=messages_per_day,
        target_lines=None,
    )
    if php_log:
        sim.php_calls = []
    truth = sim.run(lines.extend)
    if not php_log:
        return lines, truth
    from .phpmail import mail_log

    return (lines, truth, *mail_log(sim, seed, start, days, host))


def write_mta(
    kind: str,
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
    """Stream a generated Exim or Sendmail log to ``path`` (bounded memory) and return the
    truth; ``target_lines`` steers the volume like ``write_postfix``."""
    if target_lines is None and messages_per_day is None:
        messages_per_day = DEFAULT_MESSAGES_PER_DAY
    sim = _KINDS[kind](
        seed=seed,
        start=start,
        days=days,
        host=host,
        incidents=incidents,
        messages_per_day=messages_per_day,
        target_lines=target_lines,
    )
    with open(path, "w", encoding="utf-8", newline="\n") as f:

        def sink(lines: list[str]) -> None:
            f.write("\n".join(lines))
            f.write("\n")

        truth = sim.run(sink)
    if truth_path is not None:
        with open(truth_path, "w", encoding="utf-8", newline="\n") as f:
            json.dump(truth, f, indent=2)
            f.write("\n")
    return truth
