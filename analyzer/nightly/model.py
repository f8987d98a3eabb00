"""The nightly report's content: every report of `analyzer.api` for one window, the
comparison with the trailing week, and the incidents derived from them.

`build` only reads the dataset (through `analyzer.dataset.reading` and the reports' `*_in`
functions, as `analyzer.api` does; `api.report` calls it) and returns a `Report`;
`analyzer.nightly.html` and `analyzer.nightly.text` render it, the `report` command writes.
A report section with no rows in the window is an empty DataFrame, not an error: a quiet
night is a valid report.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Thresholds
from ..dataset.reading import Window, data_dir, snapshot, table
from ..dataset.status import coverage
from ..reports.incidents import Incident, find_incidents
from .fleet import fleet_table, name_hosts

if TYPE_CHECKING:
    import pandas as pd

    from ..reports.baselines_history import HourlyHistory

HISTORY_DAYS = 7  # the trailing period the window is compared with
TOP_SENDERS_SHOWN = 10  # rows of the top-senders table; chart: the first CHART_KEYS
CHART_KEYS = 8


@dataclass
class Report:
    since: datetime | None  # the window [since, until), UTC
    until: datetime
    generated: datetime  # when the report was built, UTC
    data: str  # the dataset directory
    hosts: list[str]
    totals: dict[str, int]  # see TOTALS
    previous: dict[str, float | None]  # the same, trailing-week average for a window this long
    history_days: float  # days of data the trailing week actually had
    top_senders: pd.DataFrame  # api.top_senders + usual, growth
    sender_timeline: pd.DataFrame  # api.sender_timeline of the first CHART_KEYS senders
    relay_buckets: pd.DataFrame  # api.relay_spikes(all_buckets=True)
    scripts: pd.DataFrame  # api.suspicious_scripts + user
    auth: pd.DataFrame  # api.auth_failures(by="client-ip")
    auth_timeline: pd.DataFrame  # api.auth_failure_timeline of the top IPs
    incidents: list[Incident]
    thresholds: Thresholds
    users: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what could not be read, and why
    covers: tuple = (None, None)  # the dataset's first and last time (api.coverage)
    volume: pd.DataFrame | None = None  # reports.baselines.volume_in: accounts vs their usual
    # one row per host (fleet.FLEET_COLUMNS) when the window has more than one; else None
    fleet: pd.DataFrame | None = None

    @property
    def no_data(self) -> bool:
        """Nothing logged in the window: no host, no message, reject or AUTH failure."""
        return not self.hosts and not any(self.totals.values())

    @property
    def covers_text(self) -> str:
        first, last = self.covers
        if last is None:
            return "the dataset is empty"
        return f"the dataset covers {first:%Y-%m-%d} to {last:%Y-%m-%d}"

    @property
    def has_fleet(self) -> bool:
        """The window has more than one host: the fleet section is shown."""
        return self.fleet is not None and len(self.fleet) > 1

    @property
    def relay_spikes(self):
        """The spikes among `relay_buckets`."""
        b = self.relay_buckets
        return b[b["spike"].astype(bool)].reset_index(drop=True) if len(b) else b

    @property
    def window_days(self) -> float:
        return window_days(self.since, self.until)

    def at_least(self, level: str) -> list[Incident]:
        from ..reports.incidents import at_least

        return at_least(self.incidents, level)


# totals of the window, in the order the headline shows them
TOTALS = {
    "messages_out": "messages out",
    "local_submissions": "local submissions",
    "relay_denied": "relay-denied rejects",
    "auth_failures": "SMTP AUTH failures",
}


def window_days(since: datetime | None, until: datetime) -> float:
    """The window's length in days (a window without a start counts as one day; an hour
    at least)."""
    start = since or until - timedelta(days=1)
    return max((until - start) / timedelta(days=1), 1 / 24)


def build(
    data: str | os.PathLike | None = None,
    since="1d",
    until=None,
    tz: str | None = None,
    thresholds: Thresholds | None = None,
    local_ips: Iterable[str] = (),
    hosted_domains: Iterable[str] = (),
    users: dict[int, str] | None = None,
    now: datetime | None = None,
    history: HourlyHistory | None = None,
) -> Report:
    """Read every report for [since, until) and derive the incidents. Committed parts
    of the dataset that are gone or unreadable make a `data_missing` incident: the
    page's numbers undercount. `history`: the volume rule's hourly counts kept between
    evaluations (`watch`), else read."""
    import warnings

    from ..dataset.store import PartsMissing

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PartsMissing)
        report = _build(
            data, since, until, tz, thresholds, local_ips, hosted_domains, users, now, history
        )
    lost: dict[str, dict] = {}
    for w in caught:
        if isinstance(w.message, PartsMissing):
            lost.update((p["path"], p) for p in w.message.parts)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    if lost:
        message = PartsMissing(Path(report.data), list(lost.values()))
        report.incidents.insert(
            0,
            Incident(
                "warn",
                "data_missing",
                report.data,
                "committed parts of the dataset are missing or unreadable: numbers undercount",
                [str(message)] + [f"{p['path']}: {p['reason']}" for p in lost.values()][:10],
            ),
        )
        report.notes.append(str(message))
    return report


def _build(
    data, since, until, tz, thresholds, local_ips, hosted_domains, users, now, hourly
) -> Report:
    import pandas as pd

    from ..clock import parse_zone
    from ..dataset.store import Dataset, NoDataset, Snapshot
    from ..dataset.timewindow import window
    from ..reports import auth as auth_report
    from ..reports import baselines, common, spikes
    from ..reports import scripts as scripts_report
    from ..reports import senders as senders_report

    t = thresholds or Thresholds()
    users = dict(users or {})
    root = data_dir(data)
    if not isinstance(data, Snapshot) and not Dataset(root).exists():  # a fleet's: no state
        raise NoDataset(root, "or pass --ingest, --data or set ANALYZER_DATA")
    generated = (now or datetime.now(UTC)).astimezone(UTC)
    lo, hi = window(since, until, parse_zone(tz), now=generated)
    hi = hi or generated
    local_ips, hosted_domains = tuple(local_ips), tuple(hosted_domains)
    notes: list[str] = []
    snap = snapshot(data)  # every section reads the same commit, whatever ingests run
    win = Window(snap, lo, hi, None)

    # --- top senders, with the trailing week as each identity's usual volume
    covers = coverage(snap)
    senders = common.head(senders_report.top_senders_in(win, hosted_domains=hosted_domains), None)
    history_lo = (lo - timedelta(days=HISTORY_DAYS)) if lo else None
    history = None
    history_days = 0.0
    if lo is not None:
        history = common.head(
            senders_report.top_senders_in(
                Window(snap, history_lo, lo, None), hosted_domains=hosted_domains
            ),
            None,
        )
        history_days = _covered_days(covers, history_lo, lo)
    length = window_days(lo, hi)
    if senders is not None and len(senders):
        if history is not None and history_days > 0:
            per = history.set_index("identity")["messages"]
            usual = senders["identity"].map(per).fillna(0) / history_days * length
            senders = senders.assign(usual=usual.astype("float64"))
            senders["growth"] = senders["messages"] / senders["usual"].clip(lower=1.0)
        else:
            senders = senders.assign(usual=float("nan"), growth=float("nan"))
    timeline = None
    if senders is not None and len(senders):
        keys = list(senders["identity"].head(CHART_KEYS))
        timeline = senders_report.timeline_in(win, keys=keys, hosted_domains=hosted_domains)

    # --- relay-denied spikes (every bucket: the chart needs the series)
    r = t.relay
    bucket = common.check_bucket(r.bucket)
    params = spikes.checked_params(window=r.window, z=r.z, min_count=r.min_count)
    buckets = spikes.largest(
        spikes.relay_spikes_in(
            win,
            bucket,
            params,
            local_ips=local_ips,
            hosted_domains=hosted_domains,
            all_buckets=True,
        ),
        None,
    )

    # --- suspicious scripts, with the user names of their uids
    scripts = common.head(scripts_report.suspicious_scripts_in(win, t.scripts.history), None)
    if scripts is not None and len(scripts) and users:
        scripts = scripts.assign(
            user=[users.get(int(u)) if not pd.isna(u) else None for u in scripts["uid"]]
        )

    # --- SMTP AUTH failures by client IP
    auth = common.head(auth_report.auth_failures_in(win), None)
    auth_timeline = None
    if auth is not None and len(auth):
        keys = list(auth["client_ip"].head(CHART_KEYS))
        auth_timeline = auth_report.timeline_in(win, keys=keys)

    totals = _totals(root, lo, hi, senders, buckets, auth)
    previous = _previous(snap, history_lo, lo, history, history_days, length)
    hosts = _hosts(snap, lo, hi)

    volume = baselines.volume_in(win, t.baselines, covers, hourly)  # per-account baselines
    incidents = find_incidents(
        senders=senders,
        spikes=buckets,
        scripts=scripts,
        auth=auth,
        thresholds=t,
        users=users,
        window_days=length,
        volume=volume,
    )
    name_hosts(win, incidents)  # one login or IP on several servers: one incident naming them
    result = Report(
        since=lo,
        until=hi,
        generated=generated,
        data=str(root),
        hosts=hosts,
        totals=totals,
        previous=previous,
        history_days=history_days,
        top_senders=_frame(senders),
        sender_timeline=_frame(timeline),
        relay_buckets=_frame(buckets),
        scripts=_frame(scripts),
        auth=_frame(auth),
        auth_timeline=_frame(auth_timeline),
        incidents=incidents,
        thresholds=t,
        users=users,
        notes=notes,
        covers=covers,
        volume=volume,
        fleet=fleet_table(win, hosts, incidents, hosted_domains) if len(hosts) > 1 else None,
    )
    if result.no_data:
        incidents.append(
            Incident(
                "warn",
                "no_data",
                str(root),
                f"no mail logged in the window ({result.covers_text}): is the maillog still "
                "being ingested?",
                ["no messages, rejects or AUTH failures in the window"],
            )
        )
    return result


def _frame(frame):
    import pandas as pd

    return frame if frame is not None else pd.DataFrame()


def _totals(root, lo, hi, senders, buckets, auth) -> dict[str, int]:
    out = {key: 0 for key in TOTALS}
    if senders is not None and len(senders):
        out["messages_out"] = int(senders["messages"].sum())
        local = senders["identity"].astype("str").str.startswith("uid:")
        out["local_submissions"] = int(senders.loc[local.fillna(False), "messages"].sum())
    if buckets is not None and len(buckets):
        import pandas as pd

        inside = buckets
        if lo is not None:
            inside = inside[inside["start"] >= pd.Timestamp(lo)]
        out["relay_denied"] = int(inside["count"].sum())
    if auth is not None and len(auth):
        out["auth_failures"] = int(auth["failures"].sum())
    return out


def _previous(
    snap, history_lo, lo, history, history_days: float, window_days: float
) -> dict[str, float | None]:
    """Each total's trailing-week daily average, scaled to the window's length (None:
    no history)."""
    out: dict[str, float | None] = {key: None for key in TOTALS}
    if lo is None or history_days <= 0:
        return out
    scale = window_days / history_days
    if history is not None and len(history):
        out["messages_out"] = float(history["messages"].sum()) * scale
        local = history["identity"].astype("str").str.startswith("uid:").fillna(False)
        out["local_submissions"] = float(history.loc[local, "messages"].sum()) * scale
    else:
        out["messages_out"] = out["local_submissions"] = 0.0
    rejects = table("rejects", data=snap, since=history_lo, until=lo, columns=["reason_class"])
    out["relay_denied"] = float((rejects["reason_class"] == "relay_denied").sum()) * scale
    fails = table("auth_failures", data=snap, since=history_lo, until=lo, columns=["ts"])
    out["auth_failures"] = float(len(fails)) * scale
    return out


def _covered_days(covers, lo, hi) -> float:
    """Days of [lo, hi) that the dataset covers (it may begin or end inside the period:
    a week after the last line is no week of data)."""
    import pandas as pd

    first, last = covers
    if first is None:
        return 0.0
    start = max(pd.Timestamp(lo), first)
    end = min(pd.Timestamp(hi), last)
    return max((end - start) / pd.Timedelta(days=1), 0.0)


def _hosts(snap, lo, hi) -> list[str]:
    hosts: set[str] = set()
    for name in ("messages", "rejects", "auth_failures"):
        frame = table(name, data=snap, since=lo, until=hi, columns=["host"], include_open=False)
        hosts.update(str(h) for h in frame["host"].dropna().unique())
    return sorted(hosts)
