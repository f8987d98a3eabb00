"""The header of a line: time, host, program, pid, and the message after it.

Reads BSD syslog (`Nov  6 09:05:01`, space- or zero-padded day, optional `<PRI>`), Postfix
`maillog_file` lines (same shape), RFC 3339 / rsyslog high-precision timestamps and
`journalctl -o short-iso` (`2026-11-26T09:05:01+0100 host prog[pid]: msg`) with the one
`HEADER` regex (the hot path); and, only for lines it does not match, Exim's own log lines
(`2013-06-10 18:33:32.123 +0100 [10099] ...`), PHP's `mail.log`
(`[06-Oct-2016 01:38:43 America/Chicago] mail() on ...`), `journalctl -o json` objects and
a few syslog oddities (`<mail.info>` after the time, `[program]` without a host). The
timestamps are turned into UTC epoch microseconds by `clock.Clock` (which also infers the
year BSD timestamps lack). `sniff_format` tells what a file holds from its first lines.
"""

from __future__ import annotations

import json
import re

# groups: bsd time, iso time, host, program, pid, message
HEADER = re.compile(
    r"(?:<\d{1,3}>)?"
    r"(?:([A-Z][a-z]{2}  ?\d{1,2} \d\d:\d\d:\d\d)"
    r"|(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?))"
    r" (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)",
    re.S,
)

# Exim's own lines: time, optional milliseconds, optional zone (log_timezone), optional
# [pid] (log_selector +pid), message
EXIM_NATIVE = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{3}))?(?: ([+-]\d{4}))? (?:\[(\d+)(?::\d+)?\] )?(.*)",
    re.S,
)
# PHP mail.log file form: `[d-M-Y H:i:s e]`, e = a time zone identifier (or UTC)
PHP_FILE = re.compile(r"\[(\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d) ([^\]\s]+)\] (.*)", re.S)
# `Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: ...` (syslog-ng facility.priority)
_FACILITY = re.compile(
    r"((?:<\d{1,3}>)?[A-Z][a-z]{2}  ?\d{1,2} \d\d:\d\d:\d\d) <\w+\.\w+> (.*)", re.S
)
# `Oct 14 19:45:05 [exim] LOGIN authenticator failed ...` (no host, program in brackets)
_BRACKETED = re.compile(r"([A-Z][a-z]{2}  ?\d{1,2} \d\d:\d\d:\d\d) \[([^\]\s]+)\] (.*)", re.S)
# `mail.example.com exim[3751842]: 2021-07-17 23:20:49 ...` (a journal line without its
# time; the program's own timestamp follows)
_NO_TIME = re.compile(r"(\S+) ([^\s\[:]+)(?:\[(\d+)\])?: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d.*)", re.S)

FORMATS = ("postfix", "exim", "sendmail", "phpmail", "journal")

# --- journald -------------------------------------------------------------------------------


def journal_fields(line: str):
    """A `journalctl -o json` line -> (UTC micros, host, program, pid, message) or None.

    `MESSAGE` is a string, or an array of byte values when it is not valid UTF-8 (decoded
    with U+FFFD for bad bytes); the program is `SYSLOG_IDENTIFIER` (else `_COMM`), the pid
    `SYSLOG_PID` (else `_PID`)."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    try:
        ts = int(entry["__REALTIME_TIMESTAMP"])
    except (KeyError, TypeError, ValueError):
        return None
    message = entry.get("MESSAGE")
    if isinstance(message, list):
        try:
            message = bytes(message).decode("utf-8", "replace")
        except (TypeError, ValueError):
            return None
    if not isinstance(message, str):
        return None
    program = entry.get("SYSLOG_IDENTIFIER") or entry.get("_COMM") or ""
    pid = entry.get("SYSLOG_PID") or entry.get("_PID")
    if not (isinstance(pid, str) and pid.isascii() and pid.isdigit()):
        pid = None  # damaged (found by tools/fuzz.py): the line still counts, without a pid
    host = entry.get("_HOSTNAME")
    if not isinstance(program, str) or not isinstance(host, (str, type(None))):
        return None
    return ts, host, program, pid, message.replace("\x00", "")


_SENDMAIL = ("sendmail", "sm-mta", "sm-msp-queue", "sm-acceptingconnections")
_PHP = re.compile(r"php(?:-fpm|-cgi|-cli)?[\d.]*$")


def family_of(program: str) -> str | None:
    """The MTA family of a syslog program name (None: a program beside the MTA).

    postfix*: `postfix/smtpd`, `postfix/submission/smtpd`, `postfix-incoming/smtpd`;
    exim: `exim`, `exim4`, `exim4-daemon-heavy`, ...; sendmail: `sendmail`, `sm-mta`,
    `sm-msp-queue`, `sm-acceptingconnections` and other `sm-<name>` daemon names;
    phpmail: `php`, `php-fpm`, `php-fpm8.2`, `php-cgi` (PHP's `mail.log = syslog`; a line
    of any other program that starts with `mail() on [` is read as PHP's too).
    """
    if program.startswith("postfix"):
        return "postfix"
    if program.startswith("exim"):
        return "exim"
    if program in _SENDMAIL or program.startswith("sm-"):
        return "sendmail"
    if program.startswith("php") and _PHP.match(program):
        return "phpmail"
    return None


# --- what a file holds ----------------------------------------------------------------------


def sniff_format(lines: list[str]) -> tuple[str | None, bool]:
    """(format, native) of a file from its first non-empty lines: `journal` (JSON
    objects), `phpmail` (PHP's mail.log file form, or syslog lines that are mostly PHP's),
    `exim` (native when the lines are Exim's own, else syslog lines of exim), `sendmail`,
    `postfix` (syslog lines, told apart by the programs of their MTA lines; plain syslog
    without any MTA line says `postfix`), or None when nothing is recognisable."""
    votes: dict[str, int] = {}
    native = 0
    for line in lines:
        line = line.strip("\x00\r\n")
        if not line:
            continue
        kind = None
        if line[:1] == "{" and journal_fields(line) is not None:
            kind = "journal"
        elif PHP_FILE.match(line):
            kind = "phpmail"
            native += 1
        else:
            header = HEADER.match(line)
            if header is not None and not exim_native_first(line, header):
                program = header[4]
                family = family_of(program) or (
                    "phpmail" if header[6].startswith("mail() on [") else None
                )
                kind = family or "syslog"
            elif EXIM_NATIVE.match(line):
                kind = "exim"
                native += 1
        if kind:
            votes[kind] = votes.get(kind, 0) + 1
    if not votes:
        return None, False
    if votes.get("journal"):
        return "journal", False
    mta = {k: v for k, v in votes.items() if k != "syslog"}
    if not mta:
        return "postfix", False
    best = max(sorted(mta), key=lambda k: mta[k])
    return best, best in ("exim", "phpmail") and native * 2 >= mta[best]


_EXIM_ID_OR_PID = re.compile(r"\[\d+\]$|[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}$")


def exim_native_first(line: str, header) -> bool:
    """A line `2013-12-30 00:24:50 X Y: ...` matches the syslog header (host X, program
    Y). It is Exim's own line when X is an Exim message id or a `[pid]`: Exim's syslog
    lines have a host there."""
    iso = header[2]
    return iso is not None and iso[10:11] == " " and _EXIM_ID_OR_PID.match(header[3]) is not None


def default_host() -> str:
    """The host of lines that name none (Exim's own log, PHP's mail.log file form): this
    machine's short host name, as rsyslog writes it by default."""
    import socket  # here: a run with nothing new to read (cron's) never asks

    return socket.gethostname().split(".", 1)[0] or "localhost"
