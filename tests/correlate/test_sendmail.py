"""Sendmail lines become the same messages, deliveries, rejects and auth failures as
Postfix's: hand-written scenarios (the MSP -> MTA hop, AUTH sessions, multi-recipient
lines, DSNs), then the generated one-day sample against its truth and the reports'
planted incidents."""

import json

import pandas as pd
import pytest
from conftest import SAMPLE_LOGS
from helpers import ingest, table

from analyzer import api


def _log(tmp_path, lines, name="maillog"):
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return path


MSP_FROM = (
    "Nov 26 10:00:00 mx1 sendmail[4001]: 5AQA00MS004001: from=site1017, size=1500, class=0, "
    "nrcpts=2, msgid=<abc@www.blog-kochen.example>, relay=site1017@localhost"
)
MTA_FROM = (
    "Nov 26 10:00:00 mx1 sm-mta[4002]: 5AQA00MT004002: from=<site1017@mx1.example>, size=1600, "
    "class=0, nrcpts=2, msgid=<abc@www.blog-kochen.example>, proto=ESMTP, daemon=MTA, "
    "relay=localhost [127.0.0.1]"
)
HANDOFF = (
    "Nov 26 10:00:00 mx1 sendmail[4001]: 5AQA00MS004001: to=<a@gmail.example>,<b@web.example>, "
    "ctladdr=site1017 (1017/1017), delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=31500, "
    "relay=[127.0.0.1] [127.0.0.1], dsn=2.0.0, stat=Sent (5AQA00MT004002 Message accepted for delivery)"
)
MTA_TO = [
    "Nov 26 10:00:02 mx1 sm-mta[4003]: 5AQA00MT004002: to=<a@gmail.example>, ctladdr=<site1017@mx1.example> "
    "(1017/1017), delay=00:00:02, xdelay=00:00:02, mailer=esmtp, pri=121600, "
    "relay=gmail-smtp-in.l.google.example. [198.51.100.27], dsn=2.0.0, stat=Sent (OK 17 - gsmtp)",
    "Nov 26 10:00:03 mx1 sm-mta[4003]: 5AQA00MT004002: to=<b@web.example>, ctladdr=<site1017@mx1.example> "
    "(1017/1017), delay=00:00:03, xdelay=00:00:01, mailer=esmtp, pri=121600, "
    "relay=mx-ha03.web.example. [198.51.100.52], dsn=5.1.1, stat=User unknown",
]


@pytest.mark.parametrize("order", ["mta_first", "handoff_first"])
def test_msp_and_mta_hops_are_one_message_charged_to_the_uid(tmp_path, order):
    lines = [MSP_FROM, MTA_FROM, HANDOFF] if order == "mta_first" else [MSP_FROM, HANDOFF, MTA_FROM]
    ingest([_log(tmp_path, lines + MTA_TO)], tmp_path / "d", year=2026)
    msgs = table(tmp_path / "d", "messages")
    assert len(msgs) == 1
    m = msgs.iloc[0]
    assert (m.queue_id, m.submission_queue_id, m.identity, m.origin, m.uid, m.user, m.program) == (
        "5AQA00MT004002",
        "5AQA00MS004001",
        "uid:1017",
        "local",
        1017,
        "site1017",
        "sendmail",
    )
    assert (m.sent, m.bounced, m.nrcpt, m.complete, m.sender) == (
        1,
        1,
        2,
        True,
        "site1017@mx1.example",
    )
    assert pd.isna(m.client_ip)  # localhost was only the hop
    assert m.first_seen == pd.Timestamp("2026-11-26 10:00:00", tz="UTC")
    d = table(tmp_path / "d", "deliveries")
    assert d[["queue_id", "recipient", "status", "program", "identity"]].values.tolist() == [
        ["5AQA00MT004002", "a@gmail.example", "sent", "sm-mta/smtp", "uid:1017"],
        ["5AQA00MT004002", "b@web.example", "bounced", "sm-mta/smtp", "uid:1017"],
    ]
    assert (d.message_first_seen == m.first_seen).all()


def test_msp_hop_without_the_mta_log_stands_alone(tmp_path):
    ingest(
        [
            _log(
                tmp_path,
                [
                    MSP_FROM,
                    HANDOFF,
                    "Nov 26 10:05:00 mx1 sm-mta[1]: ruleset=check_relay, arg1=[192.0.2.1], arg2=192.0.2.1, "
                    "relay=[192.0.2.1], reject=421 4.3.2 Connection rate limit exceeded.",
                ],
            )
        ],
        tmp_path / "d",
        year=2026,
    )
    m = table(tmp_path / "d", "messages").iloc[0]
    assert (m.queue_id, m.identity, m.sent, m.complete) == ("5AQA00MS004001", "uid:1017", 2, True)
    assert table(tmp_path / "d", "deliveries").empty  # the hand-over is not a delivery


def test_auth_session_and_multi_recipient_line(tmp_path):
    log = _log(
        tmp_path,
        [
            "Nov 26 10:00:00 mx1 sm-mta[5000]: 5AQA00AU005000: STARTTLS=server, relay=unknown [198.18.7.7], "
            "version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256",
            "Nov 26 10:00:01 mx1 sm-mta[5000]: 5AQA00AU005000: AUTH=server, relay=unknown [198.18.7.7], "
            "authid=info@shop-anna.example, mech=PLAIN, bits=0",
            "Nov 26 10:00:02 mx1 sm-mta[5000]: 5AQA00AU005000: from=<info@shop-anna.example>, size=900, class=0, "
            "nrcpts=3, msgid=<1@shop-anna.example>, proto=ESMTPSA, daemon=MSA, relay=unknown [198.18.7.7]",
            "Nov 26 10:00:03 mx1 sm-mta[5001]: 5AQA00AU005000: to=<a@gmail.example>,<b@gmail.example>, delay=00:00:01, "
            "xdelay=00:00:01, mailer=esmtp, pri=120900, relay=gmail-smtp-in.l.google.example. [198.51.100.27], "
            "dsn=2.0.0, stat=Sent (OK)",
            "Nov 26 10:00:04 mx1 sm-mta[5001]: 5AQA00AU005000: to=<x@nowhere.example>, delay=00:00:02, "
            "xdelay=00:00:01, mailer=esmtp, pri=120900, relay=mx.nowhere.example., dsn=4.0.0, "
            "stat=Deferred: Connection timed out with mx.nowhere.example.",
            # another message in the same session: still the same login
            "Nov 26 10:00:05 mx1 sm-mta[5000]: 5AQA05AU005000: from=<info@shop-anna.example>, size=900, class=0, "
            "nrcpts=1, msgid=<2@shop-anna.example>, proto=ESMTPSA, daemon=MSA, relay=unknown [198.18.7.7]",
            # a different process with a different client is not that session
            "Nov 26 10:00:06 mx1 sm-mta[5002]: 5AQA06XX005002: from=<z@example.org>, size=900, class=0, "
            "nrcpts=1, msgid=<3@example.org>, proto=ESMTP, daemon=MTA, relay=mx.example.org [192.0.2.44]",
        ],
    )
    ingest([log], tmp_path / "d", year=2026)
    msgs = table(tmp_path / "d", "messages").set_index("queue_id")
    assert msgs.loc[
        "5AQA00AU005000", ["identity", "origin", "sasl_method", "client_ip", "sent", "deferred"]
    ].tolist() == ["sasl:info@shop-anna.example", "sasl", "PLAIN", "198.18.7.7", 2, 1]
    assert msgs.loc["5AQA00AU005000", "complete"] == False  # noqa: E712 (one recipient still deferred)
    assert msgs.loc["5AQA05AU005000", "identity"] == "sasl:info@shop-anna.example"
    assert msgs.loc["5AQA06XX005002", "identity"] == "ip:192.0.2.44"
    d = table(tmp_path / "d", "deliveries")
    assert d.recipient.tolist() == ["a@gmail.example", "b@gmail.example", "x@nowhere.example"]
    assert d.recipient_domain.tolist() == ["gmail.example", "gmail.example", "nowhere.example"]
    assert d.delay.tolist() == [1.0, 1.0, 2.0]


def test_relay_rejects_get_their_sender_from_the_session(tmp_path):
    log = _log(
        tmp_path,
        [
            "Nov 26 10:00:00 mx1 sm-mta[6000]: 5AQA00RJ006000: ruleset=check_rcpt, arg1=<a@gmail.example>, "
            "relay=localhost [127.0.0.1], reject=550 5.7.1 <a@gmail.example>... Relaying denied",
            "Nov 26 10:00:00 mx1 sm-mta[6000]: 5AQA00RJ006000: ruleset=check_rcpt, arg1=<b@gmail.example>, "
            "relay=localhost [127.0.0.1], reject=550 5.7.1 <b@gmail.example>... Relaying denied",
            "Nov 26 10:00:01 mx1 sm-mta[6000]: 5AQA00RJ006000: from=<shop@shop-anna.example>, size=0, class=0, "
            "nrcpts=0, proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]",
        ],
    )
    ingest([log], tmp_path / "d", year=2026)
    rejects = table(tmp_path / "d", "rejects")
    assert rejects[
        ["recipient", "sender", "client_ip", "local_client", "reason_class", "stage", "code"]
    ].values.tolist() == [
        [
            "a@gmail.example",
            "shop@shop-anna.example",
            "127.0.0.1",
            True,
            "relay_denied",
            "RCPT",
            550,
        ],
        [
            "b@gmail.example",
            "shop@shop-anna.example",
            "127.0.0.1",
            True,
            "relay_denied",
            "RCPT",
            550,
        ],
    ]
    assert table(tmp_path / "d", "messages").empty


def test_auth_failures_and_the_attack_summary(tmp_path):
    fail = (
        "Nov 26 10:00:0{s} mx1 sm-mta[{pid}]: 5AQA00BF00{pid}: AUTH failure (LOGIN): authentication failure "
        "(-13) SASL(-13): authentication failure: checkpass failed, user={user}, relay=[203.0.113.66]"
    )
    summary = (
        "Nov 26 10:00:09 mx1 sm-mta[{pid}]: 5AQA00BF00{pid}: [203.0.113.66]: possible SMTP attack: "
        "command=AUTH, count=3"
    )
    log = _log(
        tmp_path,
        [
            fail.format(s=1, pid=7000, user="admin"),
            fail.format(s=2, pid=7000, user="root"),
            summary.format(pid=7000),
            summary.format(pid=7001),
        ],
    )
    ingest([log], tmp_path / "d", year=2026)
    fails = table(tmp_path / "d", "auth_failures")
    # the session that logged its failures one by one is not counted twice; the one that
    # only logged the summary (LogLevel 9) is one row
    assert fails[["client_ip", "sasl_username"]].fillna("-").values.tolist() == [
        ["203.0.113.66", "admin"],
        ["203.0.113.66", "root"],
        ["203.0.113.66", "-"],
    ]


def test_dsn_and_expiry(tmp_path):
    log = _log(
        tmp_path,
        [
            "Nov 26 10:00:00 mx1 sm-mta[8000]: 5AQA00EX008000: from=<info@shop-anna.example>, size=900, class=0, "
            "nrcpts=1, msgid=<e@x>, proto=ESMTP, daemon=MTA, relay=mx.example.org [192.0.2.44]",
            "Nov 26 10:00:01 mx1 sm-mta[8001]: 5AQA00EX008000: to=<x@nowhere.example>, delay=00:00:01, "
            "xdelay=00:00:01, mailer=esmtp, pri=120900, relay=mx.nowhere.example., dsn=4.0.0, "
            "stat=Deferred: Connection timed out with mx.nowhere.example.",
            "Nov 26 22:00:01 mx1 sm-mta[8002]: 5AQA00EX008000: 5AQM00EX008002: DSN: Cannot send message for 12 hours",
            "Nov 26 22:00:02 mx1 sm-mta[8002]: 5AQM00EX008002: to=<info@shop-anna.example>, delay=00:00:01, "
            "xdelay=00:00:00, mailer=local, pri=30000, dsn=2.0.0, stat=Sent",
        ],
    )
    ingest([log], tmp_path / "d", year=2026)
    msgs = table(tmp_path / "d", "messages").set_index("queue_id")
    assert msgs.loc["5AQA00EX008000", ["expired", "complete", "deferred"]].tolist() == [
        True,
        True,
        1,
    ]
    assert msgs.loc["5AQM00EX008002", ["origin", "sender", "sent", "complete"]].tolist() == [
        "bounce",
        "",
        1,
        True,
    ]
    assert pd.isna(msgs.loc["5AQM00EX008002", "identity"])


# --- the generated one-day sample ------------------------------------------------------------

SAMPLE = SAMPLE_LOGS / "sendmail" / "maillog"
TRUTH = SAMPLE_LOGS / "truth" / "sendmail_maillog.json"


@pytest.fixture(scope="module")
def sendmail_day(tmp_path_factory):
    data = tmp_path_factory.mktemp("sendmail") / "data"
    summary = api.ingest([str(SAMPLE)], data=str(data), tz="UTC", year=2026)
    return data, json.loads(TRUTH.read_text()), summary


def test_sample_is_what_the_generator_makes():
    from analyzer.samplegen import generate_mta

    lines, truth = generate_mta("sendmail")
    assert SAMPLE.read_text() == "".join(line + "\n" for line in lines)
    assert json.loads(TRUTH.read_text()) == json.loads(json.dumps(truth))


def test_sample_tables_match_the_truth(sendmail_day):
    data, truth, summary = sendmail_day
    assert summary.lines == truth["lines"] and summary.unparsed == 0
    messages = api.table("messages", data=data)
    # every local submission made two hops and is one message
    assert len(messages) == truth["messages"]["total"] and messages.complete.all()
    assert messages.origin.value_counts().to_dict() == truth["messages"]["by_origin"]
    local = messages[messages.origin == "local"]
    assert local.submission_queue_id.notna().all() and local.client_ip.isna().all()
    assert messages.expired.sum() == truth["deliveries"]["expired_messages"]
    deliveries = api.table("deliveries", data=data)
    for status in ("sent", "deferred", "bounced"):
        assert (deliveries.status == status).sum() == truth["deliveries"][status]
    assert not deliveries.relay.str.contains(
        "127.0.0.1", regex=False
    ).any()  # hops are not deliveries
    rejects = api.table("rejects", data=data)
    assert rejects.reason_class.value_counts().to_dict() == truth["rejects"]["by_class"]
    assert rejects[rejects.reason_class == "relay_denied"].sender.notna().all()
    assert len(api.table("auth_failures", data=data)) == truth["auth_failures"]["total"]
    top = messages.identity.value_counts()
    for row in truth["top_senders_by_identity"]:
        assert top[row["identity"]] == row["messages"], row


def test_reports_find_the_incidents(sendmail_day):
    data, truth, _ = sendmail_day
    inc = truth["incidents"]
    sasl = inc["compromised_sasl"]
    top = api.top_senders(data, since=sasl["start"], until=sasl["end"], tz="UTC").iloc[0]
    assert top["identity"] == "sasl:" + sasl["sasl_username"]
    assert (top["messages"], top["client_ips"], top["recipients"], top["recipient_domains"]) == (
        sasl["messages"],
        sasl["client_ips"],
        sasl["recipients"],
        sasl["recipient_domains"],
    )
    status = sasl["delivery_status"]
    assert (top["sent"], top["deferred"], top["bounced"]) == (
        status["sent"],
        status["deferred"],
        status["bounced"],
    )

    relay = inc["relay_spike"]
    spikes = api.relay_spikes(data)
    assert len(spikes) == 1
    spike = spikes.iloc[0]
    assert (
        spike["local_count"],
        spike["internet_count"],
        spike["source"],
        spike["responsible"],
    ) == (relay["count"], relay["internet_count_in_hour"], "local", relay["sender"])

    php = inc["php_script"]
    first = api.suspicious_scripts(data).iloc[0]
    assert (first["identity"], first["uid"], first["messages"]) == (
        "uid:1017",
        1017,
        php["messages_of_uid_total"],
    )

    brute = inc["brute_force"]
    fails = api.auth_failures(data).iloc[0]
    assert (
        fails["client_ip"],
        fails["failures"],
        fails["usernames"],
        bool(fails["succeeded_later"]),
        fails["messages_after"],
    ) == (brute["client_ip"], brute["failures"], brute["usernames"], True, brute["messages_after"])


def test_php_mail_log_joins_through_the_msp_hop(tmp_path):
    """With the server's PHP mail.log, the joined (MSP -> MTA) messages get the script's
    full path, and the burst script stands out by itself."""
    from analyzer.samplegen import generate_mta

    lines, truth, php_lines, php_truth = generate_mta("sendmail", php_log=True)
    # a line a minute after the day, so that every join and every PHP entry is due
    lines.append(
        "Nov 27 00:01:00 mx1 sm-mta[1]: ruleset=check_relay, arg1=[192.0.2.1], arg2=192.0.2.1, "
        "relay=[192.0.2.1], reject=421 4.3.2 Connection rate limit exceeded."
    )
    (tmp_path / "maillog").write_text("".join(ln + "\n" for ln in lines))
    (tmp_path / "php_mail.log").write_text("".join(ln + "\n" for ln in php_lines))
    data = tmp_path / "data"
    api.ingest(
        [str(tmp_path / "maillog"), str(tmp_path / "php_mail.log")],
        data=str(data),
        tz="UTC",
        year=2026,
        host="mx1",
    )
    php = api.table("php_mail", data=data)
    assert len(php) == php_truth["entries"]
    assert php.queue_id.notna().sum() == php_truth["joinable"]
    messages = api.table("messages", data=data)
    joined = messages[messages.queue_id.isin(php.queue_id.dropna())]
    assert (joined.origin == "local").all() and joined.script_path.notna().all()
    burst = php_truth["burst"]
    assert (messages.script == burst["script_path"]).sum() == burst["entries"]
    first = api.suspicious_scripts(data).iloc[0]
    assert (first["identity"], first["script"], first["messages"]) == (
        "uid:1017",
        burst["script_path"],
        burst["entries"],
    )
