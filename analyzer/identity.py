"""Who is accountable for a message: the one rule, shared by the correlator (rows it
writes) and the reading side (rows of messages the checkpoint still holds open)."""

from __future__ import annotations


def identity_of(msg: dict) -> str | None:
    """The accountable principal: SASL user, else local uid or login, else client IP.
    (With `--passwd`, a login and a uid of the same account were resolved to both at
    ingest, so the uid form wins for both.) A non-delivery notice the MTA made for a
    message (backscatter) is charged to that message's identity."""
    if msg.get("bounce_identity"):
        return msg["bounce_identity"]
    if msg.get("sasl_username"):
        return "sasl:" + msg["sasl_username"]
    if msg.get("uid") is not None:
        return "uid:" + str(msg["uid"])
    if msg.get("user"):
        return "user:" + msg["user"]
    if msg.get("client_ip"):
        return "ip:" + msg["client_ip"]
    return None
