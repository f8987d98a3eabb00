"""One watch iteration, and the loop: ingest what the logs gained (the crash-safe
incremental ingest, its checkpoint and rotation handling), evaluate the nightly report's
incident rules on the sliding window ending at the newest log time, decide the alerts,
save the alert state, then send them. When the log moved on by more than a window since
the last evaluation (a first run, a pause, a slow iteration), windows are evaluated one
after the other up to the newest line, so no stretch of the log goes unread (at most
`catch_up` back).

The state is saved before the alerts are sent: a crash in between loses those alerts
rather than sending them twice after the restart.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..actions.allowlist import Allowlist
from ..actions.apply import Applier, Outcome
from ..actions.found import found_in
from ..actions.plan import Plan, plan
from ..config import Thresholds
from ..reports.baselines_history import HourlyHistory
from . import applying, memory, rate_limit
from . import state as alert_state
from .engine import GRACE, evaluate
from .outputs import Output, alert

WINDOW = timedelta(hours=1)  # the sliding window the rules read
INTERVAL = 15.0  # seconds between iterations
CATCH_UP = timedelta(days=1)
COMPACT_EVERY = timedelta(minutes=10)


@dataclass
class Settings:
    paths: list[str]
    data: str
    tz: str | None = None
    year: int | None = None
    format: str | None = None
    host: str | None = None
    passwd: str | None = None
    local_ips: tuple[str, ...] = ()
    hosted_domains: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    users: dict[int, str] = field(default_factory=dict)
    allow: Allowlist = field(default_factory=Allowlist)
    window: timedelta = WINDOW
    grace: timedelta = GRACE
    catch_up: timedelta = CATCH_UP  # how far back a run evaluates after a pause
    wait: float = 30.0  # seconds to wait for another ingest holding the dataset
    max_alerts: int | None = rate_limit.MAX_ALERTS  # per iteration, the rest summarised (None: all)
    applier: Applier | None = None  # --apply: runs the enabled actions (None: only proposed)
    max_per_hour: int | None = rate_limit.PER_HOUR  # alerts an hour (wall clock; None: all)
    hosts: list[str] | None = None  # --hosts: only these hosts' rows are evaluated
    # merge the small parts the commits leave (`dataset.compact`) at most this often, in
    # log time (None: never)
    compact_every: timedelta | None = COMPACT_EVERY


@dataclass
class Step:
    """What one iteration did."""

    lines: int  # new log lines ingested
    newest: datetime | None  # the newest log time
    alerts: list[dict]  # the alerts sent (a flood's summary included)
    locked: bool = False  # another ingest held the dataset: nothing ingested this time
    left_out: int = 0  # alerts of a flood not sent one by one (in the summary)
    outcomes: list[Outcome] = field(default_factory=list)  # actions applied or refused


class Watcher:
    def __init__(
        self,
        settings: Settings,
        outputs: Iterable[Output],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_warning: Callable[[str], None] | None = None,
        on_action: Callable[[Outcome], None] | None = None,
    ):
        self.settings = settings
        self.outputs = list(outputs)
        self.clock = clock
        self.on_warning = on_warning or (lambda text: None)
        self.on_action = on_action or (lambda outcome: None)
        self.compacted_at: datetime | None = None  # log time of the last compaction
        self.history = HourlyHistory()  # the volume rule's hourly counts, kept (see there)
        memory.settle_allocators()

    def step(self) -> Step:
        """One iteration (see the module's docstring); then what it left is freed and
        the allocators' free pages returned, so memory stays flat (`memory`)."""
        try:
            return self._step()
        finally:
            memory.release_freed()

    def _step(self) -> Step:
        from ..dataset.status import coverage
        from ..dataset.store import Dataset, LockHeld
        from ..fleet.hosts import opened
        from ..ingest.run import ingest
        from ..nightly.model import build

        s = self.settings
        lines, locked = 0, False
        try:
            summary = ingest(
                s.paths,
                s.data,
                tz=s.tz,
                year=s.year,
                local_ips=s.local_ips,
                wait=s.wait,
                format=s.format,
                host=s.host,
                passwd=s.passwd,
            )
            lines = summary.lines
            for warning in summary.warnings:
                self.on_warning(warning)
        except LockHeld as e:
            locked = True
            self.on_warning(f"{e}; evaluating what is committed")
        dataset = Dataset(s.data)
        if not dataset.exists():
            return Step(lines, None, [], locked)
        newest = newest_line(dataset.state())
        if newest is None:
            return Step(lines, None, [], locked)
        if not locked:
            self.compact(newest)
        current = alert_state.load(s.data)
        if current.newest is None:  # the first run: from the dataset's first row
            first = coverage(s.data)[0]
            current.newest = _iso(first.to_pydatetime()) if first is not None else None
        source = opened(s.data, s.hosts)  # one snapshot of these hosts' rows (None: all)
        events = []
        for end in ends(current.newest, newest, s.window, s.catch_up):
            report = build(
                source,
                end - s.window,
                end + timedelta(microseconds=1),
                s.tz,
                thresholds=s.thresholds,
                local_ips=s.local_ips,
                hosted_domains=s.hosted_domains,
                users=s.users,
                now=end,
                history=self.history,
            )
            found = found_in(report)
            proposed = plan(found, s.allow, source, report.since, report.until, s.users)
            events += evaluate(found, current, end, s.grace, _actions_of(proposed))
        due = applying.due(current, s.applier) if s.applier else []
        detected = self.clock()
        made = [alert(event, detected) for event in events]
        alerts, left_out = rate_limit.throttle(
            made, current, s.max_alerts, s.max_per_hour, detected
        )
        alert_state.save(s.data, current)
        # after the save: a crash from here on never applies an action twice
        outcomes = [s.applier.apply(a) for a in due] if s.applier else []
        for outcome in outcomes:
            self.on_action(outcome)
        if s.applier:
            applying.attach(made, outcomes)
        for a in alerts:
            for output in self.outputs:
                output(a)
        return Step(lines, newest, alerts, locked, len(left_out), outcomes)

    def compact(self, newest: datetime) -> None:
        """Merge the small parts the commits left (`dataset.compact`), when the log moved
        on by `compact_every` since the last time; a reader's parts wait for a later time."""
        from ..dataset.compact import compact
        from ..dataset.store import LockHeld, StoreError

        every = self.settings.compact_every
        if every is None or (self.compacted_at and newest - self.compacted_at < every):
            return
        try:
            done = compact(self.settings.data)
        except LockHeld:
            return  # an ingest beside the watch: the next iteration tries again
        except StoreError as e:
            self.on_warning(f"compaction: {e}")
        else:
            for skipped in done.skipped:
                self.on_warning(f"compaction: {skipped}")
        self.compacted_at = newest


def newest_line(checkpoint: dict) -> datetime | None:
    """The newest log time the ingest checkpoint knows (the last line of each source):
    cheap, unlike a scan of the tables."""
    stamps = [cp["last_ts"] for cp in checkpoint.get("sources", {}).values() if cp.get("last_ts")]
    if not stamps:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=max(stamps))


def ends(
    evaluated: str | None, newest: datetime, window: timedelta, catch_up: timedelta
) -> list[datetime]:
    """The log times to evaluate windows ending at: `newest`, and when the log moved on
    by more than a window since the last evaluation (`evaluated`), one every window
    length in between, so every stretch of log is read once; at most `catch_up` back
    from `newest`."""
    start = newest - catch_up
    if evaluated:
        start = max(start, datetime.fromisoformat(evaluated.replace("Z", "+00:00")))
    out = []
    end = start + window
    while end < newest:
        out.append(end)
        end += window
    return out + [newest]


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _actions_of(proposed: Plan) -> dict[str, list]:
    out: dict[str, list] = {}
    for a in proposed.actions:
        entry: dict[str, str | int] = {"what": a.what, "value": a.value}
        entry.update(
            (k, v)
            for k, v in (("mta", a.mta), ("host", a.host), ("uid", a.uid), ("user", a.user))
            if v is not None
        )
        out.setdefault(a.incident, []).append(entry)
    return out


def run(
    watcher: Watcher,
    interval: float = INTERVAL,
    iterations: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_step: Callable[[Step], None] | None = None,
) -> int:
    """Iterate every `interval` seconds (counted from the start of each iteration),
    `iterations` times (None: until interrupted); returns the iterations done."""
    done = 0
    while iterations is None or done < iterations:
        started = time.monotonic()
        step = watcher.step()
        done += 1
        if on_step:
            on_step(step)
        if iterations is not None and done >= iterations:
            break
        sleep(max(0.0, interval - (time.monotonic() - started)))
    return done


def data_of(data: str | os.PathLike | None) -> str:
    from ..dataset.reading import data_dir

    return str(data_dir(data))
