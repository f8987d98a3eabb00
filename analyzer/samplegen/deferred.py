"""A spam run against dead domains, as Postfix logs it: local submissions whose every
delivery attempt is deferred, so they never leave the queue and stay open in the
correlator's state. Builds the open-state benchmark's case and its tests' small ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta


def queue_id(i: int) -> str:
    return f"{0x5A00000000 + i:X}"


def deferred_run(
    start: datetime, count: int, host: str = "mx1", uid: int = 1001, per_second: int = 200
) -> Iterator[str]:
    """`count` messages from `start`, `per_second` of them a second (time-ordered)."""
    for i in range(count):
        ts = start + timedelta(seconds=i // per_second)
        stamp = f"{ts:%b} {ts.day:2d} {ts:%H:%M:%S} {host}"
        qid = queue_id(i)
        yield f"{stamp} postfix/pickup[903]: {qid}: uid={uid} from=<bulk>"
        yield f"{stamp} postfix/cleanup[900]: {qid}: message-id=<{qid}@bulk.example>"
        yield (
            f"{stamp} postfix/qmgr[901]: {qid}: from=<bulk@bulk.example>, size=1800, "
            "nrcpt=1 (queue active)"
        )
        yield from retry(ts, i, host)


def retry(ts: datetime, i: int, host: str = "mx1") -> Iterator[str]:
    """One more deferred attempt of message `i` at `ts`."""
    domain = f"dead-{i % 997}.example"
    yield (
        f"{ts:%b} {ts.day:2d} {ts:%H:%M:%S} {host} postfix/smtp[902]: {queue_id(i)}: "
        f"to=<user{i}@{domain}>, relay=none, delay=1, delays=0.1/0/1/0, dsn=4.4.1, "
        f"status=deferred (connect to {domain}[192.0.2.1]:25: Connection timed out)"
    )


def removed(ts: datetime, i: int, host: str = "mx1") -> str:
    """Message `i` leaves the queue at `ts` (the same run, completed instead of open)."""
    return f"{ts:%b} {ts.day:2d} {ts:%H:%M:%S} {host} postfix/qmgr[901]: {queue_id(i)}: removed"
