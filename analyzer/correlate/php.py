"""PHP `mail.log` entries joined to the local submission they produced (`_join`), and the
MTA hosts whose logs say why an entry stayed unjoined.

State (`checkpoint.owned_by(PHP_JOIN)`): `php` (entries not written yet, by time), `php_seen`, `joins` (local messages due
to look for their entry), `mta_hosts` (time span of each host's messages, all runs),
`php_joins` (entries written joined / unjoined, the dataset's)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque

from ..dataset.carried import php_fields as _php_fields
from ..dataset.checkpoint import PHP_JOIN, PHP_JOINS
from ..identity import identity_of
from .common import _CWD_ID, _CWD_NEAR, _HEADER, _PHP, JOIN_DELAY_US, Concern, _set_script

_S = 1_000_000
# PHP mail() logs its line, then runs sendmail: the submission follows the entry by up to
# JOIN_AFTER (a busy pickup), or precedes it by JOIN_BEFORE (second-granular clocks).
JOIN_AFTER_US = 10 * _S
JOIN_BEFORE_US = 2 * _S
# An entry no submission can claim any more is written unjoined.
PHP_FINAL_US = JOIN_AFTER_US + JOIN_DELAY_US + 5 * _S
# An MTA host's log covers its first to last message, give or take this much (quiet hours
# at either end): PHP entries that name no host join to the one host whose log covers them.
HOST_SLACK_US = 3600 * _S


class PhpJoin(Concern):
    """Mixin of `Correlator`: PHP entries, the local submissions they join, MTA host spans."""

    OWNER = PHP_JOIN
    php: list[dict]
    php_ts: list[int]
    php_head: int
    php_seen: bool
    joins: deque[tuple[int, str, str]]
    mta_hosts: dict[str, list[int]]
    expected_hosts: dict[str, list[int]]
    php_joins: dict
    run_php_joins: dict

    def _init_php(self) -> None:
        # PHP mail.log entries, ordered by time; joins due per local message
        self.php = []
        self.php_ts = []
        self.php_head = 0
        self.php_seen = False
        self.joins = deque()
        # MTA hosts: time span of their messages (all runs), and of this run's sources
        self.mta_hosts = {}
        self.expected_hosts = {}
        # PHP entries written joined / unjoined (by reason): the dataset's, and this run's
        self.php_joins = PHP_JOINS.empty()
        self.run_php_joins = PHP_JOINS.empty()

    def _saw_mta_host(self, host: str, ts: int) -> None:
        span = self.mta_hosts.get(host)
        if span is None:
            self.mta_hosts[host] = [ts, ts]
        elif ts > span[1]:
            span[1] = ts
        elif ts < span[0]:
            span[0] = ts

    def _local_submission(self, msg: dict) -> None:
        if self.php_seen and not msg.get("join_due"):
            msg["join_due"] = True
            self.joins.append((msg["first_seen"] + JOIN_DELAY_US, msg["host"], msg["queue_id"]))
            self._schedule(msg["first_seen"] + JOIN_DELAY_US)

    def _php_mail(self, e: dict) -> None:
        self.php_seen = True
        entry = {
            "ts": e["ts"],
            "host": e["host"],
            "script_path": e["script_path"],
            "script_line": e.get("script_line"),
            "recipient": e.get("recipient"),
            "subject": e.get("subject"),
            "uid": None,
            "user": None,
            "rcpts": e["rcpts"],
            "claimed": False,
        }
        if self.php_host_assumed and e.get("envelope") == "phpmail":
            entry["floating"] = True  # its host is a guess: see `_join`
        if self.now and e["ts"] + PHP_FINAL_US <= self.now:
            entry["late"] = True  # the MTA log of its time was correlated before it was read
        owner = self.passwd.owner_of(e["script_path"]) if self.passwd else None
        if owner is not None:
            entry["uid"], entry["user"] = owner
        if not self.hold_php:
            self._write_php(entry, None)
            return
        i = bisect_right(self.php_ts, e["ts"], self.php_head)
        self.php_ts.insert(i, e["ts"])
        self.php.insert(i, entry)
        if self.php_head == i:
            self._schedule(e["ts"] + PHP_FINAL_US)

    def _join(self, msg: dict) -> None:
        """Attach the PHP entry this local message came from: same host (an entry that
        names none, PHP's file form read without `--host`: the one MTA host whose log
        covers its time), logged from
        JOIN_AFTER before to JOIN_BEFORE after the submission, the same uid / login when
        both are known, a script of the same name (or under the `cwd=` directory) when
        the MTA named one, and a recipient in common when the message's recipients are
        known; the closest in time wins, and each entry is claimed once."""
        msg["join_due"] = False
        s = msg["first_seen"]
        php, stamps = self.php, self.php_ts
        lo = bisect_left(stamps, s - JOIN_AFTER_US, self.php_head)
        hi = bisect_right(stamps, s + JOIN_BEFORE_US, lo)
        best, best_key = None, None
        rcpts = set(msg.get("rcpts") or ())
        script, rank = msg.get("script"), msg.get("script_rank", 0)
        for i in range(lo, hi):
            entry = php[i]
            if entry["claimed"]:
                continue
            if entry["host"] != msg["host"] and not (
                entry.get("floating") and self._hosts_at(entry["ts"]) == [msg["host"]]
            ):
                continue
            if entry["uid"] is not None and msg["uid"] is not None and entry["uid"] != msg["uid"]:
                continue
            if entry["user"] and msg["user"] and entry["user"] != msg["user"]:
                continue
            path = entry["script_path"]
            if script:
                if rank == _HEADER and path.rsplit("/", 1)[-1] != script:
                    continue
                if rank in (_CWD_NEAR, _CWD_ID) and not path.startswith(script.rstrip("/") + "/"):
                    continue
            if rcpts and entry["rcpts"] and rcpts.isdisjoint(entry["rcpts"]):
                continue
            key = (abs(s - entry["ts"]), i)
            if best_key is None or key < best_key:
                best, best_key = entry, key
        if best is None:
            return
        best["claimed"] = True
        _set_script(msg, best["script_path"], _PHP)
        if best["uid"] is not None and msg["uid"] is None and msg["origin"] == "local":
            msg["uid"] = best["uid"]
            if self.passwd:
                self.passwd.resolve(msg)
        if msg.get("filtered_as"):
            self._charge_children(msg)
        self._write_php(best, msg)

    def _write_php(self, entry: dict, msg: dict | None) -> None:
        row = _php_fields(entry)
        if msg is not None:
            row["host"] = msg["host"]
            row["queue_id"] = msg["queue_id"]
            row["message_first_seen"] = msg["first_seen"]
            row["identity"] = identity_of(msg)
            if row["uid"] is None:
                row["uid"] = msg["uid"]
            if not row["user"]:
                row["user"] = msg["user"]
            self._count_php(None, ())
        else:
            row["identity"] = identity_of(row)
            self._count_php(*self._unjoined_reason(entry))
        self.sink("php_mail", row)

    def _due_php(self, now: int) -> None:
        """Local messages due to look for their entry, then entries no message can claim."""
        joins = self.joins
        while joins and joins[0][0] <= now:
            _, host, qid = joins.popleft()
            msg = self.messages.get((host, qid))
            if msg is not None and msg.get("join_due"):
                self._join(msg)
        php = self.php
        while self.php_head < len(php) and php[self.php_head]["ts"] + PHP_FINAL_US <= now:
            entry = php[self.php_head]
            self.php_head += 1
            if not entry["claimed"]:
                self._write_php(entry, None)
        if self.php_head > 1024 and self.php_head * 2 > len(php):
            del php[: self.php_head], self.php_ts[: self.php_head]
            self.php_head = 0

    def _next_php(self, due: int) -> int:
        if self.joins:
            due = min(due, self.joins[0][0])
        if self.php_head < len(self.php):
            due = min(due, self.php[self.php_head]["ts"] + PHP_FINAL_US)
        return due

    # --- why an entry stayed unjoined ----------------------------------------------------
    def php_waiting(self) -> int:
        """PHP entries still waiting for their submission (carried to the next run)."""
        return sum(1 for entry in self.php[self.php_head :] if not entry["claimed"])

    def expect_hosts(self, spans: dict[str, list[int]]) -> None:
        """The MTA hosts this run's sources name and the time they cover (first line to
        the file's mtime), known before their lines are read: files are read one after
        the other, and a second host's log must make a host-less PHP entry ambiguous
        before the first host's submissions are joined."""
        for host, (lo, hi) in spans.items():
            span = self.expected_hosts.setdefault(host, [lo, hi])
            span[0], span[1] = min(span[0], lo), max(span[1], hi)

    def _hosts_at(self, ts: int) -> list[str]:
        """The MTA hosts whose log covers `ts` (this run's and earlier runs')."""
        found = set()
        for spans in (self.mta_hosts, self.expected_hosts):
            for host, (lo, hi) in spans.items():
                if lo - HOST_SLACK_US <= ts <= hi + HOST_SLACK_US:
                    found.add(host)
        return sorted(found)

    def _unjoined_reason(self, entry: dict) -> tuple[str, list[str]]:
        if not self.hold_php:
            return "no_mta_log", []
        if entry.get("late"):
            return "read_late", []
        hosts = self._hosts_at(entry["ts"])
        if entry["host"] in hosts or (entry.get("floating") and len(hosts) == 1):
            return "no_submission", []
        if not hosts:
            return "no_mta_log", []
        if entry.get("floating"):
            return "ambiguous_host", hosts
        return "other_host", [entry["host"]]

    def _count_php(self, reason: str | None, hosts) -> None:
        for counts in (self.php_joins, self.run_php_joins):
            if reason is None:
                counts["joined"] += 1
                continue
            counts["unjoined"][reason] = counts["unjoined"].get(reason, 0) + 1
            if hosts:
                known = counts["hosts"].setdefault(reason, [])
                known.extend(h for h in hosts if h not in known and len(known) < 10)

    # --- the checkpoint -------------------------------------------------------------------
    def _php_state(self) -> dict:
        return {
            "php": self.php[self.php_head :],
            "php_seen": self.php_seen,
            "joins": [list(j) for j in self.joins],
            "mta_hosts": self.mta_hosts,
            "php_joins": self.php_joins,
        }

    def _load_php(self, state: dict) -> None:
        self.php = state["php"]
        self.php_ts = [entry["ts"] for entry in self.php]
        self.php_seen = state["php_seen"]
        self.joins = deque((due, host, qid) for due, host, qid in state["joins"])
        self.mta_hosts = state["mta_hosts"]
        self.php_joins = state["php_joins"]
