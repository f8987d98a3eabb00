"""What an auth-failures report reads and gives back, as plain constants: the `--by`
keys, the columns it reads and returns, the name of an unlogged login. Both
implementations (pandas in `reports.auth`, Arrow in `reports.arrow.auth`) use them, so
this module imports nothing heavy; `logged_in` and `bare_auth` pick the rows
`successes` keeps where they are read (on a cluster: its workers)."""

FAILURE_COLUMNS = ["ts", "client_ip", "client_name", "sasl_username"]
BY = {"client-ip": "client_ip", "username": "sasl_username"}

COLUMNS = {
    "client-ip": [
        "client_ip",
        "client_name",
        "failures",
        "usernames",
        "top_usernames",
        "first_seen",
        "last_seen",
        "max_connection_rate",
        "max_connection_count",
        "succeeded_later",
        "succeeded_as",
        "first_success",
        "messages_after",
    ],
    "username": [
        "sasl_username",
        "failures",
        "client_ips",
        "top_clients",
        "first_seen",
        "last_seen",
        "succeeded_later",
        "succeeded_from",
        "first_success",
        "messages_after",
    ],
}
NOT_LOGGED = "(not logged)"
RATE_COLUMNS = ["client_ip", "kind", "figure", "period"]


def logged_in(arrow):
    """A SASL login that submitted a message (not a filter's re-injection of one)."""
    import pyarrow.compute as pc

    return pc.and_(
        pc.and_(pc.is_valid(arrow["sasl_username"]), pc.is_valid(arrow["client_ip"])),
        pc.is_null(arrow["filter_of"]),
    )


def bare_auth(arrow):
    """An SMTP session that authenticated and submitted nothing."""
    import pyarrow.compute as pc

    return pc.and_(
        pc.and_(
            pc.greater(pc.fill_null(arrow["auth_ok"], 0), 0),
            pc.equal(pc.fill_null(arrow["messages"], 0), 0),
        ),
        pc.is_valid(arrow["client_ip"]),
    )
