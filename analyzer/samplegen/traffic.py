"""Volume and clock: the run goes hour by hour, draws the hour's background scenarios
(diurnal curve, mix of inbound, SASL and PHP mail, flat bot noise), adds each day's
scheduled mail, plays them in start-time order and writes the events that fall into the
hour; with a line target, ``VolumeController`` steers the scale hour by hour."""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections.abc import Callable
from datetime import timedelta

from .core import (
    DEFAULT_MESSAGES_PER_DAY,
    HOUR,
    MINUTE,
    MONTHS,
    PROGRAM_OF,
    QUEUE_LIFETIME_MS,
    TIME_OF,
    SimCore,
)
from .truth import Truth

# Relative traffic per hour of day (mean 1.0): quiet nights, office-hours peak.
_DIURNAL_RAW = (
    0.25,
    0.2,
    0.18,
    0.18,
    0.2,
    0.3,
    0.6,
    1.0,
    1.5,
    1.8,
    1.9,
    1.8,
    1.6,
    1.7,
    1.8,
    1.7,
    1.5,
    1.2,
    0.9,
    0.8,
    0.7,
    0.6,
    0.45,
    0.35,
)
_DIURNAL = tuple(w * 24 / sum(_DIURNAL_RAW) for w in _DIURNAL_RAW)

# Background volume at scale 1.0 (messages_per_day == DEFAULT_MESSAGES_PER_DAY).
_MSGS_PER_HOUR = DEFAULT_MESSAGES_PER_DAY / 24
_MIX_INBOUND, _MIX_SASL = 0.55, 0.26  # the rest (0.19) is PHP mail()
_PER_HOUR_FLAT = {  # noise that does not follow office hours (bots never sleep)
    "relay_probe": 3.0,
    "rbl": 1.0,
    "unknown_rcpt": 1.5,
    "helo": 0.5,
    "sender": 0.4,
    "auth_bot": 2.5,
    "lost_connect": 0.6,
}
_PER_MESSAGE = {"postscreen": 0.3, "imap": 0.35}


class Traffic(Truth):
    """The hour-by-hour run of the whole simulation."""

    def _init_state(self) -> None:
        super()._init_state()
        self._days_scheduled: set = set()  # dates whose per-day schedule is planned

    def _flush(self, h: int, sink: Callable[[list[str]], None]) -> None:
        ev = self.events
        ev.sort(key=TIME_OF)
        h_end = (h + 1) * HOUR
        i = bisect_left(ev, h_end, key=TIME_OF)
        if not i:
            return
        chunk = ev[:i]
        del ev[:i]
        assert chunk[0][0] >= h * HOUR, "event emitted into an already written hour"
        d = self.floor + timedelta(hours=h)
        head = f"{MONTHS[d.month - 1]} {d.day:>2} {d.hour:02d}:"
        prefixes = [head + s for s in self._mmss]
        base = h * 3600
        self.prog_counts.update(map(PROGRAM_OF, chunk))
        self.lines += i
        sink([prefixes[t // 1000 - base] + text for t, _, text in chunk])

    def run(self, sink: Callable[[list[str]], None]) -> dict:
        # Millions of short-lived, acyclic tuples: the cyclic GC would only rescan them.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(sink)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _run(self, sink: Callable[[list[str]], None]) -> dict:
        self._mmss = [f"{m:02d}:{s:02d} {self.host} " for m in range(60) for s in range(60)]
        h_first = self.t0 // HOUR
        h_last = (self.t_end - 1) // HOUR
        controller = VolumeController(self, self.target_lines) if self.target_lines else None
        for h in range(h_first, h_last + 1):
            lo = max(h * HOUR, self.t0)
            hi = min((h + 1) * HOUR, self.last_start)
            day = (self.floor + timedelta(hours=h)).date()
            if day not in self._days_scheduled:
                self._days_scheduled.add(day)
                self._plan_day(h)
            if controller:
                self.scale = controller.next_scale()
            items = self._background(h, lo, hi) if hi > lo else []
            items.extend(self._sched.pop(h, ()))
            items.sort(key=TIME_OF)
            lines_before = len(self.events)
            for t, fn, args in items:
                fn(t, *args)
            self._anvil(h)
            if controller:
                controller.observe(len(self.events) - lines_before)
            for pool in self.smtpd_pools.values():
                pool.prune(h * HOUR - 200_000)
            self._flush(h, sink)
        assert not self.events, "events beyond the end of the window"
        assert not self._sched, "scheduled scenarios beyond the end of the window"
        return self._truth()

    def _background(self, h: int, lo: int, hi: int) -> list:
        r = self.rng.random
        span = hi - lo
        frac = span / HOUR
        hod = (self.floor + timedelta(hours=h)).hour
        msgs = _MSGS_PER_HOUR * _DIURNAL[hod] * self.scale * frac * (0.85 + 0.3 * r())
        items = []

        def add(expected: float, fn, args=()) -> None:
            n = int(expected)
            if r() < expected - n:
                n += 1
            for _ in range(n):
                items.append((lo + int(r() * span), fn, args))

        add(msgs * _MIX_INBOUND, self.inbound)
        add(msgs * _MIX_SASL, self.sasl_background)
        add(msgs * (1 - _MIX_INBOUND - _MIX_SASL), self.php_background)
        add(msgs * _PER_MESSAGE["postscreen"], self.postscreen_noise)
        add(msgs * _PER_MESSAGE["imap"], self.imap_session)
        flat = self.scale * frac
        add(_PER_HOUR_FLAT["relay_probe"] * flat, self.relay_probe)
        add(_PER_HOUR_FLAT["rbl"] * flat, self.reject_session, ("rbl",))
        add(_PER_HOUR_FLAT["unknown_rcpt"] * flat, self.reject_session, ("unknown_recipient",))
        add(_PER_HOUR_FLAT["helo"] * flat, self.reject_session, ("helo_rejected",))
        add(_PER_HOUR_FLAT["sender"] * flat, self.reject_session, ("sender_rejected",))
        add(_PER_HOUR_FLAT["auth_bot"] * flat, self.auth_bot)
        add(_PER_HOUR_FLAT["lost_connect"] * flat, self.lost_connection)
        # cron: a job mails root at :17 every hour
        t_cron = h * HOUR + 17 * MINUTE + int(r() * 5000)
        if lo <= t_cron < hi:
            items.append((t_cron, self.cron, ("hourly",)))
        return items

    def _plan_day(self, h: int) -> None:
        """Per-day scheduled traffic: the bakery account's normal mail, logwatch, expiries."""
        r = self.rng.random
        day0 = h * HOUR - (self.floor + timedelta(hours=h)).hour * HOUR  # midnight, in ms

        def at(t: int, fn, args=()) -> None:
            if self.t0 <= t < self.last_start:
                self.schedule(t, fn, args)

        for _ in range(8 + int(r() * 5)):  # info@bakery-berlin: ~10 mails a day, office hours
            name, ip = self.bakery_ips[0 if r() < 0.8 else 1]
            at(day0 + 7 * HOUR + int(r() * 11 * HOUR), self.bakery_normal, (name, ip))
        at(day0 + 6 * HOUR + 25 * MINUTE + int(r() * 20_000), self.cron, ("logwatch",))
        for hh in (1.5, 7.75):  # two messages a day that expire (dead destination domain)
            t = day0 + int(hh * HOUR) + int(r() * 600_000)
            if t + QUEUE_LIFETIME_MS + 2 * HOUR < self.last_start:
                at(t, self.expiring_message)


class VolumeController:
    """Steers the background volume hour by hour so a run ends near ``target_lines``."""

    def __init__(self, sim: SimCore, target_lines: int):
        self.sim = sim
        self.target_lines = target_lines
        self.hours = []
        for h in range(sim.t0 // HOUR, (sim.t_end - 1) // HOUR + 1):
            lo, hi = max(h * HOUR, sim.t0), min((h + 1) * HOUR, sim.t_end)
            hod = (sim.floor + timedelta(hours=h)).hour
            self.hours.append((hi - lo) / HOUR * (_DIURNAL[hod] + 0.25))
        self.total_weight = sum(self.hours)
        self.done_weight = 0.0
        self.k = 1900.0  # lines per hour per unit of weight at scale 1 (measured, then learnt)
        self.bg_lines = 0.0
        self.bg_units = 0.0
        self.i = 0
        self.last = (0.0, 0.0)

    def next_scale(self) -> float:
        u = self.hours[self.i]
        self.i += 1
        target = self.target_lines * (self.done_weight + u) / self.total_weight
        so_far = self.sim.lines + len(self.sim.events)
        nominal = self.target_lines / (self.k * self.total_weight)
        need = max(target - so_far, 0.0)
        s = need / (self.k * u) if u > 0 else nominal
        s = min(max(s, 0.1 * nominal), 4 * nominal)
        self.done_weight += u
        self.last = (s, u)
        return s

    def observe(self, new_lines: int) -> None:
        s, u = self.last
        self.bg_lines += new_lines
        self.bg_units += s * u
        if self.bg_units > 0:
            self.k = self.bg_lines / self.bg_units
