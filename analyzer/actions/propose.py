"""One call from a window of the dataset to the plan of actions: the nightly report's
incidents of [since, until), with their actions (what `analyzer actions` prints)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime

from ..config import Thresholds
from ..reports.incidents import SEVERITY_RANK
from .allowlist import Allowlist
from .found import found_in
from .plan import Plan, plan


def propose(
    data: str | os.PathLike | None,
    since="1h",
    until=None,
    tz: str | None = None,
    thresholds: Thresholds | None = None,
    local_ips: Iterable[str] = (),
    hosted_domains: Iterable[str] = (),
    users: dict[int, str] | None = None,
    allow: Allowlist | None = None,
    severity: str = "warn",
    now: datetime | None = None,
    hosts: str | Iterable[str] | None = None,
) -> Plan:
    """The incidents of severity `severity` or above found in [since, until) by the
    nightly report's rules, and the actions that contain them; `hosts`: of these hosts'
    rows only (as the reports' `--host`)."""
    from ..fleet.hosts import opened
    from ..nightly.model import build

    source = opened(data, hosts)
    report = build(
        source,
        since,
        until,
        tz,
        thresholds=thresholds,
        local_ips=local_ips,
        hosted_domains=hosted_domains,
        users=users,
        now=now,
    )
    rank = SEVERITY_RANK[severity]
    found = [f for f in found_in(report) if SEVERITY_RANK[f.severity] >= rank]
    return plan(found, allow or Allowlist(), source, report.since, report.until, users)
