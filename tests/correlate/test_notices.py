"""Every queue id and IP a Postfix line names reaches the dataset (issue 8, point 4): a
delivery agent's diagnostics and cleanup's header/body check lines in `notices`, anvil's
statistics in `client_rates`, qmgr's `from=` without angle brackets; `trace` shows the
notices with their message, `auth-failures` and the nightly report the anvil figures."""

from datetime import datetime, timedelta

import pandas as pd

from analyzer import api

T0 = datetime(2026, 11, 26, 12, 0, 0)


def _lines(minilog):
    """A message refused by a greylisting next hop, then delivered after a TLS failure and
    PIX workarounds; a header check WARN on an inbound message; a brute-force IP that anvil
    saw hammering; a qmgr line without angle brackets."""
    qid = minilog.sasl_message(
        T0,
        "anna@shop.example",
        "192.0.2.10",
        "anna@shop.example",
        [("bob@mx.dest.example", "sent")],
    )
    at = minilog._at
    at(
        T0 + timedelta(seconds=1),
        "postfix/smtp",
        902,
        f"{qid}: host mx.dest.example[192.0.2.50] said: 450 4.7.1 <bob@mx.dest.example>: Recipient "
        "address rejected: Greylisted for 5 minutes (in reply to RCPT TO command)",
    )
    at(
        T0 + timedelta(seconds=1),
        "postfix/smtp",
        902,
        f"{qid}: Cannot start TLS: handshake failure",
    )
    at(
        T0 + timedelta(seconds=1),
        "postfix/smtp",
        902,
        f"{qid}: enabling PIX workarounds: disable_esmtp delay_dotcrlf for mx.dest.example[192.0.2.50]:25",
    )
    inbound = "5C0FFEE1A2"
    at(T0 + timedelta(minutes=2), "postfix/smtpd", 3001, f"{inbound}: client=unknown[203.0.113.9]")
    at(
        T0 + timedelta(minutes=2),
        "postfix/cleanup",
        900,
        f"{inbound}: warning: header Subject: Your invoice is ready from unknown[203.0.113.9]; "
        "from=<billing@phish.example> to=<anna@shop.example> proto=ESMTP helo=<phish.example>",
    )
    at(
        T0 + timedelta(minutes=2),
        "postfix/qmgr",
        901,
        f"{inbound}: from=billing@phish.example, size=5120, nrcpt=1 (queue active)",
    )
    at(T0 + timedelta(minutes=2, seconds=2), "postfix/qmgr", 901, f"{inbound}: removed")
    for i in range(60):
        minilog.auth_failure(T0 + timedelta(minutes=3, seconds=i), "198.51.100.66", "admin")
    at(
        T0 + timedelta(minutes=10),
        "postfix/anvil",
        777,
        "statistics: max connection rate 58/60s for (submission:198.51.100.66) at Nov 26 12:03:30",
    )
    at(
        T0 + timedelta(minutes=10),
        "postfix/anvil",
        777,
        "statistics: max connection count 12 for (submission:198.51.100.66) at Nov 26 12:03:41",
    )
    at(
        T0 + timedelta(minutes=10),
        "postfix/anvil",
        777,
        "statistics: max cache size 3 at Nov 26 12:03:41",
    )
    return qid, inbound


def test_notices_carry_queue_id_relay_and_client(minilog, tmp_path):
    qid, inbound = _lines(minilog)
    data = minilog.ingest(tmp_path)
    notices = api.table("notices", data=data).sort_values(["ts", "kind"]).reset_index(drop=True)
    mine = notices[notices["queue_id"] == qid].set_index("kind")
    assert set(mine.index) == {"reply", "tls_failed", "pix_workarounds"}
    assert (
        mine.loc["reply", "relay_name"],
        mine.loc["reply", "relay_ip"],
        mine.loc["reply", "command"],
    ) == ("mx.dest.example", "192.0.2.50", "RCPT TO")
    assert mine.loc["reply", "text"].startswith(
        "450 4.7.1 <bob@mx.dest.example>: Recipient address"
    )
    assert mine.loc["tls_failed", "text"] == "Cannot start TLS: handshake failure"
    assert mine.loc["pix_workarounds", "relay_ip"] == "192.0.2.50"
    (check,) = notices[notices["queue_id"] == inbound].itertuples()
    assert (check.kind, check.action, check.header, check.value) == (
        "header",
        "warning",
        "Subject",
        "Your invoice is ready",
    )
    assert (
        check.client_name,
        check.client_ip,
        check.sender,
        check.recipient,
        check.proto,
        check.helo,
    ) == (
        "unknown",
        "203.0.113.9",
        "billing@phish.example",
        "anna@shop.example",
        "ESMTP",
        "phish.example",
    )
    message = api.table("messages", data=data).set_index("queue_id").loc[inbound]
    assert (message["sender"], message["size"], message["nrcpt"]) == (
        "billing@phish.example",
        5120,
        1,
    )


def test_trace_shows_the_notices_with_their_message(minilog, tmp_path):
    qid, inbound = _lines(minilog)
    data = minilog.ingest(tmp_path)
    rows = api.trace(qid, data=data)
    assert list(rows["table"]) == ["messages", "notices", "notices", "notices", "deliveries"]
    notes = rows[rows["table"] == "notices"].set_index("event")
    assert notes.loc["reply", "relay"] == "mx.dest.example[192.0.2.50]"
    assert "Greylisted for 5 minutes" in notes.loc["reply", "detail"]
    by_sender = api.trace(sender="anna@shop.example", data=data)
    assert (by_sender["table"] == "notices").sum() == 3
    by_ip = api.trace(client_ip="203.0.113.9", data=data)
    assert (
        "Subject: Your invoice is ready" in by_ip.loc[by_ip["table"] == "notices", "detail"].iloc[0]
    )


def test_anvil_figures_add_to_an_auth_brute_force(minilog, tmp_path):
    _lines(minilog)
    data = minilog.ingest(tmp_path)
    rates = api.table("client_rates", data=data).set_index("kind")
    assert set(rates.index) == {"connection_rate", "connection_count"}  # not the cache size
    assert (
        rates.loc["connection_rate", "figure"],
        rates.loc["connection_rate", "period"],
        rates.loc["connection_rate", "service"],
    ) == (58, 60, "submission")
    assert pd.isna(rates.loc["connection_count", "period"])
    row = api.auth_failures(data).set_index("client_ip").loc["198.51.100.66"]
    assert (row["failures"], row["max_connection_rate"], row["max_connection_count"]) == (
        60,
        58,
        12,
    )
    result = api.report(data, "2026-11-26", "2026-11-27", "UTC")
    (incident,) = [i for i in result.incidents if i.kind == "auth_brute_force"]
    assert "up to 58 connections a minute (anvil)" in incident.reasons
    from analyzer.nightly import html as report_html

    assert "conn./min" in report_html.render(result)
