"""Trace computed on Arrow tables: the same rows, columns and order as
`reports.trace.trace` (the reference, tested equal in `tests/reports/test_trace_arrow.py`)
without importing pandas, for the CLI's `trace`. What to read, the content-filter
chain, the queue a row belongs to and the text of `event` and `detail` are
`trace_spec`'s, shared with the pandas version; only picking rows, joining the tables
and sorting are written here."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..spec import address_key
from ..trace_spec import (
    FIRST,
    NOTICE_COLUMNS,
    TABLE_ORDER,
    auth_event,
    chain_of,
    check_one,
    message_detail,
    message_detail_of,
    message_event,
    notice_text,
    reject_event,
    same_queue,
    sender_key,
    tables_in,
)
from .common import TIMESTAMP, codes, link, micros, numeric, per_distinct, truthy, valid


def trace(
    messages: pa.Table,
    deliveries: pa.Table,
    rejects: pa.Table,
    auth_failures: pa.Table | None = None,
    *,
    queue_id: str | None = None,
    sender: str | None = None,
    identity: str | None = None,
    client_ip: str | None = None,
    notices: pa.Table | None = None,
) -> pa.Table:
    """`reports.trace.trace` of Arrow tables, as an Arrow table (same columns, same rows,
    same order)."""
    check_one(queue_id, sender, identity, client_ip)
    a = None
    if queue_id is not None:
        chain = pa.array(list(filter_chain(messages, queue_id)), pa.string())
        m, d, r = (_rows(t, _is_in(t["queue_id"], chain)) for t in (messages, deliveries, rejects))
    elif sender is not None:
        want = sender_key(sender)
        m = _rows(messages, _equal(per_distinct(messages["sender"], address_key), want))
        d = deliveries.take(numeric(link(m, deliveries)[0]))
        r = _rows(rejects, _equal(per_distinct(rejects["sender"], address_key), want))
    elif client_ip is not None:
        m = _rows(messages, _equal(messages["client_ip"], client_ip))
        d = deliveries.take(numeric(link(m, deliveries)[0]))
        r = _rows(rejects, _equal(rejects["client_ip"], client_ip))
        if auth_failures is not None:
            a = _rows(auth_failures, _equal(auth_failures["client_ip"], client_ip))
    else:
        assert identity is not None  # the one given, as checked above
        kind, _, value = identity.partition(":")
        m = _rows(messages, _equal(messages["identity"], identity))
        d_rows = np.flatnonzero(_equal(deliveries["identity"], identity))
        of_messages = link(m, deliveries)[0]
        if len(d_rows) < len(of_messages):  # identity filled in later
            d_rows = _distinct_rows(deliveries, np.concatenate([d_rows, of_messages]))
        d = deliveries.take(numeric(d_rows))
        r_rows = [np.flatnonzero(_same_queue(rejects, m))]
        if kind == "sasl":
            r_rows.append(np.flatnonzero(_equal(rejects["sasl_username"], value)))
            if auth_failures is not None:
                a = _rows(auth_failures, _equal(auth_failures["sasl_username"], value))
        elif kind == "ip":
            alone = _equal(rejects["client_ip"], value) & ~valid(rejects["sasl_username"])
            r_rows.append(np.flatnonzero(alone))
            if auth_failures is not None:
                a = _rows(auth_failures, _equal(auth_failures["client_ip"], value))
        r = rejects.take(numeric(_first_each(np.concatenate(r_rows))))
    parts = [("messages", _messages(m)), ("deliveries", _deliveries(d)), ("rejects", _rejects(r))]
    if notices is not None and notices.num_rows:  # a relay's reply, a header check
        if queue_id is not None:
            keep = _equal(notices["queue_id"], queue_id)
        else:
            keep = _same_queue(notices, m)
            if client_ip is not None:
                keep |= _equal(notices["client_ip"], client_ip)
        parts.append(("notices", _notices(_rows(notices, keep))))
    if a is not None and a.num_rows:
        parts.append(("auth_failures", _auth(a)))
    parts = [(name, p) for name, p in parts if p.num_rows]
    if not parts:
        return pa.schema(
            [pa.field(c, TIMESTAMP if c == "ts" else pa.string()) for c in FIRST]
        ).empty_table()
    out = _stacked([p for _, p in parts])
    order = np.concatenate([np.full(p.num_rows, TABLE_ORDER[name]) for name, p in parts])
    # by time, then table, else as stacked (stable); a row without a time last
    out = out.take(numeric(np.lexsort((order, micros(out["ts"]), ~valid(out["ts"])))))
    for column in FIRST:
        if column not in out.column_names:
            out = out.append_column(column, pa.nulls(out.num_rows, pa.string()))
    return out.select(FIRST + [c for c in out.column_names if c not in FIRST])


def filter_chain(messages: pa.Table, queue_id: str) -> set:
    """`queue_id` and the queue ids linked to it through content filters (`chain_of`)."""
    if "filter_of" not in messages.column_names:
        return {queue_id}
    links = _rows(messages, valid(messages["filter_of"]))
    return chain_of(zip(links["queue_id"].to_pylist(), links["filter_of"].to_pylist()), queue_id)


def _equal(column, value) -> np.ndarray:
    """Where `column` equals `value` (missing: no)."""
    return truthy(pc.equal(column, value))


def _is_in(column, values: pa.Array) -> np.ndarray:
    return truthy(pc.is_in(column, value_set=values))


def _rows(table: pa.Table, mask: np.ndarray) -> pa.Table:
    return table.take(numeric(np.flatnonzero(mask)))


def _first_each(rows: np.ndarray) -> np.ndarray:
    """`rows` without repeats, each where it first comes (pandas' `index.duplicated`)."""
    _, first = np.unique(rows, return_index=True)
    return rows[np.sort(first)]


def _distinct_rows(table: pa.Table, rows: np.ndarray) -> np.ndarray:
    """`rows` of `table` without the rows equal in every column to an earlier one, a
    missing value equal to a missing one (pandas' `drop_duplicates`)."""
    if len(rows) == 0:
        return rows
    picked = table.take(numeric(rows))
    group = np.zeros(len(rows), np.int64)
    for column in picked.columns:
        code, dictionary = codes(column)
        # renumbered after each column: the combined code stays below the row count
        group = np.unique(group * len(dictionary) + code, return_inverse=True)[1].reshape(-1)
    _, first = np.unique(group, return_index=True)
    return rows[np.sort(first)]


def _same_queue(rows: pa.Table, m: pa.Table) -> np.ndarray:
    keys = zip(m["host"].to_pylist(), m["queue_id"].to_pylist())
    mask = same_queue(keys, zip(rows["host"].to_pylist(), rows["queue_id"].to_pylist()))
    return np.array(mask, dtype=bool)


def _stacked(parts: list[pa.Table]) -> pa.Table:
    """The parts one after the other, their columns in the order they first come, a
    column a part has not missing in its rows (pandas' `concat`)."""
    kinds: dict[str, pa.DataType] = {}
    for part in parts:
        for field in part.schema:
            kinds.setdefault(field.name, field.type)
    return pa.concat_tables(
        [
            pa.table(
                {
                    name: p[name] if name in p.column_names else pa.nulls(p.num_rows, kind)
                    for name, kind in kinds.items()
                }
            )
            for p in parts
        ]
    )


def _labelled(table: pa.Table, table_name: str) -> pa.Table:
    """The rows with their source `table` as the second column."""
    return table.add_column(1, "table", pa.array([table_name] * table.num_rows, pa.string()))


def _text(values) -> pa.Array:
    return pa.array(list(values), pa.string())


def _messages(m: pa.Table) -> pa.Table:
    out = _labelled(
        m.rename_columns(["ts" if c == "first_seen" else c for c in m.column_names]), "messages"
    )
    has_filter = "filter_of" in out.column_names
    reinjected = out["filter_of"].to_pylist() if has_filter else [None] * out.num_rows
    out = out.append_column(
        "event", _text(map(message_event, out["origin"].to_pylist(), reinjected))
    )
    fields = message_detail_of(out.column_names)
    labels = [label for _, label in fields]
    rows = list(zip(*(out[c].to_pylist() for c, _ in fields))) if fields else [()] * out.num_rows
    return out.append_column("detail", _text(message_detail(labels, r) for r in rows))


def _deliveries(d: pa.Table) -> pa.Table:
    out = _labelled(d, "deliveries")
    return out.append_column("event", out["status"]).append_column("detail", out["response"])


def _rejects(r: pa.Table) -> pa.Table:
    out = _labelled(r, "rejects")
    events = map(reject_event, out["stage"].to_pylist(), out["reason_class"].to_pylist())
    return out.append_column("event", _text(events)).append_column("detail", out["reason"])


def _notices(n: pa.Table) -> pa.Table:
    out = _labelled(n, "notices")
    out = out.append_column("event", pc.fill_null(out["kind"], "notice"))
    texts = [notice_text(*row) for row in zip(*(out[c].to_pylist() for c in NOTICE_COLUMNS))]
    out = out.append_column("detail", _text(detail for _, detail in texts))
    return out.append_column("relay", _text(relay for relay, _ in texts))


def _auth(a: pa.Table) -> pa.Table:
    out = _labelled(a, "auth_failures")
    events = _text(map(auth_event, out["sasl_method"].to_pylist()))
    return out.append_column("event", events).append_column("detail", out["reason"])


# --- read from a window (`analyzer.dataset.reading.Window`) ---------------------------------


def trace_in(
    win,
    queue_id: str | None = None,
    sender: str | None = None,
    identity: str | None = None,
    client_ip: str | None = None,
) -> pa.Table:
    """`trace` of the window's rows matching the one of `queue_id`, `sender`, `identity`,
    `client_ip` given (checked by the caller), read by `trace_spec.tables_in`."""
    msgs, dels, rejects, auth, notices = tables_in(win, queue_id, sender, identity, client_ip)
    return trace(
        msgs,
        dels,
        rejects,
        auth,
        queue_id=queue_id,
        sender=sender,
        identity=identity,
        client_ip=client_ip,
        notices=notices,
    )
