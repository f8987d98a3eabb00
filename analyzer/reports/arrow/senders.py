"""Top senders computed on Arrow tables and numpy: the same rows as
`reports.senders.top_senders` (the reference, tested equal in
`tests/reports/test_arrow_reports.py`) without importing pandas, for the CLI's
`top-senders`. Scope, re-injections and every figure follow `reports.senders`."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..spec import (
    BY,
    COLUMNS,
    COUNTERS,
    DELIVERY_COLUMNS,
    SCOPES,
    address_key,
    check_by,
    domain_key,
    message_columns,
)
from .common import (
    TIMESTAMP,
    after,
    array,
    codes,
    distinct_counts,
    group_codes,
    hosted_domains,
    ints,
    link,
    micros,
    min_max,
    numeric,
    peak_counts,
    per_distinct,
    sums,
    timestamps,
    truthy,
    valid,
)

HOUR_US = 3_600_000_000


def scope_mask(msgs: pa.Table, dels: pa.Table, linked, scope: str, hosted) -> np.ndarray:
    """Which messages belong to `scope` (`reports.senders.scope_mask`); `linked`: the
    (delivery row, message row) pairs of `common.link`."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if scope == "all":
        return np.ones(msgs.num_rows, bool)
    del_rows, msg_rows = linked
    domain = array(dels["recipient_domain"])
    away = valid(domain) & ~truthy(pc.is_in(domain, pa.array(sorted(hosted), pa.string())))
    relayed = np.zeros(msgs.num_rows, bool)
    relayed[msg_rows[away[del_rows]]] = True
    origin = array(msgs["origin"])
    smtp = truthy(pc.equal(origin, "smtp"))
    if scope == "inbound":
        return smtp & ~relayed
    submitted = truthy(pc.is_in(origin, pa.array(["sasl", "local"], pa.string())))
    # backscatter: a non-delivery notice for a message of an identity, leaving the server
    charged = (
        truthy(pc.equal(origin, "bounce")) & valid(msgs["bounce_of"]) & valid(msgs["identity"])
    )
    return submitted | ((smtp | charged) & relayed)


def with_keys(msgs: pa.Table, by: str) -> tuple[pa.Table, np.ndarray]:
    """The messages with the key columns of `by` (`reports.senders.with_keys`) and which
    rows have a key (for `script`: a uid; a missing script is a group of its own)."""
    keys = check_by(by)
    if by == "sender":
        msgs = msgs.set_column(
            msgs.schema.get_field_index("sender"),
            "sender",
            per_distinct(msgs["sender"], address_key),
        )
    elif by == "sender-domain":
        msgs = msgs.append_column("sender_domain", per_distinct(msgs["sender"], domain_key))
    need = ["uid"] if by == "script" else keys
    present = np.ones(msgs.num_rows, bool)
    for key in need:
        present &= valid(msgs[key])
    return msgs, present


def recipients(msgs: pa.Table, dels: pa.Table, linked) -> np.ndarray:
    """Recipients of each message: nrcpt, else the distinct recipients its deliveries
    show (a message cut off before its queue-manager line), else 0."""
    nrcpt = array(msgs["nrcpt"])
    out = ints(nrcpt)
    missing = ~valid(nrcpt)
    if missing.any():
        del_rows, msg_rows = linked
        recipient, _ = codes(dels["recipient"])
        seen = valid(dels["recipient"])[del_rows]
        counted = distinct_counts(msg_rows[seen], recipient[del_rows][seen], msgs.num_rows)
        return np.where(missing, counted, out)
    return out


def top_senders(
    messages: pa.Table,
    deliveries: pa.Table,
    by: str = "identity",
    scope: str = "outgoing",
    hosted: frozenset[str] = frozenset(),
) -> pa.Table:
    """`reports.senders.top_senders` of Arrow tables, as an Arrow table (same columns,
    same rows, same order)."""
    keys = check_by(by)
    linked = link(messages, deliveries)
    in_scope = scope_mask(messages, deliveries, linked, scope, hosted)
    # a content filter's re-injection is the same message: counted once (the original),
    # while its deliveries and bounces add to the counters of the identity it took over
    original = ~valid(messages["filter_of"])
    total = int((original & in_scope).sum())
    keyed, present = with_keys(messages, by)
    rows = np.flatnonzero(in_scope & present)
    if not original[rows].any():
        return empty(keys)
    msgs = keyed.take(numeric(rows))
    group, n, first = group_codes(msgs, keys)
    orig = original[rows]
    counted = sums(group, orig.astype(np.float64), n)
    rcpts = recipients(messages, deliveries, linked)[rows] * orig
    figures = {"messages": counted, "recipients": sums(group, rcpts.astype(np.float64), n)}
    for column in COUNTERS:
        figures[column] = sums(group, ints(msgs[column]).astype(np.float64), n)

    # over the originals: client IPs, first and last seen, the busiest hour
    o_group = group[orig]
    ip, _ = codes(msgs["client_ip"])
    has_ip = valid(msgs["client_ip"])[orig]
    figures["client_ips"] = distinct_counts(o_group[has_ip], ip[orig][has_ip], n)
    seen = micros(msgs["first_seen"])[orig]
    timed = valid(msgs["first_seen"])[orig]
    lo, hi, has_time = min_max(o_group[timed], seen[timed], n)
    hour = np.where(timed, seen // HOUR_US, np.iinfo(np.int64).min)  # no time: an hour too
    figures["peak_hour_messages"] = peak_counts(o_group, hour, n)

    # distinct recipient domains of the deliveries of the group's messages
    msg_group = np.full(messages.num_rows, -1, np.int64)
    msg_group[rows] = group
    del_rows, msg_rows = linked
    d_group = msg_group[msg_rows]
    domain, _ = codes(deliveries["recipient_domain"])
    with_domain = (d_group >= 0) & valid(deliveries["recipient_domain"])[del_rows]
    figures["recipient_domains"] = distinct_counts(
        d_group[with_domain], domain[del_rows][with_domain], n
    )

    keep = np.flatnonzero(counted > 0)  # re-injections whose original is outside the window
    sent, bounced = figures["sent"][keep], figures["bounced"][keep]
    tried = sent + bounced
    columns = {k: msgs[k].take(numeric(first[keep])) for k in keys}
    columns.update(
        {
            "messages": numeric(counted[keep]),
            "share": numeric(counted[keep] / total),
            "recipients": numeric(figures["recipients"][keep]),
            "recipient_domains": numeric(figures["recipient_domains"][keep]),
            "sent": numeric(sent),
            "deferred": numeric(figures["deferred"][keep]),
            "bounced": numeric(bounced),
            "bounce_rate": numeric(bounced / np.where(tried > 0, tried, 1), tried == 0),
            "expired": numeric(figures["expired"][keep]),
            "client_ips": numeric(figures["client_ips"][keep]),
            "first_seen": timestamps(lo[keep], has_time[keep]),
            "last_seen": timestamps(hi[keep], has_time[keep]),
            "peak_hour_messages": numeric(figures["peak_hour_messages"][keep]),
        }
    )
    out = pa.table(columns)
    order = pc.sort_indices(
        out,
        sort_keys=[("messages", "descending")] + [(k, "ascending") for k in keys],
    )  # missing keys last (the default), as pandas' na_position="last"
    return out.take(order).select(keys + COLUMNS)


def empty(keys: list[str]) -> pa.Table:
    """No rows, with the columns and types of a result."""
    types = {"share": pa.float64(), "bounce_rate": pa.float64()}
    types.update({"first_seen": TIMESTAMP, "last_seen": TIMESTAMP})
    fields = [pa.field(k, pa.int64() if k == "uid" else pa.string()) for k in keys]
    fields += [pa.field(c, types.get(c, pa.int64())) for c in COLUMNS]
    return pa.schema(fields).empty_table()


# --- read from a window (`analyzer.dataset.reading.Window`) ---------------------------------


def top_senders_in(win, by: str = "identity", scope: str = "outgoing", hosted_domains_=()):
    """`top_senders` of the window's messages and the deliveries that can belong to them
    (`Window.deliveries_of`: from the window start to just after the last message)."""
    msgs = win.arrow("messages", message_columns(by))
    columns = DELIVERY_COLUMNS
    if msgs["nrcpt"].null_count == 0:
        columns = [c for c in DELIVERY_COLUMNS if c != "recipient"]
    if msgs.num_rows:
        dels = win.arrow("deliveries", columns, since=win.lo, until=after(msgs["last_seen"]))
    else:
        from ...schema import TABLES

        dels = TABLES["deliveries"].arrow_schema.empty_table().select(columns)
    if "recipient" not in dels.column_names:  # every message has its count: never read
        dels = dels.append_column("recipient", pa.nulls(dels.num_rows, pa.string()))
    hosted = hosted_domains(dels, msgs["sasl_username"], hosted_domains_)
    return top_senders(msgs, dels, by, scope, hosted)


__all__ = ["BY", "SCOPES", "top_senders", "top_senders_in"]
