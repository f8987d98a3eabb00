"""The investigator's view: every row of one message (queue id), envelope sender or
identity across `messages`, `notices`, `deliveries`, `rejects` (and, for an IP or SASL
identity, `auth_failures`), in time order, with the table each row came from. The rules
it shares with the CLI's Arrow twin (`reports.arrow.trace`) are in `trace_spec`."""

from __future__ import annotations

import pandas as pd

from ..dataset.reading import to_pandas
from .common import address_key, deliveries_of
from .trace_spec import (  # noqa: F401  (the callers know them as trace's)
    FIRST,
    NOTICE_COLUMNS,
    TABLE_ORDER,
    auth_event,
    chain_in,
    chain_of,
    check_one,
    check_target,
    message_detail,
    message_detail_of,
    message_event,
    notice_text,
    reject_event,
    same_queue,
    sender_key,
    tables_in,
)


def trace(
    messages: pd.DataFrame,
    deliveries: pd.DataFrame,
    rejects: pd.DataFrame,
    auth_failures: pd.DataFrame | None = None,
    *,
    queue_id: str | None = None,
    sender: str | None = None,
    identity: str | None = None,
    client_ip: str | None = None,
    notices: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rows matching exactly one of `queue_id`, `sender` (case-insensitive; `<>` or ``
    is the null sender), `identity` (`sasl:user`, `uid:1017`, `ip:192.0.2.1`, ...) or
    `client_ip` (everything that IP did, whoever it logged in as).
    Columns: `ts`, `table`, `event`, the shared columns, `detail`, then every other column
    of the source tables."""
    check_one(queue_id, sender, identity, client_ip)
    if queue_id is not None:
        chain = filter_chain(messages, queue_id)
        m = messages[messages["queue_id"].isin(chain)]
        d = deliveries[deliveries["queue_id"].isin(chain)]
        r = rejects[rejects["queue_id"].isin(chain)]
        a = None
    elif sender is not None:
        want = sender_key(sender)
        m = messages[(address_key(messages["sender"]) == want).fillna(False)]
        d = deliveries_of(m, deliveries)
        r = rejects[(address_key(rejects["sender"]) == want).fillna(False)]
        a = None
    elif client_ip is not None:
        m = messages[messages["client_ip"] == client_ip]
        d = deliveries_of(m, deliveries)
        r = rejects[rejects["client_ip"] == client_ip]
        a = (
            None
            if auth_failures is None
            else auth_failures[auth_failures["client_ip"] == client_ip]
        )
    else:
        assert identity is not None  # the one given, as checked above
        kind, _, value = identity.partition(":")
        m = messages[messages["identity"] == identity]
        d = deliveries[deliveries["identity"] == identity]
        if len(d) < len(deliveries_of(m, deliveries)):  # identity filled in later
            d = pd.concat([d, deliveries_of(m, deliveries)]).drop_duplicates()
        r = rejects[_same_queue(rejects, m)]
        a = None
        if kind == "sasl":
            r = pd.concat([r, rejects[rejects["sasl_username"] == value]])
            if auth_failures is not None:
                a = auth_failures[auth_failures["sasl_username"] == value]
        elif kind == "ip":
            r = pd.concat(
                [r, rejects[(rejects["client_ip"] == value) & rejects["sasl_username"].isna()]]
            )
            if auth_failures is not None:
                a = auth_failures[auth_failures["client_ip"] == value]
        r = r[~r.index.duplicated()]
    parts = [_messages(m), _deliveries(d), _rejects(r)]
    if notices is not None and len(notices):  # a relay's reply, a header check: per message
        n = (
            notices[notices["queue_id"] == queue_id]
            if queue_id is not None
            else notices[
                _same_queue(notices, m)
                | ((notices["client_ip"] == client_ip) if client_ip is not None else False)
            ]
        )
        parts.append(_notices(n))
    if a is not None and len(a):
        parts.append(_auth(a))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(
            {c: pd.Series([], dtype="datetime64[us, UTC]" if c == "ts" else "str") for c in FIRST}
        )
    out = pd.concat(parts, ignore_index=True)
    out["_order"] = out["table"].map(TABLE_ORDER)
    out = out.sort_values(["ts", "_order"], kind="stable").drop(columns="_order")
    rest = [c for c in out.columns if c not in FIRST]
    for col in FIRST:
        if col not in out.columns:
            out[col] = pd.Series(pd.NA, index=out.index, dtype="str")
    return out[FIRST + rest].reset_index(drop=True)


def filter_chain(messages: pd.DataFrame, queue_id: str) -> set[str]:
    """`queue_id` and the queue ids linked to it through content filters (`chain_of`)."""
    if "filter_of" not in messages.columns:
        return {queue_id}
    links = messages.loc[messages["filter_of"].notna(), ["queue_id", "filter_of"]]
    return chain_of(zip(links["queue_id"], links["filter_of"]), queue_id)


def _cells(frame: pd.DataFrame, column: str) -> list:
    """A column's values, None where missing (what the `trace_spec` rules take)."""
    values = frame[column]
    return values.astype(object).where(values.notna(), None).tolist()


def _same_queue(rows: pd.DataFrame, m: pd.DataFrame) -> pd.Series:
    keys = zip(_cells(m, "host"), _cells(m, "queue_id"))
    mask = same_queue(keys, zip(_cells(rows, "host"), _cells(rows, "queue_id")))
    return pd.Series(mask, index=rows.index, dtype=bool)


def _text(values: list, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype="str")


def _messages(m: pd.DataFrame) -> pd.DataFrame:
    out = m.rename(columns={"first_seen": "ts"}).copy()
    out.insert(1, "table", "messages")
    reinjected = _cells(out, "filter_of") if "filter_of" in out.columns else [None] * len(out)
    events = map(message_event, _cells(out, "origin"), reinjected)
    out["event"] = _text(list(events), out.index)
    fields = message_detail_of(list(out.columns))
    labels = [label for _, label in fields]
    rows = list(zip(*(_cells(out, c) for c, _ in fields))) if fields else [()] * len(out)
    out["detail"] = _text([message_detail(labels, r) for r in rows], out.index)
    return out


def _deliveries(d: pd.DataFrame) -> pd.DataFrame:
    out = d.copy()
    out.insert(1, "table", "deliveries")
    out["event"] = out["status"]
    out["detail"] = out["response"]
    return out


def _rejects(r: pd.DataFrame) -> pd.DataFrame:
    out = r.copy()
    out.insert(1, "table", "rejects")
    events = map(reject_event, _cells(out, "stage"), _cells(out, "reason_class"))
    out["event"] = _text(list(events), out.index)
    out["detail"] = out["reason"]
    return out


def _notices(n: pd.DataFrame) -> pd.DataFrame:
    out = n.copy()
    out.insert(1, "table", "notices")
    out["event"] = out["kind"].fillna("notice")
    texts = [notice_text(*row) for row in zip(*(_cells(out, c) for c in NOTICE_COLUMNS))]
    out["detail"] = _text([detail for _, detail in texts], out.index)
    out["relay"] = _text([relay for relay, _ in texts], out.index)
    return out


def _auth(a: pd.DataFrame) -> pd.DataFrame:
    out = a.copy()
    out.insert(1, "table", "auth_failures")
    out["event"] = _text(list(map(auth_event, _cells(out, "sasl_method"))), out.index)
    out["detail"] = out["reason"]
    return out


# --- read from a window (`analyzer.dataset.reading.Window`) ----------------------------------------


def trace_in(
    win,
    queue_id: str | None = None,
    sender: str | None = None,
    identity: str | None = None,
    client_ip: str | None = None,
) -> pd.DataFrame:
    """`trace` of the window's rows matching the one of `queue_id`, `sender`, `identity`,
    `client_ip` given (checked by the caller), read by `trace_spec.tables_in`."""
    tables = tables_in(win, queue_id, sender, identity, client_ip)
    msgs, dels, rejects, auth, notices = (None if t is None else to_pandas(t) for t in tables)
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
