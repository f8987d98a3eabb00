"""The checkpoint, declared once: what a committed dataset remembers besides its parts, the
format version, each part of the correlator's open state (its key, which concern of the
correlator owns it, how it is stored, its value when absent), and how an older version
is read. Every reader and writer of the checkpoint goes through here.

    DATA/_state/state.json    the switch: `version`, `commit`, `sources` (offsets),
                              `parts` (committed parts and their rows), `programs`,
                              `beside_mta`, `mta_seen`
    DATA/_state/open.sqlite   the correlator's open state (`openstate`), key by key

Versions:
    2  the open state is in open.sqlite (a part declared `per_entry` one row per entry,
       any other part one row);
    1  the open state was inline in state.json under `correlator`, with the per-entry
       parts as lists of their entries, and without the parts added since (`filter_links`,
       `mta_hosts`, `php_joins`: they start empty). A version 1 checkpoint is read as it
       is (`inline_open_state`); the next ingest's first commit moves its open state
       into open.sqlite and writes version 2.

A part added later needs a `Part` here (with its `empty` value: older checkpoints lack it)
and nothing in the store: `openstate` is generic over the keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .durable import replace_text
from .errors import StoreError
from .openstate import Keyed

VERSION = 2
READABLE = (1, 2)
FILE = "state.json"

# the concerns of the correlator (`analyzer.correlate.<owner>`) that hold the parts
CORE = "core"
SESSIONS = "sessions"
SENDMAIL_HOP = "sendmail_hop"
EXIM_CWD = "exim_cwd"
PHP_JOIN = "php"
FILTERS = "filters"


@dataclass(frozen=True)
class Part:
    """One part of the correlator's open state: a top-level key of `Correlator.state()`
    (the `kind` of its rows in open.sqlite)."""

    key: str
    owner: str  # the concern that saves and loads it
    empty: Callable[[], Any]  # its value in a checkpoint that lacks it
    # per entry: a `Keyed` dict whose entries are saved one row each (only the changed
    # ones); this gives an entry's key (a version 1 checkpoint held a list of entries)
    entry_key: Callable[[dict], Hashable] | None = None
    upgrade: Callable[[Any], Any] | None = None  # an older checkpoint's value made current

    @property
    def per_entry(self) -> bool:
        return self.entry_key is not None


def _logins_with_last_seen(logins: list) -> list:
    """Logins saved before `last_seen` was kept: last seen when they logged in."""
    for *_, login in logins:
        login.setdefault("last_seen", login["ts"])
    return logins


def _php_counts() -> dict:
    return {"joined": 0, "unjoined": {}, "hosts": {}}


# In the order `Correlator.state()` gives them (and open.sqlite numbers them).
NOW = Part("now", CORE, int)  # the correlator's log time
MESSAGES = Part("messages", CORE, Keyed, entry_key=lambda m: (m["host"], m["queue_id"]))
SESSION_ENTRIES = Part(
    "sessions", SESSIONS, Keyed, entry_key=lambda s: (s["host"], s["program"], s["pid"])
)
CLOSING = Part("closing", CORE, list)  # [removed ts, [host, queue id]]: waiting for late lines
LOGINS = Part("logins", SESSIONS, list, upgrade=_logins_with_last_seen)  # Sendmail AUTH
AUTH_SEEN = Part("auth_seen", SESSIONS, list)  # Sendmail: a session's last AUTH failure
HELD = Part("held", SESSIONS, list)  # Sendmail rejects waiting for their from= line
HANDOFFS = Part("handoffs", SENDMAIL_HOP, list)  # MSP messages waiting for the MTA's
CWDS = Part("cwds", EXIM_CWD, list)  # Exim cwd= lines waiting for their arrival
PHP = Part("php", PHP_JOIN, list)  # PHP mail.log entries not written yet, by time
PHP_SEEN = Part("php_seen", PHP_JOIN, bool)
JOINS = Part("joins", PHP_JOIN, list)  # local messages due to look for their PHP entry
FILTER_LINKS = Part("filter_links", FILTERS, list)  # re-injected queue ids not seen yet
MTA_HOSTS = Part("mta_hosts", PHP_JOIN, dict)  # host -> [first, last] message time
PHP_JOINS = Part("php_joins", PHP_JOIN, _php_counts)  # PHP entries written (un)joined

PARTS: tuple[Part, ...] = (
    NOW,
    MESSAGES,
    SESSION_ENTRIES,
    CLOSING,
    LOGINS,
    AUTH_SEEN,
    HELD,
    HANDOFFS,
    CWDS,
    PHP,
    PHP_SEEN,
    JOINS,
    FILTER_LINKS,
    MTA_HOSTS,
    PHP_JOINS,
)
KEYS = tuple(p.key for p in PARTS)


def owned_by(owner: str) -> tuple[Part, ...]:
    """The parts a concern of the correlator holds."""
    return tuple(p for p in PARTS if p.owner == owner)


def assemble(by_owner: dict[str, dict]) -> dict:
    """The open state to save, from each concern's parts (owner -> key -> value), in the
    declared order; a concern that gives another's part, or misses one of its own, is a
    programming error."""
    state: dict = {}
    for owner, values in by_owner.items():
        declared = [p.key for p in owned_by(owner)]
        if sorted(values) != sorted(declared):
            raise AssertionError(f"the {owner} concern saves {sorted(values)}, not {declared}")
        state.update(values)
    missing = [k for k in KEYS if k not in state]
    if missing:
        raise AssertionError(f"no concern saved {missing}")
    return {k: state[k] for k in KEYS}


def open_parts(saved: dict | None) -> dict:
    """The open state as the correlator loads it, whatever checkpoint version it comes
    from (open.sqlite's `load`, a version 1 inline state, or `Correlator.state()` through
    JSON): every declared part, absent ones empty, per-entry parts as `Keyed` dicts."""
    saved = saved or {}
    state = {}
    for part in PARTS:
        value = saved.get(part.key)
        if value is None:
            value = part.empty()
        elif part.entry_key is not None and not isinstance(value, Keyed):
            value = Keyed((part.entry_key(v), v) for v in value)  # a list of its entries
        elif part.upgrade is not None:
            value = part.upgrade(value)
        state[part.key] = value
    return state


def inline_entries(state: dict, part: Part) -> list:
    """The entries of `part` in a version 1 checkpoint's inline open state, as open.sqlite
    gives them (`OpenStore.entries`): a list's items, any other value as one."""
    value = (state["correlator"] or {}).get(part.key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- state.json ------------------------------------------------------------------------
def empty() -> dict:
    """The checkpoint of a dataset nothing was committed to."""
    return {
        "version": VERSION,
        "commit": 0,
        "sources": {},
        "correlator": None,
        "programs": {},
        "parts": {},
    }


def read(root: Path) -> dict:
    """The checkpoint of the dataset at `root` (`empty()` when there is none), checked.
    `correlator`: the open state of a version 1 checkpoint (held inline), else None."""
    try:
        with open(root / "_state" / FILE) as f:
            state = json.load(f)
    except FileNotFoundError:
        return empty()
    except (OSError, ValueError) as e:
        raise StoreError(f"{root}: cannot read the checkpoint ({e})") from e
    if not isinstance(state, dict) or not isinstance(state.get("commit"), int):
        raise StoreError(
            f"{root}: the checkpoint _state/state.json is not one this "
            "program wrote (no commit number); restore it or re-ingest into "
            "a new directory"
        )
    if state.get("version") not in READABLE:
        raise StoreError(
            f"{root}: checkpoint version {state.get('version')} "
            f"is not one of {READABLE}; re-ingest into a new directory"
        )
    state.setdefault("correlator", None)
    return state


def inline_open_state(state: dict) -> dict | None:
    """The open state a checkpoint holds in state.json (version 1), else None: it is in
    open.sqlite at the checkpoint's commit."""
    if state["correlator"] is not None or state["version"] == 1:
        return state["correlator"] or {}
    return None


def write(state_dir: Path, state: dict) -> None:
    """Replace state.json by `state` (without its open state: `correlator`), as the
    current version, atomically and durably: the switch that makes a commit visible."""
    checkpoint = {k: v for k, v in state.items() if k != "correlator"}
    checkpoint["version"] = VERSION
    replace_text(state_dir / FILE, json.dumps(checkpoint, separators=(",", ":")))
