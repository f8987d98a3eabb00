"""top-senders on Dask: the join of messages with their deliveries runs per host on the
workers, and the client receives one partial tally per sender key, not the rows.

A message and its deliveries are always on the same host (of a fleet: in the same
host's sub-dataset), so each host's messages in the window and its deliveries from the
window start to just after the window's last message line (`Window.deliveries_of`'s
span: a deferred message is delivered after the window) are joined by one task on a
worker (`reports.senders_partial.partial`); the partials combine tree-wise on the
workers and the client shapes the table (`senders_partial.finish`). Two small
reductions come first, because the scope depends on every host: the last message line
and the SASL logins of the window, then the recipient domains of local deliveries (the
hosted domains). The open rows of each host go to its task as Arrow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..dataset.carried import CARRIED
from ..dataset.reading import to_pandas, with_carried
from ..dataset.snapshot import Reduction
from ..reports.common import hosted_domains as local_domains_of
from ..reports.senders import message_columns
from ..reports.senders_partial import combine, finish, partial
from ..reports.spec import DELIVERY_COLUMNS, hosted_from
from .hosts import HostSnapshot


def top_senders_on(snap, win, by: str, scope: str, hosted_domains) -> Any:
    """`senders.top_senders` of the window `win` read by the DaskSnapshot `snap`, joined
    per host on the workers; None when the workers cannot read it (another kind of
    snapshot, a damaged part) or the window has no messages (read here, cheaply)."""
    from .dask_reports import _sources, part_tasks, tree_combine

    hosts, snaps = _sources(snap.inner)
    if snaps is None:
        return None
    last, logins = win.reduce("messages", ["last_seen", "sasl_username"], FIRST_PASS)
    if last is None:
        return None
    until = last + timedelta(microseconds=1)
    local = win.reduce("deliveries", HOSTED_COLUMNS, LOCAL_DOMAINS, since=win.lo, until=until)
    hosted = hosted_from(hosted_domains, local, logins)

    from dask import delayed

    mcols, dcols = message_columns(by), DELIVERY_COLUMNS
    tasks = []
    for one in snaps:  # one task per host's dataset: its messages and their deliveries
        msgs = part_tasks([one], hosts, "messages", win.lo, win.hi, mcols, _same)
        dels = part_tasks([one], hosts, "deliveries", win.lo, until, dcols, _same)
        if msgs is None or dels is None:
            return None
        own = HostSnapshot(one, hosts) if hosts is not None else one
        open_msgs = _open(own, "messages", win.lo, win.hi, mcols)
        open_dels = _open(own, "deliveries", win.lo, until, dcols)
        if not msgs and not open_msgs.num_rows:
            continue
        tasks.append(
            delayed(_host_partial)([*msgs, open_msgs], [*dels, open_dels], by, scope, hosted)
        )
    if not tasks:
        return None
    return finish(snap._gather([tree_combine(tasks, combine)])[0], by)


def _host_partial(msgs: list[pa.Table], dels: list[pa.Table], by, scope, hosted) -> dict:
    """On a worker: the partial tally of one host's messages and deliveries."""
    return partial(_frame(msgs), _frame(dels), by, scope, hosted)


def _frame(tables: list[pa.Table]):
    schema = tables[-1].schema  # the open rows' table: the table's own schema
    return to_pandas(pa.concat_tables([t.cast(schema) for t in tables]))


def _open(snap, table: str, lo, hi, columns: list[str]) -> pa.Table:
    """The open rows of `table` (if it has any) in [lo, hi) that `snap`'s commit holds (a few thousand
    at most), with the table's schema and metadata."""
    from .dask_reports import _schema

    empty = _schema(table, columns).empty_table()
    return with_carried(snap, table, empty, lo, hi, columns) if table in CARRIED else empty


def _same(arrow: pa.Table) -> pa.Table:
    return arrow


def _last_and_logins(arrow: pa.Table) -> tuple:
    last = pc.max(arrow["last_seen"]).as_py() if arrow.num_rows else None
    return last, set(pc.unique(arrow["sasl_username"].drop_null()).to_pylist())


def _merge_last_and_logins(chunks: list[tuple]) -> tuple:
    lasts = [last for last, _ in chunks if last is not None]
    return (max(lasts) if lasts else None), set().union(*(logins for _, logins in chunks))


def _local_domains(arrow: pa.Table) -> set:
    return set(local_domains_of(to_pandas(arrow)))  # hosted_from(): only lower-cased


def _union(chunks: list[set]) -> set:
    return set().union(*chunks)


HOSTED_COLUMNS = ["program", "status", "recipient_domain"]  # what `hosted_domains` reads
FIRST_PASS = Reduction(_last_and_logins, _merge_last_and_logins)
LOCAL_DOMAINS = Reduction(_local_domains, _union)
