"""What a trace reads, picks and shows, shared by both implementations (pandas in
`reports.trace`, the API's; Arrow in `reports.arrow.trace`, the CLI's): the leading
columns and the order of the tables at one time, the target checks, the sender's key,
the content-filter chain, the queue a reject or notice belongs to, the text of each
row's `event` and `detail`, and `tables_in`, the rows of a window that can match. Imports
neither pandas nor pyarrow at load time (the CLI path of `trace` must not import pandas)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from ..errors import AnalyzerError
from .spec import NULL_SENDER

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
TABLE_ORDER = {"messages": 0, "notices": 1, "deliveries": 2, "rejects": 3, "auth_failures": 4}
# a message's `detail`: these columns, each as label + value when it has one
MESSAGE_DETAIL = [
    ("filter_of", "filter_of="),
    ("size", "size="),
    ("nrcpt", "nrcpt="),
    ("sent", "sent="),
    ("deferred", "deferred="),
    ("bounced", "bounced="),
    ("script", "script="),
]
NOTICE_COLUMNS = ["relay_name", "relay_ip", "header", "value", "text"]


def check_one(
    queue_id: str | None, sender: str | None, identity: str | None, client_ip: str | None
) -> None:
    """What `trace` (either) is asked to follow: exactly one of them."""
    given = [v for v in (queue_id, sender, identity, client_ip) if v is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of queue_id, sender, identity, client_ip")


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


def sender_key(sender: str) -> str:
    """The envelope sender asked for as `spec.address_key` gives the rows' senders:
    case-insensitive, without angle brackets; `<>` or nothing is the null sender."""
    return NULL_SENDER if sender.strip() in ("", "<>") else sender.strip().strip("<>").lower()


def chain_of(links: Iterable[tuple], queue_id: str) -> set:
    """`queue_id` and the queue ids linked to it through content filters: `links` are the
    (queue_id, filter_of) pairs of re-injected messages; the original, the messages the
    filter re-injected, and theirs (amavis after a DKIM instance), whichever was asked."""
    pairs = list(links)
    chain = {queue_id}
    grown = True
    while grown:
        grown = False
        for child, parent in pairs:
            if (child in chain) != (parent in chain):
                chain.update((child, parent))
                grown = True
    return chain


def same_queue(message_keys: Iterable[tuple], row_keys: Iterable[tuple]) -> list[bool]:
    """Which rows (a reject, a notice) belong to one of the messages: the same (host,
    queue_id), a missing value matching a missing one (the callers give None for it)."""
    keys = set(message_keys)
    return [key in keys for key in row_keys]


def collapsed(text: str) -> str:
    """Runs of whitespace (Python's: `str.split`) as one space, none at the ends."""
    return " ".join(text.split())


def message_event(origin: str | None, filter_of: str | None) -> str:
    event = (origin if origin is not None else "unknown") + " message"
    # a content filter handed the message back as this one
    return event if filter_of is None else "re-injected " + event


def message_detail(labels: list[str], values: Iterable) -> str:
    """A message's `detail`: each of its values of the `MESSAGE_DETAIL` columns (whose
    `labels` are given, in order) as label + value when present, whitespace collapsed."""
    return collapsed(
        " ".join("" if v is None else label + str(v) for label, v in zip(labels, values))
    )


def message_detail_of(columns: list[str]) -> list[tuple[str, str]]:
    """The (column, label) of `MESSAGE_DETAIL` that a table of messages has."""
    return [(c, label) for c, label in MESSAGE_DETAIL if c in columns]


def notice_text(
    relay_name: str | None,
    relay_ip: str | None,
    header: str | None,
    value: str | None,
    text: str | None,
) -> tuple[str | None, str]:
    """A notice's `relay` (name[ip], when it names a relay's IP) and `detail`: where,
    the header checked with its value (or the value alone), the text."""
    where = "" if relay_ip is None else f"{relay_name or ''}[{relay_ip}]"
    checked = (value or "") if header is None else f"{header}: {value or ''}"
    return (where or None), collapsed(f"{where} {checked} {text or ''}")


def reject_event(stage: str | None, reason_class: str | None) -> str:
    return f"reject {stage or ''} {reason_class or ''}"


def auth_event(sasl_method: str | None) -> str:
    return f"auth failure {sasl_method or ''}"


# --- read from a window (`analyzer.dataset.reading.Window`) ----------------------------------


class Tables(NamedTuple):
    """What a trace reads of a window, as Arrow tables (`auth_failures`: None when the
    target cannot have any)."""

    messages: object
    deliveries: object
    rejects: object
    auth_failures: object
    notices: object


def tables_in(
    win,
    queue_id: str | None = None,
    sender: str | None = None,
    identity: str | None = None,
    client_ip: str | None = None,
) -> Tables:
    """The window's rows that can match the one of `queue_id`, `sender`, `identity`,
    `client_ip` given (checked by the caller), every column, as Arrow: a superset of what
    `trace` selects, cut down where they are read (a week of every column is big)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .arrow.common import after, distinct

    kind, _, value = (identity or "").partition(":")

    def equal(column, wanted):
        return lambda t: pc.fill_null(pc.equal(t[column], wanted), False)

    if queue_id is not None:
        chain = chain_in(win, queue_id)

        def m_where(t):
            return pc.fill_null(pc.is_in(t["queue_id"], value_set=chain), False)
    elif sender is not None:
        key = sender_key(sender)
        want = "" if key == NULL_SENDER else key

        def m_where(t):
            return pc.fill_null(pc.equal(pc.utf8_lower(t["sender"]), want), False)
    elif identity is not None:
        m_where = equal("identity", identity)
    else:
        m_where = equal("client_ip", client_ip)
    msgs = win.arrow("messages", None, where=m_where)
    queue_ids = pa.array(
        sorted(set(distinct(msgs["queue_id"])) | (set(chain.to_pylist()) if queue_id else set())),
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

    rejects = win.arrow("rejects", None, where=r_where)
    dels_until = win.hi  # a message of the window is delivered until its last line
    last = after(msgs["last_seen"]) if msgs.num_rows else None
    if dels_until is not None and last is not None:
        dels_until = max(dels_until, last)
    dels = win.arrow("deliveries", None, until=dels_until, where=d_where)
    auth = None
    if client_ip is not None or kind in ("ip", "sasl"):
        column = "sasl_username" if kind == "sasl" else "client_ip"
        auth = win.arrow(
            "auth_failures",
            None,
            where=equal(column, client_ip if client_ip is not None else value),
        )

    def n_where(t):  # the diagnostics of the messages, and cleanup's notes on the client
        keep = same_queue(t)
        return pc.or_(keep, equal("client_ip", client_ip)(t)) if client_ip is not None else keep

    notices = win.arrow("notices", None, until=dels_until, where=n_where)
    return Tables(msgs, dels, rejects, auth, notices)


def chain_in(win, queue_id: str):
    """The queue ids linked to `queue_id` through content filters (`filter_of`), read hop by
    hop: an original, its re-injection by amavis, a second filter's, ..."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .arrow.common import distinct

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

        rows = win.arrow("messages", ["queue_id", "filter_of"], where=linked)
        grown = chain | set(distinct(rows["queue_id"])) | set(distinct(rows["filter_of"]))
        if grown == chain:
            break
        chain = grown
    return pa.array(sorted(chain), pa.string())
