"""Rows of what a checkpoint still holds open: messages not yet removed, PHP entries not
yet joined. The correlator writes the same rows when it closes them; reports read these
for the newest commit, so a long-deferred message counts before it is finished."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..identity import identity_of
from . import checkpoint


def message_row(msg: dict, complete: bool) -> dict:
    """The open message dict becomes its row (the writer takes only schema columns)."""
    if msg["origin"] == "unknown" and msg["sender"] == "":
        msg["origin"] = "bounce"  # MTA-generated: no client, no pickup, null sender
    msg["identity"] = identity_of(msg)
    msg["complete"] = complete
    return msg


def open_message_rows(messages: Iterable[dict]) -> list[dict]:
    """Rows for open messages (`checkpoint.MESSAGES` entries; `complete` = False, but a
    message whose `removed` line was seen counts as complete)."""
    return [message_row(dict(m), complete=m["removed_at"] is not None) for m in messages]


_ROW_FIELDS = ("ts", "host", "script_path", "script_line", "recipient", "subject", "uid", "user")


def php_fields(entry: dict) -> dict:
    """The `php_mail` row's own fields of an entry (a join adds the message's)."""
    return {k: entry[k] for k in _ROW_FIELDS}


def pending_php_rows(entries: Iterable[dict]) -> list[dict]:
    """Rows for the PHP mail.log entries still held (`checkpoint.PHP` entries) that are
    not matched yet."""
    rows = []
    for entry in entries:
        if not entry["claimed"]:
            row = php_fields(entry)
            row["identity"] = identity_of(row)
            rows.append(row)
    return rows


# Tables whose latest rows may still be held open by the correlator: the open-state part
# that holds them, and the function that turns its entries into rows.
CARRIED: dict[str, tuple[checkpoint.Part, Callable[[Iterable[dict]], list[dict]]]] = {
    "messages": (checkpoint.MESSAGES, open_message_rows),
    "php_mail": (checkpoint.PHP, pending_php_rows),
}
