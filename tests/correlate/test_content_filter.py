"""Content filters: a message handed to amavis (127.0.0.1:10024) and re-injected on 10025
as a new queue id is one message, charged to the original's identity; the hand-over is
not a delivery; the link holds across runs. Real-world lines from the lightmeter corpus,
and real-shaped lines (amavisd-new 2.11 replies, Postfix 3.x) for the edge cases."""

import os
import re
from datetime import datetime

import pandas as pd
from helpers import assert_same_dataset, ingest, table

from analyzer import api
from analyzer.dataset.store import Dataset

SCENARIOS = "lightmeter/individual_files"

# A SASL submission with two recipients: amavis re-injects it as 400643011B47, one
# recipient is delivered, one bounces. The re-injection is logged before the hand-over
# line, as on a real server (amavis gets Postfix's 250 before it replies to the hop).
SUBMISSION = """\
Jan 10 16:15:29 mail postfix/submission/smtpd[11985]: connect from client.example.net[198.51.100.7]
Jan 10 16:15:30 mail postfix/submission/smtpd[11985]: 0B73130001FB: client=client.example.net[198.51.100.7], sasl_method=PLAIN, sasl_username=anna@shop.example
Jan 10 16:15:30 mail postfix/cleanup[11989]: 0B73130001FB: message-id=<414300fb-b063@shop.example>
Jan 10 16:15:30 mail postfix/qmgr[1789]: 0B73130001FB: from=<anna@shop.example>, size=445, nrcpt=2 (queue active)
Jan 10 16:15:30 mail postfix/submission/smtpd[11985]: disconnect from client.example.net[198.51.100.7] ehlo=2 starttls=1 auth=1 mail=1 rcpt=2 data=1 quit=1 commands=9
Jan 10 16:15:30 mail postfix/smtpd[11992]: connect from localhost[127.0.0.1]
Jan 10 16:15:30 mail postfix/smtpd[11992]: 400643011B47: client=localhost[127.0.0.1]
Jan 10 16:15:30 mail postfix/cleanup[11994]: 400643011B47: message-id=<414300fb-b063@shop.example>
Jan 10 16:15:30 mail postfix/qmgr[1789]: 400643011B47: from=<anna@shop.example>, size=1157, nrcpt=2 (queue active)
Jan 10 16:15:30 mail postfix/smtpd[11992]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=2 data=1 quit=1 commands=6
Jan 10 16:15:30 mail amavis[27886]: (27886-10) Passed CLEAN {RelayedOutbound}, ORIGINATING LOCAL [198.51.100.7]:18342 [198.51.100.7] <anna@shop.example> -> <a@gmail.example>,<b@nowhere.example>, Queue-ID: 0B73130001FB, Message-ID: <414300fb-b063@shop.example>, mail_id: rOEEAACEPVgB, Hits: -1.01, size: 445, queued_as: 400643011B47, 98 ms
Jan 10 16:15:30 mail postfix/smtp[11990]: 0B73130001FB: to=<a@gmail.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.27, delays=0.15/0.01/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 400643011B47)
Jan 10 16:15:30 mail postfix/smtp[11990]: 0B73130001FB: to=<b@nowhere.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.27, delays=0.15/0.01/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 400643011B47)
Jan 10 16:15:30 mail postfix/qmgr[1789]: 0B73130001FB: removed
Jan 10 16:15:31 mail postfix/smtp[11996]: 400643011B47: to=<a@gmail.example>, relay=gmail-smtp-in.l.google.example[198.51.100.27]:25, delay=0.9, delays=0.02/0.02/0.3/0.56, dsn=2.0.0, status=sent (250 2.0.0 OK  1610295331 z6si1138927wrp.107 - gsmtp)
Jan 10 16:15:32 mail postfix/smtp[11997]: 400643011B47: to=<b@nowhere.example>, relay=mx.nowhere.example[192.0.2.9]:25, delay=1.9, delays=0/0/1.5/0.37, dsn=5.1.1, status=bounced (host mx.nowhere.example[192.0.2.9] said: 550 5.1.1 <b@nowhere.example>: Recipient address rejected: User unknown (in reply to RCPT TO command))
Jan 10 16:15:32 mail postfix/qmgr[1789]: 400643011B47: removed
"""

# A PHP site (pickup uid 1003) whose message amavis re-injects; this time syslog wrote the
# hand-over line before the re-injection's first line, and the re-injected message is
# deferred for an hour before it is delivered.
LOCAL_OUT_OF_ORDER = """\
Jan 10 16:20:00 mail postfix/pickup[28541]: 08ACF1541B01: uid=1003 from=<site1003>
Jan 10 16:20:00 mail postfix/cleanup[28690]: 08ACF1541B01: message-id=<20210110162000.08ACF1541B01@mail.example>
Jan 10 16:20:00 mail postfix/qmgr[1789]: 08ACF1541B01: from=<site1003@mail.example>, size=829, nrcpt=1 (queue active)
Jan 10 16:20:02 mail postfix/smtp[28692]: 08ACF1541B01: to=<c@gmx.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=2.1, delays=0.19/0.01/0/1.9, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as AED441541AFC)
Jan 10 16:20:02 mail postfix/smtpd[28698]: connect from localhost[127.0.0.1]
Jan 10 16:20:02 mail postfix/smtpd[28698]: AED441541AFC: client=localhost[127.0.0.1]
Jan 10 16:20:02 mail postfix/cleanup[28690]: AED441541AFC: message-id=<20210110162000.08ACF1541B01@mail.example>
Jan 10 16:20:02 mail postfix/qmgr[1789]: AED441541AFC: from=<site1003@mail.example>, size=2387, nrcpt=1 (queue active)
Jan 10 16:20:02 mail postfix/qmgr[1789]: 08ACF1541B01: removed
Jan 10 16:20:02 mail postfix/smtpd[28698]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
Jan 10 16:20:33 mail postfix/smtp[28701]: AED441541AFC: to=<c@gmx.example>, relay=none, delay=31, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to mx00.gmx.example[198.51.100.51]:25: Connection timed out)
Jan 10 17:21:40 mail postfix/qmgr[1789]: AED441541AFC: from=<site1003@mail.example>, size=2387, nrcpt=1 (queue active)
Jan 10 17:21:41 mail postfix/smtp[28790]: AED441541AFC: to=<c@gmx.example>, relay=mx00.gmx.example[198.51.100.51]:25, delay=3699, delays=3698/0.01/0.3/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4C1D5E2F3A)
Jan 10 17:21:41 mail postfix/qmgr[1789]: AED441541AFC: removed
"""

# Loopback deliveries that are *not* a filter hop: Dovecot LMTP over TCP (no queue id in
# the reply) while a Sieve redirect re-sends the message over SMTP on localhost with the
# same Message-ID, and a web application submitting over SMTP on localhost (nobody
# handed it over).
NOT_HOPS = """\
Jan 10 16:30:00 mail postfix/smtpd[3001]: connect from mail-a.example.org[203.0.113.5]
Jan 10 16:30:00 mail postfix/smtpd[3001]: 1A2B3C4D5E: client=mail-a.example.org[203.0.113.5]
Jan 10 16:30:00 mail postfix/cleanup[3002]: 1A2B3C4D5E: message-id=<in-1@example.org>
Jan 10 16:30:00 mail postfix/qmgr[1789]: 1A2B3C4D5E: from=<x@example.org>, size=900, nrcpt=1 (queue active)
Jan 10 16:30:00 mail postfix/smtpd[3001]: disconnect from mail-a.example.org[203.0.113.5] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
Jan 10 16:30:01 mail postfix/smtpd[3006]: connect from localhost[127.0.0.1]
Jan 10 16:30:01 mail postfix/smtpd[3006]: 4D5E6F7A8B: client=localhost[127.0.0.1]
Jan 10 16:30:01 mail postfix/cleanup[3002]: 4D5E6F7A8B: message-id=<in-1@example.org>
Jan 10 16:30:01 mail postfix/qmgr[1789]: 4D5E6F7A8B: from=<x@example.org>, size=1100, nrcpt=1 (queue active)
Jan 10 16:30:01 mail postfix/smtpd[3006]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
Jan 10 16:30:01 mail postfix/lmtp[3003]: 1A2B3C4D5E: to=<info@shop.example>, relay=127.0.0.1[127.0.0.1]:24, delay=0.38, delays=0.03/0.02/0.06/0.28, dsn=2.0.0, status=sent (250 2.0.0 <info@shop.example> hz3kESIo+1/dLgAAWP5 Saved)
Jan 10 16:30:01 mail postfix/qmgr[1789]: 1A2B3C4D5E: removed
Jan 10 16:30:02 mail postfix/smtp[3007]: 4D5E6F7A8B: to=<info@gmail.example>, relay=gmail-smtp-in.l.google.example[198.51.100.27]:25, delay=1, delays=0.02/0.02/0.4/0.56, dsn=2.0.0, status=sent (250 2.0.0 OK  1610296202 a1si1138927wrp.107 - gsmtp)
Jan 10 16:30:02 mail postfix/qmgr[1789]: 4D5E6F7A8B: removed
Jan 10 16:31:00 mail postfix/smtpd[3004]: connect from localhost[127.0.0.1]
Jan 10 16:31:00 mail postfix/smtpd[3004]: 2B3C4D5E6F: client=localhost[127.0.0.1]
Jan 10 16:31:00 mail postfix/cleanup[3002]: 2B3C4D5E6F: message-id=<app-1@shop.example>
Jan 10 16:31:00 mail postfix/qmgr[1789]: 2B3C4D5E6F: from=<shop@shop.example>, size=900, nrcpt=1 (queue active)
Jan 10 16:31:00 mail postfix/smtpd[3004]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
Jan 10 16:31:01 mail postfix/smtp[3005]: 2B3C4D5E6F: to=<d@web.example>, relay=mx-ha03.web.example[198.51.100.52]:25, delay=0.5, delays=0.02/0.02/0.2/0.26, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 3C4D5E6F7A)
Jan 10 16:31:01 mail postfix/qmgr[1789]: 2B3C4D5E6F: removed
"""

# An older amavisd-new whose reply names no queue id: the re-injection with the same
# Message-ID from loopback links it.
NO_QUEUE_ID_IN_REPLY = """\
Jan 10 16:40:00 mail postfix/submission/smtpd[4001]: connect from unknown[198.51.100.8]
Jan 10 16:40:00 mail postfix/submission/smtpd[4001]: 5E6F7A8B9C: client=unknown[198.51.100.8], sasl_method=LOGIN, sasl_username=max
Jan 10 16:40:00 mail postfix/cleanup[4002]: 5E6F7A8B9C: message-id=<old-amavis@bakery.example>
Jan 10 16:40:00 mail postfix/qmgr[1789]: 5E6F7A8B9C: from=<max@bakery.example>, size=700, nrcpt=1 (queue active)
Jan 10 16:40:00 mail postfix/submission/smtpd[4001]: disconnect from unknown[198.51.100.8] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6
Jan 10 16:40:01 mail postfix/smtpd[4003]: connect from localhost[127.0.0.1]
Jan 10 16:40:01 mail postfix/smtpd[4003]: 6F7A8B9C0D: client=localhost[127.0.0.1]
Jan 10 16:40:01 mail postfix/cleanup[4002]: 6F7A8B9C0D: message-id=<old-amavis@bakery.example>
Jan 10 16:40:01 mail postfix/qmgr[1789]: 6F7A8B9C0D: from=<max@bakery.example>, size=1400, nrcpt=1 (queue active)
Jan 10 16:40:01 mail postfix/smtpd[4003]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
Jan 10 16:40:01 mail postfix/smtp[4004]: 5E6F7A8B9C: to=<e@yahoo.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1.1, delays=0.1/0/0/1, dsn=2.6.0, status=sent (250 2.6.0 Ok, id=18326-04, from MTA([127.0.0.1]:10025): 250 2.0.0 Ok)
Jan 10 16:40:01 mail postfix/qmgr[1789]: 5E6F7A8B9C: removed
Jan 10 16:40:02 mail postfix/smtp[4005]: 6F7A8B9C0D: to=<e@yahoo.example>, relay=mta7.am0.yahoodns.example[198.51.100.70]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 ok dirdel)
Jan 10 16:40:02 mail postfix/qmgr[1789]: 6F7A8B9C0D: removed
"""


def _write(path, text):
    path.write_text(text)
    stamp = datetime(2021, 1, 11, 12, 0).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def _messages(tmp_path, text, name="maillog"):
    data = tmp_path / ("data-" + name)
    ingest([_write(tmp_path / name, text)], data, year=2021)
    return table(data, "messages").set_index("queue_id"), table(data, "deliveries"), data


def test_reinjected_message_is_charged_to_the_submitter(tmp_path):
    messages, deliveries, data = _messages(tmp_path, SUBMISSION)
    original, again = messages.loc["0B73130001FB"], messages.loc["400643011B47"]
    assert again.filter_of == "0B73130001FB" and pd.isna(original.filter_of)
    for msg in (original, again):
        assert (msg.identity, msg.origin, msg.client_ip) == (
            "sasl:anna@shop.example",
            "sasl",
            "198.51.100.7",
        )
    assert again.sasl_username == "anna@shop.example"
    # the hand-over is no delivery: status `filtered`, counted nowhere
    hop = deliveries[deliveries.queue_id == "0B73130001FB"]
    assert hop.status.tolist() == ["filtered", "filtered"]
    assert (original.sent, original.bounced) == (0, 0)
    assert (again.sent, again.bounced) == (1, 1)
    # the re-injection's deliveries carry the submitter's identity too
    real = deliveries[deliveries.queue_id == "400643011B47"]
    assert set(real.identity) == {"sasl:anna@shop.example"}

    top = api.top_senders(data=data, since="all")
    row = top.set_index("identity").loc["sasl:anna@shop.example"]
    assert (row.messages, row.recipients, row.sent, row.bounced) == (1, 2, 1, 1)
    assert row.bounce_rate == 0.5
    assert "ip:127.0.0.1" not in set(top.identity)


def test_hand_over_logged_first_and_deferral_across_runs(tmp_path):
    """The link waits for the re-injection's first line, across any run boundary, and the
    re-injected message stays charged while it is deferred between runs."""
    lines = LOCAL_OUT_OF_ORDER.splitlines(keepends=True)
    once = tmp_path / "once"
    ingest([_write(tmp_path / "whole", "".join(lines))], once, year=2021)
    messages = table(once, "messages").set_index("queue_id")
    again = messages.loc["AED441541AFC"]
    assert (again.identity, again.origin, again.filter_of) == ("uid:1003", "local", "08ACF1541B01")
    assert (again.sent, again.deferred) == (1, 1)
    for cut in range(1, len(lines)):
        log, data = tmp_path / f"log{cut}", tmp_path / f"data{cut}"
        ingest([_write(log, "".join(lines[:cut]))], data, year=2021)
        ingest([_write(log, "".join(lines))], data, year=2021)
        assert_same_dataset(once, data)


def test_loopback_deliveries_that_are_not_filter_hops(tmp_path):
    messages, deliveries, _ = _messages(tmp_path, NOT_HOPS)
    assert set(deliveries.status) == {"sent"}
    assert messages.filter_of.isna().all()
    assert messages.loc["1A2B3C4D5E"].sent == 1
    # the redirect and the web application on localhost are still charged to what they are
    assert messages.loc["4D5E6F7A8B"].identity == "ip:127.0.0.1"
    assert messages.loc["2B3C4D5E6F"].identity == "ip:127.0.0.1"


def test_message_id_links_when_the_reply_names_no_queue_id(tmp_path):
    messages, deliveries, data = _messages(tmp_path, NO_QUEUE_ID_IN_REPLY)
    again = messages.loc["6F7A8B9C0D"]
    assert (again.filter_of, again.identity) == ("5E6F7A8B9C", "sasl:max")
    assert deliveries.set_index("queue_id").loc["5E6F7A8B9C"].status == "filtered"
    top = api.top_senders(data=data, since="all").set_index("identity")
    assert (top.loc["sasl:max"].messages, top.loc["sasl:max"].sent) == (1, 1)


# --- real servers (lightmeter's scenario files) -------------------------------------------


def _scenario(corpora, tmp_path, name):
    data = tmp_path / "data"
    ingest([corpora / SCENARIOS / name], data, year=2020)
    return table(data, "messages").set_index("queue_id"), table(data, "deliveries"), data


def test_zimbra_two_filter_hops_are_one_message(corpora, tmp_path):
    """Zimbra: submission -> DKIM milter instance (10026 -> 10030) -> amavis (10032 ->
    10025) -> gmail: three queue ids, one message of the SASL account."""
    messages, deliveries, data = _scenario(corpora, tmp_path, "5_zimbra_amavisd.log")
    assert messages.loc["218BEDC28EC"].filter_of == "E8759DC24C3"
    assert messages.loc["33DE0DC24C3"].filter_of == "218BEDC28EC"
    chain = messages.loc[["E8759DC24C3", "218BEDC28EC", "33DE0DC24C3"]]
    assert set(chain.identity) == {"sasl:sender@sender.example.com"}
    assert set(chain.client_ip) == {"11.22.33.44"}
    assert deliveries.set_index("queue_id").status.to_dict() == {
        "E8759DC24C3": "filtered",
        "218BEDC28EC": "filtered",
        "33DE0DC24C3": "sent",
    }
    top = api.top_senders(data=data, since="all").set_index("identity")
    row = top.loc["sasl:sender@sender.example.com"]
    assert (row.messages, row.sent, row.client_ips) == (1, 1, 1)


def test_xforward_orig_queue_id_links_the_reinjection(corpora, tmp_path):
    """`client=localhost[127.0.0.1], orig_queue_id=4F5C64474F, orig_client=...`: an inbound
    message re-injected by amavis keeps its internet client."""
    messages, deliveries, _ = _scenario(corpora, tmp_path, "8_weird_log_file.log")
    again = messages.loc["ED01244770"]
    assert (again.filter_of, again.identity, again.origin) == (
        "4F5C64474F",
        "ip:28.55.140.112",
        "smtp",
    )
    # its final delivery is LMTP on loopback (127.0.0.1:2003): a delivery, not a hop
    final = deliveries[deliveries.queue_id == "ED01244770"]
    assert final.status.tolist() == ["sent"] and final.relay.tolist() == [
        "127.0.0.1[127.0.0.1]:2003"
    ]


def test_amavis_corpus_files_leave_nothing_on_loopback(corpora, tmp_path):
    """Every lightmeter scenario with amavis: each hand-over to 10024 is `filtered`, and
    each message it re-injected (`queued as`) is linked to its original and charged to
    the original's identity, never to 127.0.0.1."""
    hop = re.compile(
        r"\]: (\w+): to=.*relay=127\.0\.0\.1\[127\.0\.0\.1\]:10024,.*queued as (\w+)\)"
    )
    names = [
        "2_multiple_recipients_some_bounces.log",
        "3_local_delivery.log",
        "4_lost_queue.log",
        "6_deferred_message_retry.log",
        "9_mixed_messages.log",
        "10_pickup.log",
    ]
    linked = 0
    for name in names:
        data = tmp_path / name
        ingest([corpora / SCENARIOS / name], data, year=2020)
        messages, deliveries = table(data, "messages"), table(data, "deliveries")
        hops = deliveries[deliveries.relay.fillna("").str.endswith(":10024")]
        assert len(hops) and (hops.status == "filtered").all(), name
        by_qid = messages.drop_duplicates("queue_id", keep="last").set_index("queue_id")
        for line in (corpora / SCENARIOS / name).read_text().splitlines():
            m = hop.search(line)
            if m and m[1] in by_qid.index and m[2] in by_qid.index:
                original, again = by_qid.loc[m[1]], by_qid.loc[m[2]]
                assert again.filter_of == m[1], (name, m[2])
                # (an original that began before the log has no identity: nor has its copy)
                assert str(again.identity) == str(original.identity) != "ip:127.0.0.1", (name, m[2])
                linked += 1
    assert linked >= 8


# --- trace follows the chain ------------------------------------------------------------


def test_trace_follows_the_whole_chain_from_any_queue_id(corpora, tmp_path):
    """Zimbra's submission -> DKIM instance -> amavis -> gmail: tracing any of the three
    queue ids shows all of it, in order, the hand-overs marked `filtered`."""
    _, _, data = _scenario(corpora, tmp_path, "5_zimbra_amavisd.log")
    chain = ["E8759DC24C3", "218BEDC28EC", "33DE0DC24C3"]
    for qid in chain:
        out = api.trace(qid, data=data, since="all")
        assert out[out.table == "messages"].queue_id.tolist() == chain
        steps = out[out.table == "deliveries"]
        assert list(zip(steps.queue_id, steps.event)) == [
            ("E8759DC24C3", "filtered"),
            ("218BEDC28EC", "filtered"),
            ("33DE0DC24C3", "sent"),
        ]
        assert steps.relay.tolist()[-1].startswith("gmail-smtp-in.l.google.com[")
        events = out[out.table == "messages"].event.tolist()
        assert events == ["sasl message", "re-injected sasl message", "re-injected sasl message"]
        assert out.ts.is_monotonic_increasing


def test_trace_command_shows_the_reinjected_message(tmp_path):
    import json

    from typer.testing import CliRunner

    from analyzer.cli.app import app

    _, _, data = _messages(tmp_path, SUBMISSION)
    result = CliRunner().invoke(
        app, ["trace", "0B73130001FB", "--since", "all", "--data", str(data), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["queue_id"], r["event"]) for r in rows] == [
        ("0B73130001FB", "sasl message"),
        ("400643011B47", "re-injected sasl message"),
        ("0B73130001FB", "filtered"),
        ("0B73130001FB", "filtered"),
        ("400643011B47", "sent"),
        ("400643011B47", "bounced"),
    ]
    from_the_copy = api.trace("400643011B47", data=data, since="all")
    assert list(zip(from_the_copy.queue_id, from_the_copy.event)) == [
        (r["queue_id"], r["event"]) for r in rows
    ]
    assert "filter_of=0B73130001FB" in rows[1]["detail"]


def test_the_ingest_summary_counts_a_reinjected_message_once(tmp_path):
    """The summary's message count is the reports' count: a content filter's copy of a
    message is not a second message."""
    sample = os.path.join(os.path.dirname(__file__), "..", "..", "sample_logs", "maillog")
    with open(sample) as f:
        head = [next(f) for _ in range(20000)]
    log = tmp_path / "maillog"
    log.write_text("".join(head))
    summary = ingest([log], tmp_path / "d", year=2026)
    # the rows written (not the open ones the API adds)
    messages = Dataset(tmp_path / "d").read("messages", columns=["filter_of"]).to_pandas()
    assert summary.reinjected == messages["filter_of"].notna().sum() > 100
    assert summary.messages == messages["filter_of"].isna().sum()
