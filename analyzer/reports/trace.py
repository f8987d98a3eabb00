"""The investigator's view: every row of one message (queue id), envelope sender or
identity across `messages`, `notices`, `deliveries`, `rejects` (and, for an IP or SASL
identity, `auth_failures`), in time order, with the table each row came from."""

from __future__ import annotations

import pandas as pd

from ..errors import AnalyzerError
from .common import address_key, deliveries_of

FIRST = [
    "ts",
    "table",
    "event",
    "host",
    "queue_id",
    "identity",
    "sender",
    "recipient",
    "client_ip",
    "client_name",
    "sasl_username",
    "status",
    "dsn",
    "relay",
    "reason_class",
    "detail",
]
_TABLE_ORDER = {"messages": 0, "notices": 1, "deliveries": 2, "rejects": 3, "auth_failures": 4}


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
    given = [v for v in (queue_id, sender, identity, client_ip) if v is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of queue_id, sender, identity, client_ip")
    if queue_id is not None:
        chain = filter_chain(messages, queue_id)
        m = messages[messages["queue_id"].isin(chain)]
        d = deliveries[deliveries["queue_id"].isin(chain)]
        r = rejects[rejects["queue_id"].isin(chain)]
        a = None
    elif sender is not None:
        want = "<>" if sender.strip() in ("", "<>") else sender.strip().strip("<>").lower()
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
    out["_order"] = out["table"].map(_TABLE_ORDER)
    out = out.sort_values(["ts", "_order"], kind="stable").drop(columns="_order")
    rest = [c for c in out.columns if c not in FIRST]
    for col in FIRST:
        if col not in out.columns:
            out[col] = pd.Series(pd.NA, index=out.index, dtype="str")
    return out[FIRST + rest].reset_index(drop=True)


def filter_chain(messages: pd.DataFrame, queue_id: str) -> set[str]:
    """`queue_id` and the queue ids linked to it through content filters (`filter_of`):
    the original, the messages the filter re-injected, and theirs (amavis after a DKIM
    instance), whichever of them was asked for."""
    chain = {queue_id}
    if "filter_of" not in messages.columns:
        return chain
    links = messages.loc[messages["filter_of"].notna(), ["queue_id", "filter_of"]]
    pairs = list(zip(links["queue_id"], links["filter_of"]))
    grown = True
    while grown:
        grown = False
        for child, parent in pairs:
            if (child in chain) != (parent in chain):
                chain.update((child, parent))
                grown = True
    return chain


def _same_queue(rejects: pd.DataFrame, m: pd.DataFrame) -> pd.Series:
    if m.empty:
        return pd.Series(False, index=rejects.index)
    pairs = set(zip(m["host"], m["queue_id"]))
    return pd.Series(
        [(h, q) in pairs for h, q in zip(rejects["host"], rejects["queue_id"])],
        index=rejects.index,
        dtype=bool,
    )


def _messages(m: pd.DataFrame) -> pd.DataFrame:
    out = m.rename(columns={"first_seen": "ts"}).copy()
    out.insert(1, "table", "messages")
    out["event"] = out["origin"].fillna("unknown") + " message"
    if "filter_of" in out.columns:  # a content filter handed the message back as this one
        out.loc[out["filter_of"].notna(), "event"] = "re-injected " + out["event"]
    out["detail"] = _join(
        out,
        [
            ("filter_of", "filter_of="),
            ("size", "size="),
            ("nrcpt", "nrcpt="),
            ("sent", "sent="),
            ("deferred", "deferred="),
            ("bounced", "bounced="),
            ("script", "script="),
        ],
    )
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
    out["event"] = "reject " + out["stage"].fillna("") + " " + out["reason_class"].fillna("")
    out["detail"] = out["reason"]
    return out


def _notices(n: pd.DataFrame) -> pd.DataFrame:
    out = n.copy()
    out.insert(1, "table", "notices")
    out["event"] = out["kind"].fillna("notice")
    where = out["relay_name"].fillna("") + "[" + out["relay_ip"].fillna("") + "]"
    where = where.where(out["relay_ip"].notna(), "")
    checked = (out["header"].fillna("") + ": " + out["value"].fillna("")).where(
        out["header"].notna(), out["value"].fillna("")
    )
    text = out["text"].fillna("")
    out["detail"] = (where + " " + checked + " " + text).str.split().str.join(" ")
    out["relay"] = where.where(where != "", pd.NA)
    return out


def _auth(a: pd.DataFrame) -> pd.DataFrame:
    out = a.copy()
    out.insert(1, "table", "auth_failures")
    out["event"] = "auth failure " + out["sasl_method"].fillna("")
    out["detail"] = out["reason"]
    return out


def _join(frame: pd.DataFrame, fields: list[tuple[str, str]]) -> pd.Series:
    parts = []
    for col, label in fields:
        if col in frame.columns:
            values = frame[col].astype("str")
            parts.append((label + values).where(frame[col].notna(), ""))
    if not parts:
        return pd.Series("", index=frame.index, dtype="str")
    text = parts[0]
    for p in parts[1:]:
        text = text.str.cat(p, sep=" ")
    return text.str.split().str.join(" ")


# --- read from a window (`analyzer.dataset.reading.Window`) ----------------------------------------


def check_target(
    queue_id: str | None, sender: str | None, identity: str | None, client_ip: str | None
) -> None:
    """What `api.trace` is asked to follow: exactly one of them, an identity as kind:value."""
    given = [v for v in (queue_id, sender, identity, client_ip) if v is not None]
    if len(given) != 1:
        raise AnalyzerError(
            "trace needs exactly one of a queue id, --sender, --identity or --client-ip"
        )
    if identity is not None and ":" not in identity:
        raise AnalyzerError(
            f"identity {identity!r} is not kind:value "
            "(sasl:<user>, uid:<n>, user:<login>, ip:<address>)"
        )


def trace_in(
    win,
    queue_id: str | None = None,
    sender: str | None = None,
    identity: str | None = None,
    client_ip: str | None = None,
) -> pd.DataFrame:
    """`trace` of the window's rows matching the one of `queue_id`, `sender`, `identity`,
    `client_ip` given (checked by the caller)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # Cut each table down in Arrow to the rows that can match (a superset of what
    # `trace` selects) before converting to pandas: a week of every column is big.
    kind, _, value = (identity or "").partition(":")

    def equal(column, wanted):
        return lambda t: pc.fill_null(pc.equal(t[column], wanted), False)

    if queue_id is not None:
        chain = chain_in(win, queue_id)

        def m_where(t):
            return pc.fill_null(pc.is_in(t["queue_id"], value_set=chain), False)
    elif sender is not None:
        want = "" if sender.strip() in ("", "<>") else sender.strip().strip("<>").lower()

        def m_where(t):
            return pc.fill_null(pc.equal(pc.utf8_lower(t["sender"]), want), False)
    elif identity is not None:
        m_where = equal("identity", identity)
    else:
        m_where = equal("client_ip", client_ip)
    msgs = win.read("messages", None, where=m_where)
    queue_ids = pa.array(
        sorted(
            set(msgs["queue_id"].dropna().unique().tolist())
            | (set(chain.to_pylist()) if queue_id else set())
        ),
        pa.string(),
    )

    def same_queue(t):
        return pc.fill_null(pc.is_in(t["queue_id"], value_set=queue_ids), False)

    def d_where(t):
        keep = same_queue(t)
        return pc.or_(keep, equal("identity", identity)(t)) if identity is not None else keep

    def r_where(t):
        keep = same_queue(t)
        if sender is not None:
            keep = pc.or_(keep, m_where(t))
        if kind == "sasl" or client_ip is not None or kind == "ip":
            ip = client_ip if client_ip is not None else value
            keep = pc.or_(keep, equal("sasl_username" if kind == "sasl" else "client_ip", ip)(t))
        return keep

    rejects = win.read("rejects", None, where=r_where)
    dels_until = win.hi  # a message of the window is delivered until its last line
    if dels_until is not None and len(msgs) and msgs["last_seen"].notna().any():
        from datetime import timedelta

        last = msgs["last_seen"].max().to_pydatetime() + timedelta(microseconds=1)
        dels_until = max(dels_until, last)
    dels = win.read("deliveries", None, until=dels_until, where=d_where)
    auth = None
    if client_ip is not None or kind in ("ip", "sasl"):
        column = "sasl_username" if kind == "sasl" else "client_ip"
        auth = win.read(
            "auth_failures",
            None,
            where=equal(column, client_ip if client_ip is not None else value),
        )

    def n_where(t):  # the diagnostics of the messages, and cleanup's notes on the client
        keep = same_queue(t)
        return pc.or_(keep, equal("client_ip", client_ip)(t)) if client_ip is not None else keep

    notices = win.read("notices", None, until=dels_until, where=n_where)
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


def chain_in(win, queue_id: str):
    """The queue ids linked to `queue_id` through content filters (`filter_of`), read hop by
    hop: an original, its re-injection by amavis, a second filter's, ..."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chain = {queue_id}
    for _ in range(8):  # a real chain has one or two hops
        ids = pa.array(sorted(chain), pa.string())

        def linked(t, ids=ids):  # this turn's ids, bound explicitly (bugbear B023)
            return pc.fill_null(
                pc.or_(
                    pc.is_in(t["queue_id"], value_set=ids), pc.is_in(t["filter_of"], value_set=ids)
                ),
                False,
            )

        rows = win.read("messages", ["queue_id", "filter_of"], where=linked)
        grown = chain | set(rows["queue_id"].dropna()) | set(rows["filter_of"].dropna())
        if grown == chain:
            break
        chain = grown
    return pa.array(sorted(chain), pa.string())
