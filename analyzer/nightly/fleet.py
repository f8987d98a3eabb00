"""The nightly report across hosts: which hosts each incident's subject was seen on (one
SASL login or client IP on several servers is one incident naming them), and the fleet
section, one row per host (messages out, incidents, top identity), when the window has
more than one host.

Reads through the report's `Window`, as `model.build` does; the reports themselves count
fleet-wide, so nothing here changes a number, only says where.
"""

from __future__ import annotations

from collections import Counter

from ..reports.incidents import Incident, on_hosts

# incident kind -> the tables (and the column of each) its subject is looked up in
SUBJECT_COLUMNS = {
    "sasl_account": [("messages", "sasl_username")],
    "auth_brute_force": [("auth_failures", "client_ip")],
    "relay_spike": [("rejects", "client_ip"), ("rejects", "sender")],
}
UNITS = {"sasl_account": "messages", "auth_brute_force": "failures", "relay_spike": "rejects"}
FLEET_COLUMNS = ["host", "messages", "incidents", "top_identity", "top_identity_messages"]


def name_hosts(win, incidents: list[Incident]) -> None:
    """Give each incident of a kind in SUBJECT_COLUMNS the hosts its subject is active on
    in the window, by its rows on each (`incidents.on_hosts`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted: dict[tuple[str, str], set[str]] = {}
    for inc in incidents:
        for place in SUBJECT_COLUMNS.get(inc.kind, []):
            wanted.setdefault(place, set()).add(inc.subject)
    seen: dict[tuple[str, str], dict[str, Counter[str]]] = {}
    for (name, column), values in wanted.items():
        keys = pa.array(sorted(values), type=pa.string())
        extra = ["filter_of"] if name == "messages" else []  # a filter's re-injection: once

        def where(t, c=column, k=keys):
            mask = pc.fill_null(pc.is_in(t[c], value_set=k), False)
            return (
                pc.and_(mask, pc.is_null(t["filter_of"])) if "filter_of" in t.column_names else mask
            )

        rows = win.read(name, ["host", column, *extra], where=where)
        found: dict[str, Counter[str]] = {}
        for host, value in zip(rows["host"], rows[column]):
            if isinstance(host, str) and host:
                found.setdefault(value, Counter())[host] += 1
        seen[(name, column)] = found
    for inc in incidents:
        places = SUBJECT_COLUMNS.get(inc.kind)
        if places:
            activity: Counter[str] = Counter()
            for place in places:
                activity.update(seen[place].get(inc.subject, Counter()))
            on_hosts(inc, dict(activity), UNITS[inc.kind])


def fleet_table(win, hosts: list[str], incidents: list[Incident], hosted_domains=()):
    """One row per host (FLEET_COLUMNS): its outgoing messages, the incidents whose
    subject it saw, its top identity and that identity's messages.
    The scope's hosted domains are the fleet's (a customer may move between servers)."""
    import pandas as pd

    from ..reports import common
    from ..reports import senders as senders_report

    msgs = win.read("messages", senders_report.message_columns("identity"))
    dels = win.deliveries_of(msgs, senders_report.delivery_columns(msgs))
    hosted = common.hosted_domains(dels, msgs["sasl_username"], hosted_domains)
    rows = []
    for host in hosts:
        top = senders_report.top_senders(
            msgs[msgs["host"] == host], dels[dels["host"] == host], "identity", "outgoing", hosted
        )
        rows.append(
            {
                "host": host,
                "messages": int(top["messages"].sum()) if len(top) else 0,
                "incidents": sum(host in inc.hosts for inc in incidents),
                "top_identity": str(top["identity"].iloc[0]) if len(top) else None,
                "top_identity_messages": int(top["messages"].iloc[0]) if len(top) else 0,
            }
        )
    return pd.DataFrame(rows, columns=FLEET_COLUMNS)
