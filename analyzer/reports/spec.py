"""What a top-senders report is asked for and gives back, as plain constants: the `--by`
keys, the scopes, the columns it reads and returns. Both implementations (pandas in
`reports.senders`, Arrow in `reports.arrow.senders`) and the CLI use them, so this module
imports nothing heavy (the CLI path of `top-senders` must not import pandas)."""

from __future__ import annotations

from ..errors import AnalyzerError

# --by value -> the key columns of the result
BY = {
    "identity": ["identity"],
    "sasl": ["sasl_username"],
    "uid": ["uid"],
    "script": ["uid", "script"],
    "sender": ["sender"],
    "sender-domain": ["sender_domain"],
    "client-ip": ["client_ip"],
    "host": ["host"],
}
SCOPES = ("outgoing", "inbound", "all")

MESSAGE_COLUMNS = [
    "first_seen",
    "last_seen",
    "host",
    "queue_id",
    "identity",
    "origin",
    "sasl_username",
    "uid",
    "script",
    "client_ip",
    "sender",
    "nrcpt",
    "sent",
    "deferred",
    "bounced",
    "expired",
    "filter_of",
    "bounce_of",
]
DELIVERY_COLUMNS = [
    "host",
    "queue_id",
    "message_first_seen",
    "program",
    "status",
    "recipient",
    "recipient_domain",
]

# the figures of each row, after its key columns
COLUMNS = [
    "messages",
    "share",
    "recipients",
    "recipient_domains",
    "sent",
    "deferred",
    "bounced",
    "bounce_rate",
    "expired",
    "client_ips",
    "first_seen",
    "last_seen",
    "peak_hour_messages",
]
COUNTERS = ["sent", "deferred", "bounced", "expired"]

# Postfix delivery agents that deliver on this server (mailbox, maildir, LMTP to Dovecot,
# pipe to a command): the recipient domains they deliver for are hosted here.
LOCAL_TRANSPORTS = frozenset({"local", "virtual", "lmtp", "pipe"})

MESSAGE_KEY = ["host", "queue_id", "first_seen"]
DELIVERY_KEY = ["host", "queue_id", "message_first_seen"]

NULL_SENDER = "<>"


def check_by(by: str) -> list[str]:
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    return BY[by]


def check_choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise AnalyzerError(f"{name} must be one of {', '.join(map(str, allowed))}, not {value!r}")


def message_columns(by: str) -> list[str]:
    """The `messages` columns a top-senders report (or its timeline) needs for `by` (fewer
    columns: less to read and convert)."""
    check_by(by)
    keys = {
        "uid": ["uid"],
        "script": ["uid", "script"],
        "sender": ["sender"],
        "sender-domain": ["sender"],
    }.get(by, [])
    base = [c for c in MESSAGE_COLUMNS if c not in ("uid", "script", "sender")]
    return base + keys  # identity always: the scope needs it (backscatter)


def address_key(value: str) -> str:
    """An address as a grouping key: lower-cased; the null sender (empty) becomes `<>`."""
    return value.lower() if value else NULL_SENDER


def domain_key(value: str) -> str | None:
    """An address's lower-cased domain; `<>` for the null sender, None for a bare login."""
    if not value:
        return NULL_SENDER
    local, at, domain = value.lower().rpartition("@")
    return domain if at else None


def is_local_agent(program) -> bool:
    """A delivery program that delivers on this server (`postfix/lmtp`, `virtual`...)."""
    return str(program).rpartition("/")[2] in LOCAL_TRANSPORTS


def hosted_from(explicit, local_domains, logins) -> frozenset[str]:
    """The hosted domains: `explicit` ones (`--hosted-domain`), the distinct recipient
    domains of local deliveries, and the domains of the distinct SASL `logins` that are
    addresses (both implementations of the reports call this with what they found)."""
    found = {d.strip().lower().lstrip("@") for d in explicit if d and d.strip()}
    found.update(str(d).lower() for d in local_domains)
    for login in logins:
        login = str(login).lower()
        if "@" in login:
            found.add(login.rpartition("@")[2])
    found.discard(NULL_SENDER)
    found.discard("")
    return frozenset(found)
