"""What an auth-failures report reads and gives back, as plain constants: the `--by`
keys, the columns it reads and returns, the name of an unlogged login. Both
implementations (pandas in `reports.auth`, Arrow in `reports.arrow.auth`) use them, so
this module imports nothing heavy."""

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
