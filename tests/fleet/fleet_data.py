"""A small generated fleet for the tests of hosts in reports, incidents and alerts: three
hosts whose first and third run Postfix and the second Exim, each with the planted
incidents (so the same PHP spam script, uid 1017's `wp-xmlrpc-cache.php`, runs on the
two Postfix hosts), ingested as a fleet (one sub-dataset per host) or into one dataset."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from analyzer import api
from analyzer.fleet.layout import host_dataset
from analyzer.samplegen.fleet import write_fleet

FLEET = dict(
    hosts=3,
    messages_per_day=120,
    start=datetime(2026, 11, 25, 23, 0),
    days=1.05,
    incident_hosts=3,
    mtas=("postfix", "exim", "postfix"),
)


def generated_fleet(root: Path) -> dict:
    """The fleet's logs under ROOT/logs/<host>/; its truth."""
    return write_fleet(root / "logs", **FLEET)


def ingest_fleet(root: Path, truth: dict, data: Path, one_dataset: bool = False) -> Path:
    """Each host's logs into its own sub-dataset of `data` (the fleet layout), or all of
    them into the one dataset `data`; each with its host for lines that name none (Exim's
    own log)."""
    for host in sorted(truth["hosts"]):
        target = data if one_dataset else host_dataset(data, host)
        api.ingest([str(root / "logs" / host)], data=str(target), tz="UTC", host=host)
    return data


def spam_script(truth: dict, host: str) -> dict:
    """The truth of the PHP spam script planted on `host`."""
    return truth["hosts"][host]["truth"]["incidents"]["php_script"]
