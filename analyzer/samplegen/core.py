"""The simulator's core: its arguments and clock (ms after the hour its window starts in),
its random stream, the ids it hands out (pids, queue ids, random strings, fresh client
addresses), the event buffer with the count of what was written, the schedule of
planned scenarios and the planted incidents' counters.

The concerns build on it in layers, each a class adding its own state (``_init_state``)
and scenarios, and calling only down:
``world.py`` (who exists) -> ``daemons.py`` (Postfix's processes) -> ``delivery.py``
(queue, deliveries, deferrals, bounces; what messages are charged to) ->
``content_filter.py`` (amavis) -> ``inbound.py`` (SMTP sessions, mail from the
internet) -> ``submission.py`` (SASL) -> ``local_submission.py`` (PHP, cron) ->
``rejects.py`` -> ``noise.py`` -> ``incidents.py`` -> ``truth.py`` -> ``traffic.py``
(volume, the hour-by-hour run); ``postfix.py`` names the whole ``PostfixSimulator``, and
``mta_common.py`` re-words it for Exim and Sendmail."""

from __future__ import annotations

import random
from base64 import b64encode
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from operator import itemgetter

from .names import SERVER_IP

DEFAULT_SEED = 2026
DEFAULT_START = datetime(2026, 11, 26, 0, 0, 0)
DEFAULT_MESSAGES_PER_DAY = 2400

HOUR = 3_600_000  # ms
MINUTE = 60_000
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TIME_OF, PROGRAM_OF = itemgetter(0), itemgetter(1)

QUEUE_LIFETIME_MS = 12 * HOUR  # simulated maximal_queue_lifetime = 12h

# a recipient of a message: (address, route, delivery plan); see `Delivery.deliver`
Rcpt = tuple[str, tuple, str]


class SimCore:
    """One simulated server's state and primitives; the layers above add the rest."""

    def __init__(
        self,
        *,
        seed: int,
        start: datetime,
        days: float,
        host: str,
        incidents: bool,
        messages_per_day: float | None,
        target_lines: int | None,
    ):
        if days <= 0:
            raise ValueError("days must be positive")
        if target_lines is not None and target_lines <= 0:
            raise ValueError("target_lines must be positive")
        if messages_per_day is not None and messages_per_day < 0:
            raise ValueError("messages_per_day must not be negative")
        if start.tzinfo is not None:
            raise ValueError("start must be a naive datetime (UTC wall time)")
        self.seed = seed
        self.start = start
        self.host = host
        self.myhost = f"{host}.example"
        self.incidents = incidents
        self.floor = start.replace(minute=0, second=0, microsecond=0)
        self.epoch = int((self.floor - datetime(1970, 1, 1)).total_seconds())
        self.t0 = int((start - self.floor).total_seconds()) * 1000
        self.t_end = self.t0 + round(days * 86400) * 1000
        self.last_start = self.t_end - 180_000  # scenarios finish within 3 minutes
        self.target_lines = target_lines
        self.scale = (
            messages_per_day if messages_per_day is not None else DEFAULT_MESSAGES_PER_DAY
        ) / DEFAULT_MESSAGES_PER_DAY
        self.rng = random.Random(f"postfix-background:{seed}")
        self.getrandbits = self.rng.getrandbits
        self._b64_pool, self._b64_pos = "", 0
        self._hex_pool, self._hex_pos = "", 0

        self.events: list[tuple[int, str, str]] = []  # (ms, program, text), not yet written
        self.lines = 0  # written so far, in all and per program
        self.prog_counts: Counter = Counter()
        self._pid = 1000 + int(self.rng.random() * 20000)
        self._qcount = {10: 0, 11: 0, 12: 0}
        self._qoff = {n: self.rng.getrandbits(4 * n) for n in (10, 11, 12)}
        self._used_ips: set[str] = {SERVER_IP, "127.0.0.1", "203.0.113.66"}
        self._sched: dict[int, list] = {}  # hour -> scheduled (ms, scenario, args)
        # per planted incident: its window and counters (incidents.py plans them; the
        # scenarios that count into them are in several layers)
        self._inc_state: dict = {}
        self._init_state()

    def _init_state(self) -> None:
        """Each layer sets up its own state here, after the layers below it (a layer's
        override calls ``super()._init_state()`` first): the world, then the processes,
        ..., then the incidents, so the random streams are drawn in a fixed order."""

    def new_pid(self) -> int:
        self._pid += 1 + int(self.rng.random() * 12)
        if self._pid > 4_194_000:
            self._pid = 300 + int(self.rng.random() * 500)
        return self._pid

    def qid(self) -> str:
        """A fresh queue id, unique for the run: a bijective scramble of a per-length counter."""
        r = self.rng.random()
        n = 10 if r < 0.8 else (11 if r < 0.95 else 12)
        c = self._qcount[n]
        self._qcount[n] = c + 1
        bits = 4 * n
        mask = (1 << bits) - 1
        x = (c * 0x9E3779B97F4A7C15 + self._qoff[n]) & mask
        x ^= x >> (bits // 2)
        x = (x * 0xD6E8FEB86659FD93) & mask
        x ^= x >> (bits // 3)
        return f"{x:0{n}X}"

    def fresh_ipv4(self, rng: random.Random | None = None) -> str:
        """An address from 198.18.0.0/15 that no other role has used yet."""
        r = (rng or self.rng).random
        while True:
            ip = f"198.{18 + int(r() * 2)}.{int(r() * 256)}.{1 + int(r() * 254)}"
            if ip not in self._used_ips:
                self._used_ips.add(ip)
                return ip

    def fresh_ipv6(self, rng: random.Random | None = None) -> str:
        r = (rng or self.rng).random
        while True:
            ip = f"2001:db8:{int(r() * 0xFFFF):x}::{1 + int(r() * 0xFFFE):x}"
            if ip not in self._used_ips:
                self._used_ips.add(ip)
                return ip

    def iso(self, t: int) -> str:
        return (self.floor + timedelta(seconds=t // 1000)).isoformat()

    def syslog_time(self, t: int) -> str:
        d = self.floor + timedelta(seconds=t // 1000)
        return f"{MONTHS[d.month - 1]} {d.day:>2} {d:%H:%M:%S}"

    def stamp14(self, t: int) -> str:
        return f"{self.floor + timedelta(seconds=t // 1000):%Y%m%d%H%M%S}"

    def _b64(self, n: int) -> str:
        """``n`` random alphanumeric characters (session ids, mail ids), cut from a random pool."""
        p = self._b64_pos
        q = p + n
        if q > len(self._b64_pool):
            raw = self.getrandbits(8 * 3 * 8192).to_bytes(3 * 8192, "little")
            self._b64_pool = b64encode(raw, altchars=b"Xq").decode()
            p, q = 0, n
        self._b64_pos = q
        return self._b64_pool[p:q]

    def _hex(self, n: int) -> str:
        """``n`` random lower-case hex digits, cut from a random pool."""
        p = self._hex_pos
        q = p + n
        if q > len(self._hex_pool):
            self._hex_pool = f"{self.getrandbits(4 * 32768):032768x}"
            p, q = 0, n
        self._hex_pos = q
        return self._hex_pool[p:q]

    def schedule(self, t: int, scenario: Callable, args: tuple = ()) -> None:
        """Play ``scenario(t, *args)`` at ``t`` (ms), in the run of its hour."""
        self._sched.setdefault(t // HOUR, []).append((t, scenario, args))
