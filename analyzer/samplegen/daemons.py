"""Postfix's processes: pools of smtpd processes that serve one session at a time and
helper daemons (cleanup, smtp, lmtp ...) whose pids rotate after ``max_use`` jobs; the
pids of qmgr, pickup, postscreen, anvil, amavis and opendkim."""

from __future__ import annotations

from .core import SimCore
from .world import World


class _ProcessPool:
    """Processes of one Postfix service that handle one session at a time.

    A process is reused for a new session when it is idle and has not yet reached
    ``max_use``; it exits after ``max_idle`` ms without work (Postfix defaults 100 / 100 s).
    """

    __slots__ = ("sim", "procs")

    def __init__(self, sim: SimCore):
        self.sim = sim
        self.procs: list[list[int]] = []  # [free_at_ms, pid, uses]

    def acquire(self, t: int) -> list[int]:
        procs = self.procs
        for p in procs:
            if p[0] <= t and t - p[0] <= 100_000:
                p[2] += 1
                p[0] = t
                if p[2] >= 100:  # this is its last session: it exits afterwards
                    procs.remove(p)
                return p
        if len(procs) > 16:
            self.prune(t - 200_000)
        p = [t, self.sim.new_pid(), 1]
        self.procs.append(p)
        return p

    def prune(self, before: int) -> None:
        self.procs = [p for p in self.procs if p[0] >= before]


class _RotatingPids:
    """Helper processes (cleanup, smtp, lmtp ...): ``live`` processes take jobs in turn and
    each is replaced by a new pid after ``max_use`` (100) jobs. ``get`` returns the line
    prefix ``"postfix/smtp[4711]: "``."""

    __slots__ = ("sim", "program", "prefixes", "uses", "turn")

    def __init__(self, sim: SimCore, program: str, live: int):
        self.sim = sim
        self.program = program
        self.prefixes = [f"{program}[{sim.new_pid()}]: " for _ in range(live)]
        self.uses = [int(sim.rng.random() * 60) for _ in range(live)]
        self.turn = 0

    def get(self) -> str:
        i = self.turn = (self.turn + 1) % len(self.prefixes)
        self.uses[i] += 1
        if self.uses[i] > 100:
            self.prefixes[i] = f"{self.program}[{self.sim.new_pid()}]: "
            self.uses[i] = 0
        return self.prefixes[i]


class Daemons(World):
    """The running Postfix (and amavis, opendkim) processes and their pids."""

    def _init_state(self) -> None:
        super()._init_state()
        self._build_pids()

    def _build_pids(self) -> None:
        self.qmgr = f"postfix/qmgr[{self.new_pid()}]: "
        self._pickup_pid, self._pickup_uses = self.new_pid(), 0
        self._postscreen = f"postfix/postscreen[{self.new_pid()}]: "
        self._anvil_pid = self.new_pid()
        self.cleanup = _RotatingPids(self, "postfix/cleanup", 3)
        self.smtp = _RotatingPids(self, "postfix/smtp", 5)
        self.lmtp = _RotatingPids(self, "postfix/lmtp", 3)
        self.virtual = _RotatingPids(self, "postfix/virtual", 1)
        self.local = _RotatingPids(self, "postfix/local", 1)
        self.bounce = _RotatingPids(self, "postfix/bounce", 1)
        self.amavis = [[self.new_pid(), 0], [self.new_pid(), 0]]
        self.opendkim = self.new_pid()
        self.smtpd_pools = {
            svc: _ProcessPool(self) for svc in ("smtpd", "submission/smtpd", "smtps/smtpd")
        }
        self.reinject_smtpd = _ProcessPool(self)  # the 127.0.0.1:10025 listener (postfix/smtpd)

    def pickup(self) -> str:
        self._pickup_uses += 1
        if self._pickup_uses > 100:
            self._pickup_pid, self._pickup_uses = self.new_pid(), 0
        return f"postfix/pickup[{self._pickup_pid}]: "
