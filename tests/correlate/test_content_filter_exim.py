"""Exim content filters: a spam-scanner router whose pipe transport re-injects the message
(`exim -oMr spam-scanned -bS`: `<= ... U=Debian-exim P=spam-scanned`), and amavis on
127.0.0.1:10024 re-injecting on 10025 (Exim's reply names the new message id). Either way
one message, charged to the submitter, whose re-injection's bounces count against it."""

import os
from datetime import datetime

from helpers import ingest, table

from analyzer import api

# Exim 4.9x main log (log_selector defaults plus +received_recipients off), the router of
# the classic spamassassin howto: spamcheck_router -> T=spamcheck (pipe, use_bsmtp)
SCANNER_ROUTER = """\
2026-11-26 10:00:00 1vAbCd-00000X-Q1 <= anna@shop.example H=client.example.net [198.51.100.7]:50122 I=[10.0.0.1]:587 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_login:anna@shop.example S=2345 id=abc123@shop.example
2026-11-26 10:00:01 1vAbCe-00000Y-R2 <= anna@shop.example U=Debian-exim P=spam-scanned S=2980 id=abc123@shop.example
2026-11-26 10:00:01 1vAbCd-00000X-Q1 => b@gmail.example R=spamcheck_router T=spamcheck
2026-11-26 10:00:01 1vAbCd-00000X-Q1 => c@nowhere.example R=spamcheck_router T=spamcheck
2026-11-26 10:00:01 1vAbCd-00000X-Q1 Completed
2026-11-26 10:00:03 1vAbCe-00000Y-R2 => b@gmail.example R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.example [198.51.100.27]:25 X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C="250 2.0.0 OK 1700000000 x1si - gsmtp"
2026-11-26 10:00:04 1vAbCe-00000Y-R2 ** c@nowhere.example R=dnslookup T=remote_smtp H=mx.nowhere.example [192.0.2.9]:25: SMTP error from remote mail server after RCPT TO:<c@nowhere.example>: 550 5.1.1 User unknown
2026-11-26 10:00:04 1vAbCe-00000Y-R2 Completed
2026-11-26 10:05:00 1vAbCf-00000Z-S3 <= www-data@host.example U=www-data P=local S=800 id=form-1@host.example
2026-11-26 10:05:00 1vAbCg-00000a-T4 <= www-data@host.example U=Debian-exim P=spam-scanned S=1100 id=form-1@host.example
2026-11-26 10:05:00 1vAbCf-00000Z-S3 => d@gmx.example R=spamcheck_router T=spamcheck
2026-11-26 10:05:00 1vAbCf-00000Z-S3 Completed
2026-11-26 10:05:02 1vAbCg-00000a-T4 => d@gmx.example R=dnslookup T=remote_smtp H=mx00.gmx.example [198.51.100.51]:25 C="250 2.0.0 Ok: queued as 4C1D5E2F3A"
2026-11-26 10:05:02 1vAbCg-00000a-T4 Completed
"""

# amavis in front of Exim: the smtp transport to 127.0.0.1:10024, Exim's reply on 10025
AMAVIS = """\
2026-11-26 11:00:00 1vAcAa-00001A-A1 <= max@bakery.example H=(laptop) [198.51.100.8]:40022 I=[10.0.0.1]:587 P=esmtpsa A=dovecot_plain:max@bakery.example S=1400 id=m-77@bakery.example
2026-11-26 11:00:01 1vAcAb-00001B-B2 <= max@bakery.example H=localhost [127.0.0.1]:51344 I=[127.0.0.1]:10025 P=esmtp S=2100 id=m-77@bakery.example
2026-11-26 11:00:01 1vAcAa-00001A-A1 => e@web.example R=amavis T=amavis_smtp H=127.0.0.1 [127.0.0.1]:10024 C="250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 OK id=1vAcAb-00001B-B2"
2026-11-26 11:00:01 1vAcAa-00001A-A1 Completed
2026-11-26 11:00:02 1vAcAb-00001B-B2 => e@web.example R=dnslookup T=remote_smtp H=mx-ha03.web.example [198.51.100.52]:25 C="250 2.0.0 Ok: queued as 9F8E7D6C5B"
2026-11-26 11:00:02 1vAcAb-00001B-B2 Completed
"""


def _run(tmp_path, text):
    log = tmp_path / "exim_mainlog"
    log.write_text(text)
    stamp = datetime(2026, 11, 27).timestamp()
    os.utime(log, (stamp, stamp))
    data = tmp_path / "data"
    ingest([log], data, host="mx1")
    return table(data, "messages").set_index("queue_id"), table(data, "deliveries"), data


def test_spam_scanner_router_reinjection_is_one_message(tmp_path):
    messages, deliveries, data = _run(tmp_path, SCANNER_ROUTER)
    again = messages.loc["1vAbCe-00000Y-R2"]
    assert (again.filter_of, again.identity, again.origin) == (
        "1vAbCd-00000X-Q1",
        "sasl:anna@shop.example",
        "sasl",
    )
    local = messages.loc["1vAbCg-00000a-T4"]
    assert (local.filter_of, local.identity, local.origin) == (
        "1vAbCf-00000Z-S3",
        "user:www-data",
        "local",
    )
    hops = deliveries[deliveries.queue_id.isin(["1vAbCd-00000X-Q1", "1vAbCf-00000Z-S3"])]
    assert set(hops.status) == {"filtered"} and len(hops) == 3
    top = api.top_senders(data=data, since="all").set_index("identity")
    assert "user:Debian-exim" not in top.index
    anna = top.loc["sasl:anna@shop.example"]
    assert (anna.messages, anna.recipients, anna.sent, anna.bounced) == (1, 2, 1, 1)
    assert top.loc["user:www-data"].messages == 1


def test_amavis_in_front_of_exim(tmp_path):
    messages, deliveries, data = _run(tmp_path, AMAVIS)
    again = messages.loc["1vAcAb-00001B-B2"]
    assert (again.filter_of, again.identity, again.client_ip) == (
        "1vAcAa-00001A-A1",
        "sasl:max@bakery.example",
        "198.51.100.8",
    )
    status = deliveries.set_index("queue_id").status.to_dict()
    assert status == {"1vAcAa-00001A-A1": "filtered", "1vAcAb-00001B-B2": "sent"}
    top = api.top_senders(data=data, since="all")
    assert top.identity.tolist() == ["sasl:max@bakery.example"]
    assert (top.messages[0], top.sent[0]) == (1, 1)


def test_exim_testsuite_scanned_ok_resubmission(corpora, tmp_path):
    """The real exim binary (its test suite): a pipe transport re-submits the message with
    `-oMr scanned-ok`; the original had no Message-ID header, so Exim named the copy
    `E<original id>@host`."""
    lines = (corpora / "exim-testsuite" / "lines.log").read_text().splitlines()
    i = lines.index(
        next(
            ln
            for ln in lines
            if "10HmaY-000000005vi-0000 <= CALLER@test.ex U=CALLER P=scanned-ok" in ln
        )
    )
    messages, deliveries, data = _run(tmp_path, "\n".join(lines[i - 1 : i + 5]) + "\n")
    again = messages.loc["10HmaY-000000005vi-0000"]
    assert (again.filter_of, again.identity) == ("10HmaX-000000005vi-0000", "user:CALLER")
    status = deliveries.set_index("queue_id").status.to_dict()
    assert status == {"10HmaX-000000005vi-0000": "filtered", "10HmaY-000000005vi-0000": "sent"}
    assert api.top_senders(data=data, since="all").messages.tolist() == [1]
