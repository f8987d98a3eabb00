"""The correlator driven with event dicts directly (no files, no processes): the dicts
have the fields `events.LineParser` gives the lines quoted beside them. Each scenario also
runs split at a checkpoint (`state()` through JSON into a new `Correlator`): the rows must
be those of the uninterrupted run."""

import json

import pytest

from analyzer.correlate import (
    GRACE_US,
    JOIN_DELAY_US,
    PHP_FINAL_US,
    SESSION_US,
    STATE_KEYS,
    Correlator,
    Passwd,
)

S = 1_000_000
T0 = 1_768_061_729 * S  # Jan 10 2026 16:15:29 UTC


def _ev(kind, ts, family="postfix", **fields):
    return {
        "event": kind,
        "ts": T0 + int(ts * S),
        "family": family,
        "pid": fields.pop("pid", 1),
        "host": fields.pop("host", "mail"),
        **fields,
    }


class Run:
    """A correlator whose rows land in `rows[table]`."""

    def __init__(self, state=None, **kwargs):
        self.rows: dict[str, list[dict]] = {}
        self.kwargs = kwargs
        self.c = Correlator(
            lambda table, row: self.rows.setdefault(table, []).append(dict(row)),
            state=state,
            **kwargs,
        )

    def feed(self, events):
        for e in events:
            self.c.feed(dict(e))
        return self

    def checkpoint(self) -> "Run":
        """The next run: from the state as the store would give it back (Keyed dicts as
        lists of their values, everything through JSON), writing into the same rows."""
        self.c.settle()
        state = self.c.state()
        assert list(state) == list(STATE_KEYS)
        saved = {
            k: list(v.values()) if k in ("messages", "sessions") else v for k, v in state.items()
        }
        nxt = Run(state=json.loads(json.dumps(saved)), **self.kwargs)
        nxt.rows = self.rows
        return nxt

    def table(self, name, key):
        return {row[key]: row for row in self.rows.get(name, [])}


def _both_ways(events, split, **kwargs):
    """Rows of one uninterrupted run and of the run split before event `split`; the same."""
    end = [_ev("notice", events[-1]["ts"] / S - T0 / S + GRACE_US / S + 60, queue_id="Z")]
    whole = Run(**kwargs).feed(events + end)
    parts = Run(**kwargs).feed(events[:split]).checkpoint().feed(events[split:] + end)
    assert parts.rows == whole.rows
    return whole


# --- content filter: amavis on 127.0.0.1:10024 re-injects the message on 10025 ----------------


def _amavis_events(child_first: bool):
    """A SASL submission handed to amavis, re-injected as 400643011B47, delivered out.
    `child_first`: the re-injected message's client line comes before the hop's reply
    (as on a real server); else the reply names a queue id not seen yet."""
    parent = [
        # postfix/smtpd[11980]: 0B73130001FB: client=client.example[198.51.100.7], sasl_method=PLAIN, sasl_username=anna
        _ev(
            "client",
            0,
            queue_id="0B73130001FB",
            program="postfix/smtpd",
            pid=11980,
            client_name="client.example",
            client_ip="198.51.100.7",
            sasl_method="PLAIN",
            sasl_username="anna",
            orig_queue_id=None,
        ),
        _ev(
            "queued",
            0,
            queue_id="0B73130001FB",
            program="postfix/qmgr",
            sender="anna@shop.example",
            size=445,
            nrcpt=1,
        ),
    ]
    child = [
        _ev(
            "client",
            1,
            queue_id="400643011B47",
            program="postfix/smtpd",
            pid=11995,
            client_name="localhost",
            client_ip="127.0.0.1",
            sasl_method=None,
            sasl_username=None,
            orig_queue_id=None,
        ),
        _ev(
            "queued",
            1,
            queue_id="400643011B47",
            program="postfix/qmgr",
            sender="anna@shop.example",
            size=1200,
            nrcpt=1,
        ),
    ]
    # postfix/smtp[11990]: 0B73130001FB: to=<a@gmail.example>, relay=127.0.0.1[127.0.0.1]:10024, ...
    #   status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 400643011B47)
    hop = [
        _ev(
            "delivery",
            1.5,
            queue_id="0B73130001FB",
            program="postfix/smtp",
            pid=11990,
            recipient="a@gmail.example",
            orig_recipient=None,
            relay="127.0.0.1[127.0.0.1]:10024",
            status="sent",
            recipient_domain="gmail.example",
            response="250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 400643011B47",
        ),
        _ev("removed", 1.5, queue_id="0B73130001FB", program="postfix/qmgr"),
    ]
    out = [
        _ev(
            "delivery",
            3,
            queue_id="400643011B47",
            program="postfix/smtp",
            pid=11991,
            recipient="a@gmail.example",
            orig_recipient=None,
            relay="mx.gmail.example[192.0.2.25]:25",
            status="sent",
            recipient_domain="gmail.example",
            response="250 2.0.0 OK",
        ),
        _ev("removed", 3, queue_id="400643011B47", program="postfix/qmgr"),
    ]
    return parent + (child + hop if child_first else hop + child) + out


@pytest.mark.parametrize("child_first", [True, False])
def test_content_filter_hop_charges_the_reinjected_message_to_the_original(child_first):
    events = _amavis_events(child_first)
    run = _both_ways(events, split=3)
    msgs = run.table("messages", "queue_id")
    assert set(msgs) == {"0B73130001FB", "400643011B47"}
    child = msgs["400643011B47"]
    assert (child["identity"], child["origin"], child["filter_of"], child["client_ip"]) == (
        "sasl:anna",
        "sasl",
        "0B73130001FB",
        "198.51.100.7",
    )
    assert msgs["0B73130001FB"]["sent"] == 0 and child["sent"] == 1
    deliveries = [(d["queue_id"], d["status"], d["identity"]) for d in run.rows["deliveries"]]
    assert deliveries == [
        ("0B73130001FB", "filtered", "sasl:anna"),
        ("400643011B47", "sent", "sasl:anna"),
    ]


def test_a_remote_servers_queued_as_is_a_real_delivery():
    """`queued as` from a remote relay that is not the next message's client: delivered."""
    events = _amavis_events(child_first=True)
    hop = events[4]
    events[4] = dict(
        hop,
        relay="mx.web.example[198.51.100.52]:25",
        response="250 2.0.0 Ok: queued as 400643011B47",
    )
    run = Run().feed(events + [_ev("notice", 120, queue_id="Z")])
    assert [d["status"] for d in run.rows["deliveries"]] == ["sent", "sent"]
    assert run.table("messages", "queue_id")["400643011B47"]["identity"] == "ip:127.0.0.1"


# --- Sendmail: the NOQID `AUTH=server` login of an SMTP session ---------------------------------


def _sm(kind, ts, pid, **fields):
    return _ev(kind, ts, family="sendmail", host="mx", program="sm-mta", pid=pid, **fields)


def _sm_from(ts, pid, qid, client_ip="198.51.100.7", proto="ESMTPA", **fields):
    # sm-mta[29813]: wB6BhD1x029813: from=<augie@example.net>, size=812, class=0, nrcpts=1,
    #   msgid=<...>, proto=ESMTPA, daemon=MSA, relay=client.example [198.51.100.7]
    return _sm(
        "arrival",
        ts,
        pid,
        queue_id=qid,
        sender=fields.pop("sender", "augie@example.net"),
        size=812,
        nrcpt=1,
        message_id=f"{qid}@example.net",
        proto=proto,
        daemon="MSA",
        local_user=None,
        local_host=None,
        client_name="client.example",
        client_ip=client_ip,
        **fields,
    )


def _sm_to(ts, qid, rcpt):
    # sm-mta[29820]: wB6BhD1x029813: to=<bob@dest.example>, ..., relay=mx.dest.example. [192.0.2.50], stat=Sent (Ok)
    return _sm(
        "delivery",
        ts,
        29820,
        queue_id=qid,
        uid=None,
        mailer="esmtp",
        relay="mx.dest.example.[192.0.2.50]",
        dsn="2.0.0",
        recipient=rcpt,
        agent="smtp",
        status="sent",
        response="Ok",
        recipient_domain=rcpt.split("@")[1],
    )


# sm-mta[29813]: AUTH=server, relay=client.example [198.51.100.7], authid=augie, mech=PLAIN, bits=0
AUTH = _sm(
    "authenticated",
    0,
    29813,
    queue_id=None,
    client_name="client.example",
    client_ip="198.51.100.7",
    sasl_username="augie",
    sasl_method="PLAIN",
)


def test_sendmail_auth_login_charges_the_sessions_messages_until_it_ends():
    late = SESSION_US / S + 100
    events = [
        AUTH,
        _sm_from(1, 29813, "wB6BhD1x029813"),
        _sm_to(2, "wB6BhD1x029813", "bob@dest.example"),
        _sm_from(5, 29813, "wB6BhK3x029813", sender="other@example.net"),
        _sm_to(6, "wB6BhK3x029813", "carol@dest.example"),
        # another process serving another client at the same time: another session
        _sm_from(7, 29900, "wB6BhM0x029900", client_ip="203.0.113.9", proto="ESMTPS"),
        _sm_to(8, "wB6BhM0x029900", "dave@dest.example"),
        # the same process an hour and more later: the login has ended (ESMTPA, login unknown)
        _sm_from(late, 29813, "wB6CxA1x029813"),
        _sm_to(late + 1, "wB6CxA1x029813", "eve@dest.example"),
    ]
    run = _both_ways(events, split=4)
    msgs = run.table("messages", "queue_id")
    got = {q: (m["identity"], m["origin"], m["sasl_username"]) for q, m in msgs.items()}
    assert got == {
        "wB6BhD1x029813": ("sasl:augie", "sasl", "augie"),
        "wB6BhK3x029813": ("sasl:augie", "sasl", "augie"),
        "wB6BhM0x029900": ("ip:203.0.113.9", "smtp", None),
        "wB6CxA1x029813": ("ip:198.51.100.7", "sasl", None),
    }
    assert all(m["complete"] for m in msgs.values())  # nrcpts=1, one final status each
    assert {d["recipient"]: d["identity"] for d in run.rows["deliveries"]} == {
        "bob@dest.example": "sasl:augie",
        "carol@dest.example": "sasl:augie",
        "dave@dest.example": "ip:203.0.113.9",
        "eve@dest.example": "ip:198.51.100.7",
    }


def test_sendmail_auth_failure_ends_the_login_and_its_summary_is_not_counted_twice():
    failure = _sm(
        "auth_failed",
        2,
        29813,
        queue_id=None,
        client_ip="198.51.100.7",
        sasl_username="augie",
        summary=False,
    )
    summary = _sm("auth_failed", 3, 29813, queue_id=None, client_ip="198.51.100.7", summary=True)
    run = Run().feed(
        [
            AUTH,
            failure,
            summary,
            _sm_from(4, 29813, "wB6BhD1x029813", proto="ESMTP"),
            _sm_to(5, "wB6BhD1x029813", "bob@dest.example"),
            _ev("notice", 120, queue_id="Z"),
        ]
    )
    assert len(run.rows["auth_failures"]) == 1  # the summary of an already counted failure
    assert run.table("messages", "queue_id")["wB6BhD1x029813"]["identity"] == "ip:198.51.100.7"


def test_held_sendmail_reject_takes_sender_and_login_from_the_from_line():
    # a recipient refused before the from= line: the reject names neither sender nor client
    reject = _sm(
        "reject",
        2,
        29813,
        queue_id="wB6BhD1x029813",
        stage="RCPT",
        sender=None,
        client_ip=None,
        client_name=None,
        sasl_username=None,
        proto=None,
        recipient="nobody@mx.example",
    )
    events = [
        AUTH,
        reject,
        _sm_from(3, 29813, "wB6BhD1x029813"),
        _sm_to(4, "wB6BhD1x029813", "bob@dest.example"),
    ]
    run = _both_ways(events, split=2)
    (row,) = run.rows["rejects"]
    assert (row["sender"], row["client_ip"], row["sasl_username"], row["local_client"]) == (
        "augie@example.net",
        "198.51.100.7",
        "augie",
        False,
    )


# --- PHP mail.log joined to the local submission it produced ---------------------------------


def _php(ts, path, rcpt, host="web1"):
    # [10-Jan-2026 16:15:29 UTC] mail() on [/home/site1003/public_html/contact.php:12]: To: ...
    return _ev(
        "php_mail",
        ts,
        family="phpmail",
        host=host,
        program="php",
        pid=None,
        script_path=path,
        script_line=12,
        recipient=rcpt,
        headers="From: x",
        subject="Hi",
        script=path.rsplit("/", 1)[1],
        envelope="phpmail",
        rcpts=[rcpt.lower()],
    )


def _pickup(ts, qid, uid, rcpt, host="web1"):
    # postfix/pickup[500]: 08ACF1541B01: uid=1003 from=<site1003>; then its delivery, removed
    return [
        _ev(
            "pickup",
            ts,
            host=host,
            queue_id=qid,
            program="postfix/pickup",
            pid=500,
            uid=uid,
            sender=f"site{uid}",
        ),
        _ev(
            "queued",
            ts,
            host=host,
            queue_id=qid,
            program="postfix/qmgr",
            sender=f"site{uid}",
            size=900,
            nrcpt=1,
        ),
        _ev(
            "delivery",
            ts + 1,
            host=host,
            queue_id=qid,
            program="postfix/smtp",
            pid=600,
            recipient=rcpt,
            orig_recipient=None,
            relay="mx.example[192.0.2.9]:25",
            status="sent",
            recipient_domain=rcpt.split("@")[1],
            response="250 OK",
        ),
        _ev("removed", ts + 1, host=host, queue_id=qid, program="postfix/qmgr"),
    ]


def test_php_entry_joins_its_submission_by_uid_and_recipient():
    passwd = Passwd([("site1003", 1003, "/home/site1003"), ("site1004", 1004, "/home/site1004")])
    events = [
        _php(0, "/home/site1003/public_html/contact.php", "a@x.example"),
        _php(0.5, "/home/site1004/public_html/order.php", "b@y.example"),
        # an entry no submission claims: written unjoined once no submission can come
        _php(1, "/home/site1004/public_html/cron.php", "c@z.example"),
        # the two submissions, in the other order than the entries
        *_pickup(1, "08ACF1541B02", 1004, "b@y.example"),
        *_pickup(1.5, "08ACF1541B01", 1003, "a@x.example"),
        _ev("notice", PHP_FINAL_US / S + JOIN_DELAY_US / S + 10, host="web1", queue_id="Z"),
    ]
    whole = Run(passwd=passwd).feed(events)
    parts = Run(passwd=passwd).feed(events[:5]).checkpoint().feed(events[5:])
    assert parts.rows == whole.rows
    php = {r["script_path"].split("/")[-1]: r for r in whole.rows["php_mail"]}
    assert {k: (r.get("queue_id"), r["identity"], r["user"]) for k, r in php.items()} == {
        "contact.php": ("08ACF1541B01", "uid:1003", "site1003"),
        "order.php": ("08ACF1541B02", "uid:1004", "site1004"),
        "cron.php": (None, "uid:1004", "site1004"),
    }
    assert php["contact.php"]["message_first_seen"] == T0 + int(1.5 * S)
    msgs = whole.table("messages", "queue_id")
    assert msgs["08ACF1541B01"]["script_path"] == "/home/site1003/public_html/contact.php"
    assert msgs["08ACF1541B02"]["script_path"] == "/home/site1004/public_html/order.php"
    assert whole.c.run_php_joins == {"joined": 2, "unjoined": {"no_submission": 1}, "hosts": {}}
    assert whole.c.php_waiting() == 0


def test_php_entry_of_a_host_no_mta_log_names_stays_unjoined_with_its_reason():
    events = [
        _php(0, "/home/site1003/public_html/contact.php", "a@x.example", host="web2"),
        *_pickup(1, "08ACF1541B01", 1003, "a@x.example"),
        _ev("notice", PHP_FINAL_US / S + JOIN_DELAY_US / S + 10, host="web1", queue_id="Z"),
    ]
    run = Run().feed(events)
    (row,) = run.rows["php_mail"]
    assert row.get("queue_id") is None and row["host"] == "web2"
    assert run.c.run_php_joins["unjoined"] == {"other_host": 1}
    assert run.c.run_php_joins["hosts"] == {"other_host": ["web2"]}
    assert run.table("messages", "queue_id")["08ACF1541B01"]["script_path"] is None
