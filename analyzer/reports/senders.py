"""Top senders: who sent the most mail in a window, with the signs of a stolen account
(many client IPs, many recipient domains, a high bounce rate, a burst in one hour).

Scope (which messages count, see `docs/reports.md`):

- `outgoing` (default): authenticated (`sasl`) and local (`local`) submissions, plus
  unauthenticated SMTP messages relayed to at least one recipient outside the hosted
  domains (a permitted network, an alias forwarding to a mailbox provider). Inbound mail
  from the internet for hosted mailboxes is not outgoing and would otherwise crowd local
  senders off the top of the list;
- `inbound`: unauthenticated SMTP messages for hosted domains only;
- `all`: every message, bounces and messages begun before the logs included.
"""

from __future__ import annotations

import pandas as pd

from .common import (
    address_key,
    auto_bucket,
    check_bucket,
    domain_key,
    is_original,
    link,
    per_bucket,
    tally,
)
from .common import hosted_domains as hosted_domains_of
from .spec import (  # noqa: F401  (BY, SCOPES, message_columns: part of this module's API)
    BY,
    COLUMNS,
    DELIVERY_COLUMNS,
    MESSAGE_COLUMNS,
    SCOPES,
    check_by,
    message_columns,
)


def delivery_columns(messages: pd.DataFrame) -> list[str]:
    """The `deliveries` columns needed: recipients only to count those of messages whose
    queue-manager line (nrcpt) is missing."""
    if messages["nrcpt"].isna().any():
        return DELIVERY_COLUMNS
    return [c for c in DELIVERY_COLUMNS if c != "recipient"]


def scope_mask(
    msgs: pd.DataFrame, dels: pd.DataFrame, scope: str, hosted: frozenset[str]
) -> pd.Series:
    """Which of the (linked) messages belong to `scope`."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if scope == "all":
        return pd.Series(True, index=msgs.index)
    dom = dels["recipient_domain"]  # lower-cased by the correlator
    leaving = dels.loc[dom.notna() & ~dom.isin(list(hosted)), "_m"].unique()
    relayed = msgs["_m"].isin(leaving)
    smtp = (msgs["origin"] == "smtp").fillna(False)
    if scope == "inbound":
        return (smtp & ~relayed).astype(bool)
    submitted = msgs["origin"].isin(["sasl", "local"]).fillna(False)
    # backscatter: a non-delivery notice for a message of an identity, leaving the server
    charged = (
        (msgs["origin"] == "bounce") & msgs["bounce_of"].notna() & msgs["identity"].notna()
    ).fillna(False)
    return (submitted | ((smtp | charged) & relayed)).astype(bool)


def with_keys(msgs: pd.DataFrame, by: str) -> tuple[pd.DataFrame, list[str]]:
    """Messages with the grouping columns of `by`, rows without a key dropped (for
    `script`: local submissions, grouped by uid and script; a missing script is a group)."""
    keys = check_by(by)
    if by == "sender":
        msgs = msgs.assign(sender=address_key(msgs["sender"]))
    elif by == "sender-domain":
        msgs = msgs.assign(sender_domain=domain_key(msgs["sender"]))
    need = ["uid"] if by == "script" else keys
    present = msgs[need].notna().all(axis=1)
    return msgs[present], keys


def top_senders(
    messages: pd.DataFrame,
    deliveries: pd.DataFrame,
    by: str = "identity",
    scope: str = "outgoing",
    hosted: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """One row per sender (the `by` key) of the messages in `scope`, most messages first.

    `messages`: rows of the `messages` table (MESSAGE_COLUMNS); `deliveries`: rows of
    `deliveries` (DELIVERY_COLUMNS) that may belong to them; `hosted`: the hosted domains.
    """
    keys = check_by(by)
    msgs, dels = link(messages, deliveries, DELIVERY_COLUMNS)
    msgs = msgs[scope_mask(msgs, dels, scope, hosted)]
    # a content filter's re-injection is the same message: counted once (the original),
    # while its deliveries and bounces add to the counters of the identity it took over
    msgs = msgs.assign(_orig=is_original(msgs).astype("int64"))
    total = int(msgs["_orig"].sum())
    msgs, keys = with_keys(msgs, by)
    if not msgs["_orig"].any():
        return _empty(keys)

    out = tally(
        msgs,
        dels,
        keys,
        ["sent", "deferred", "bounced", "expired"],
        {"client_ips": ("client_ip", "nunique")},
    )
    return shaped(out, keys, total)


def shaped(out: pd.DataFrame, keys: list[str], total: int) -> pd.DataFrame:
    """The final table of a tally (`common.tally`'s columns, indexed by `keys`) of
    `total` messages in the scope: shares, integer columns, most messages first."""
    out["share"] = out["messages"] / total
    out = out.reset_index()
    for col in (
        "messages",
        "recipients",
        "sent",
        "deferred",
        "bounced",
        "expired",
        "client_ips",
        "peak_hour_messages",
    ):
        out[col] = out[col].astype("int64")
    out = out.sort_values(
        ["messages"] + keys,
        ascending=[False] + [True] * len(keys),
        kind="stable",
        na_position="last",
    )
    return out[keys + COLUMNS].reset_index(drop=True)


def timeline(
    messages: pd.DataFrame,
    deliveries: pd.DataFrame,
    by: str,
    scope: str,
    hosted: frozenset[str],
    keys: list | None,
    bucket: str,
) -> pd.DataFrame:
    """Messages per `bucket` for each sender: columns `bucket`, `key` (the sender as text),
    `messages`. `keys`: the senders to keep (values of the key column, or (uid, script)
    tuples for `by="script"`); None keeps every sender."""
    msgs, dels = link(messages, deliveries, DELIVERY_COLUMNS)
    msgs = msgs[scope_mask(msgs, dels, scope, hosted)]
    msgs = msgs[is_original(msgs)]  # a content filter's re-injection is not another message
    span = (msgs["first_seen"].min(), msgs["first_seen"].max()) if len(msgs) else None
    msgs, key_cols = with_keys(msgs, by)
    label = key_label(msgs, by)
    order = None
    if keys is not None:
        order = list(dict.fromkeys(_label_of(k, by) for k in keys))
        keep = label.isin(order)
        msgs, label = msgs[keep], label[keep]
        order = [k for k in order if k in set(label)]
    if msgs.empty:
        return pd.DataFrame(
            {
                "bucket": pd.Series([], dtype="datetime64[us, UTC]"),
                "key": pd.Series([], dtype="str"),
                "messages": pd.Series([], dtype="int64"),
            }
        )
    return per_bucket(label, msgs["first_seen"], bucket, "messages", order, span)


def key_label(msgs: pd.DataFrame, by: str) -> pd.Series:
    """The `by` key of each message as one string (for charts)."""
    if by == "script":
        script = msgs["script"].astype("str").fillna("(no script)")
        return "uid " + msgs["uid"].astype("str") + ": " + script
    return msgs[BY[by][0]].astype("str")


def _label_of(key, by: str) -> str:
    if by == "script":
        uid, script = key
        return f"uid {uid}: {script if isinstance(script, str) else '(no script)'}"
    return str(key)


def _empty(keys: list[str]) -> pd.DataFrame:
    dtypes = {"uid": "Int64"}
    cols = {k: pd.Series([], dtype=dtypes.get(k, "str")) for k in keys}
    for col in COLUMNS:
        if col in ("share", "bounce_rate"):
            cols[col] = pd.Series([], dtype="float64")
        elif col in ("first_seen", "last_seen"):
            cols[col] = pd.Series([], dtype="datetime64[us, UTC]")
        else:
            cols[col] = pd.Series([], dtype="int64")
    return pd.DataFrame(cols)


# --- read from a window (`analyzer.dataset.reading.Window`) ----------------------------------------


def _read(win, by: str, hosted_domains) -> tuple[pd.DataFrame, pd.DataFrame, frozenset[str]]:
    """The window's messages, the deliveries that can belong to them, the hosted domains."""
    msgs = win.read("messages", message_columns(by))
    dels = win.deliveries_of(msgs, delivery_columns(msgs))
    return msgs, dels, hosted_domains_of(dels, msgs["sasl_username"], hosted_domains)


def top_senders_in(
    win, by: str = "identity", scope: str = "outgoing", hosted_domains=()
) -> pd.DataFrame:
    """`top_senders` of the window's messages and their deliveries. On a cluster
    (`--engine dask`) the snapshot joins them per host on its workers."""
    on_workers = getattr(win.snap, "top_senders", None)
    if on_workers is not None:
        out = on_workers(win, by, scope, hosted_domains)
        if out is not None:
            return out
    msgs, dels, hosted = _read(win, by, hosted_domains)
    return top_senders(msgs, dels, by, scope, hosted)


def timeline_in(
    win,
    by: str = "identity",
    scope: str = "outgoing",
    keys: list | None = None,
    bucket: str | None = None,
    hosted_domains=(),
) -> pd.DataFrame:
    """`timeline` of the window; `bucket` by default chosen from the messages' span."""
    msgs, dels, hosted = _read(win, by, hosted_domains)
    bucket = check_bucket(bucket or auto_bucket(msgs["first_seen"].min(), msgs["first_seen"].max()))
    return timeline(msgs, dels, by, scope, hosted, keys, bucket)
