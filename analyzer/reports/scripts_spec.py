"""What a suspicious-scripts report reads, judges and gives back, shared by both
implementations (pandas in `reports.scripts`, Arrow in `reports.arrow.scripts`): the
columns, the thresholds of the signs and the scoring of one row (plain Python on plain
values), the history's length. Imports nothing heavy (the CLI path of
`suspicious-scripts` must not import pandas)."""

from __future__ import annotations

import math
import re
from datetime import timedelta

MESSAGE_COLUMNS = [
    "first_seen",
    "last_seen",
    "host",
    "queue_id",
    "identity",
    "origin",
    "uid",
    "user",
    "script",
    "script_path",
    "nrcpt",
    "sent",
    "deferred",
    "bounced",
    "filter_of",
]
DELIVERY_COLUMNS = ["host", "queue_id", "message_first_seen", "recipient", "recipient_domain"]

COLUMNS = [
    "host",
    "uid",
    "script",
    "identity",
    "script_path",
    "messages",
    "recipients",
    "recipient_domains",
    "peak_hour_messages",
    "bounce_rate",
    "first_seen",
    "last_seen",
    "history_messages",
    "score",
    "reasons",
]

# thresholds of the signs (points in parentheses)
VOLUME_MIN = 20  # messages before volume or novelty can count
NEW_SCRIPT = 4  # a script its identity never used before (points)
NEW_IDENTITY = 3  # an identity never seen before (points)
VOLUME_HIGH = 5.0  # x the usual volume (3); VOLUME_RAISED x (1)
VOLUME_RAISED = 2.0
BURST_HIGH = 100  # messages in one clock hour (2); BURST_RAISED (1)
BURST_RAISED = 30
BOUNCE_MIN_FINAL = 10  # delivered + bounced recipients before the bounce rate counts
BOUNCE_HIGH = 0.25  # (2); BOUNCE_RAISED (1)
BOUNCE_RAISED = 0.10
FANOUT_HIGH = 100  # distinct recipient domains (2); FANOUT_RAISED (1)
FANOUT_RAISED = 25

_WRITABLE_DIRS = re.compile(r"(^|/)(uploads?|tmp|temp|cache|\.cache|dev/shm|var/tmp)(/|$)", re.I)
_EVAL = re.compile(r"eval\(\)'d code|: runtime-created function|regexp code|assert code", re.I)
_VOWELS = set("aeiouy")


def path_signs(script: str | None) -> list[tuple[int, str]]:
    """(points, reason) for what the script's path or name gives away."""
    if not isinstance(script, str) or not script:
        return []
    signs = []
    if _EVAL.search(script):
        signs.append((3, "eval()'d code"))
    path = _EVAL.sub("", script).split("(")[0].strip()
    directory, _, name = path.rpartition("/")
    if directory and _WRITABLE_DIRS.search(directory + "/"):
        signs.append((3, "runs from a writable dir (uploads/tmp/cache)"))
    if name.startswith(".") or any(
        p.startswith(".") and p not in (".", "..") for p in directory.split("/")
    ):
        signs.append((2, "hidden file or dir"))
    if random_looking(name):
        signs.append((2, "random-looking name"))
    return signs


def random_looking(name: str) -> bool:
    """A file name like `x7f3k2q9.php`, `a1b2c3.php`, `3f2a9c0e1b.php`: one run of letters
    and digits (no separators) that is mostly digits mixed in, hex, or unpronounceable."""
    stem = name.rsplit(".", 1)[0].lower() if "." in name.lstrip(".") else name.lower()
    stem = stem.lstrip(".")
    if len(stem) < 6 or not stem.isalnum() or not stem.isascii():
        return False
    digits = sum(c.isdigit() for c in stem)
    letters = [c for c in stem if c.isalpha()]
    if digits >= 2 and letters and digits / len(stem) >= 0.25:
        return True
    if len(stem) >= 8 and all(c in "0123456789abcdef" for c in stem) and digits:
        return True
    if letters and len(letters) >= 6:
        vowel_share = sum(c in _VOWELS for c in letters) / len(letters)
        if vowel_share < 0.15:
            return True
    return False


HISTORY_COLUMNS = ["first_seen", "host", "identity", "origin", "script", "filter_of"]
HISTORY_KEYS = ["host", "identity", "script"]


def score(
    row, known: bool, ids_before: set, window_days: float, history_days: float
) -> list[tuple[int, str]]:
    """(points, reason) of each sign that applies to one row of the result (any object with
    its columns as attributes, a missing value None or NaN); `known`: the history covers
    `history_days` days before the window, and `ids_before` are its identities."""
    points: list[tuple[int, str]] = []
    messages = int(row.messages)
    if known and messages >= VOLUME_MIN:
        since = f"the previous {_days(history_days)}"
        if row.history_messages == 0 and row.identity in ids_before:
            points.append((NEW_SCRIPT, f"new script: {messages} messages, none in {since}"))
        elif row.history_messages == 0:
            points.append((NEW_IDENTITY, f"new identity: {messages} messages, none in {since}"))
        else:
            usual = row.history_messages / history_days * window_days
            factor = messages / max(usual, 1.0)
            reason = f"{_times(factor)} its usual volume (expected {usual:.1f} from {since})"
            if factor >= VOLUME_HIGH:
                points.append((3, reason))
            elif factor >= VOLUME_RAISED:
                points.append((1, reason))
    peak = int(row.peak_hour_messages)
    if peak >= BURST_HIGH:
        points.append((2, f"burst: {peak} messages in one hour"))
    elif peak >= BURST_RAISED:
        points.append((1, f"burst: {peak} messages in one hour"))
    if row.final >= BOUNCE_MIN_FINAL and not _missing(row.bounce_rate):
        if row.bounce_rate >= BOUNCE_HIGH:
            points.append((2, f"bounce rate {row.bounce_rate:.0%}"))
        elif row.bounce_rate >= BOUNCE_RAISED:
            points.append((1, f"bounce rate {row.bounce_rate:.0%}"))
    domains = int(row.recipient_domains)
    if domains >= FANOUT_HIGH:
        points.append((2, f"fan-out: {domains} recipient domains"))
    elif domains >= FANOUT_RAISED:
        points.append((1, f"fan-out: {domains} recipient domains"))
    where = row.script_path if isinstance(row.script_path, str) else row.script
    points.extend(path_signs(where))
    return points


def _times(factor: float) -> str:
    return f"{factor:.0f}x" if factor >= 10 else f"{factor:.1f}x"


def _days(days: float) -> str:
    if days >= 1:
        return f"{math.floor(days + 0.5):g} days" if days >= 1.5 else "day"
    return f"{days * 24:.0f} hours"


def _missing(value) -> bool:
    return value is None or value != value  # None (Arrow) or NaN (pandas)


def history_span(history) -> timedelta | None:
    """How far before the window the history reaches (None or `0`: no history)."""
    return duration(history) if history not in (None, "", "0", 0) else None


def duration(text):
    """`30d`, `12h`, `2w` -> timedelta."""
    from ..dataset.timewindow import _RELATIVE, _UNITS

    if isinstance(text, timedelta):
        return text
    m = _RELATIVE.match(str(text))
    if not m:
        from ..errors import AnalyzerError

        raise AnalyzerError(f"cannot read duration {text!r}: use 12h, 30d, 2w")
    return timedelta(**{_UNITS[m[2].lower()]: float(m[1])})
