"""Sendmail lines from fail2ban's and sshguard's test files: client IP and time of every
line they act on, the login where it is logged, and what the lines become once
correlated."""

import json
import re

from helpers import ingest, table

from analyzer.api import parse_lines


def _fail2ban(corpora):
    for raw in (corpora / "fail2ban" / "expected.jsonl").read_text().splitlines():
        case = json.loads(raw)
        if case["file"].rsplit("/", 1)[-1] in ("sendmail-auth", "sendmail-reject"):
            yield case


def test_fail2ban_sendmail_ip_time_and_user(corpora):
    checked = 0
    for case in _fail2ban(corpora):
        expected = case["failJSON"]
        year = int(expected["time"][:4]) if "time" in expected else 2005
        event = list(parse_lines([case["line"]], tz="UTC", year=year))[0]
        assert event["event"] != "unparsed", case["line"]
        assert event["format"] == "sendmail"
        if not expected.get("match"):
            continue
        assert event.get("client_ip") == expected["host"], (case["line"], event)
        assert event["ts"] == expected["time"] + "Z", case["line"]
        if expected.get("user"):
            assert event.get("sasl_username") == expected["user"], case["line"]
        checked += 1
    assert checked >= 50


def test_fail2ban_sendmail_auth_failures(corpora):
    lines = (corpora / "fail2ban" / "sendmail-auth.log").read_text().splitlines()
    events = list(parse_lines(lines, tz="UTC", year=2005))
    fails = [e for e in events if e["event"] == "auth_failed"]
    assert len(fails) == len(lines) == 13
    assert [e.get("sasl_username") for e in fails if e["pattern"] == "sendmail_auth_failure"] == [
        "user@example.com",
        "criminal, relay=[192.0.2.100]",
        "scanner",
        "scan",
        "test",
        "test",
        None,
    ]
    assert {e["sasl_method"] for e in fails if e.get("sasl_method")} == {
        "LOGIN",
        "login",
        "PLAIN",
        "DIGEST-MD5",
        "CRAM-MD5",
    }


def test_fail2ban_sendmail_rejects_and_their_sessions(corpora, tmp_path):
    """`<x>... No such user here` names no client: the session's `from=` line (same queue
    id) does, and the ingested reject carries it."""
    log = tmp_path / "maillog"
    log.write_text((corpora / "fail2ban" / "sendmail-reject.log").read_text())
    summary = ingest([log], tmp_path / "d", year=2005)
    assert summary.unparsed == 0
    rejects = table(tmp_path / "d", "rejects")
    joined = rejects[rejects.queue_id == "rA37ZTSC026254"]
    assert list(joined.recipient) == ["davaojk25@domain.com"]
    assert list(joined.client_ip) == ["95.32.23.163"] and list(joined.sender) == [
        "davaojk25@domain.com"
    ]
    assert joined.reason_class.tolist() == ["unknown_recipient"]
    # rejected envelopes (nrcpts=0) are not messages
    assert table(tmp_path / "d", "messages").empty
    rbl = rejects[rejects.reason_class == "rbl"]
    assert len(rbl) == 4 and rbl.client_ip.notna().all()
    # a session whose from= line has not come yet keeps its reject in the checkpoint
    # (the file ends minutes after it, in log time) ...
    assert "rA37ZTSC026250" not in set(rejects.queue_id)
    later = tmp_path / "maillog.next"
    later.write_text(
        "Nov  3 12:35:30 Microsoft sm-mta[2]: ruleset=check_relay, arg1=[192.0.2.1], "
        "arg2=192.0.2.1, relay=[192.0.2.1], reject=421 4.3.2 Connection rate limit exceeded.\n"
    )
    ingest([later], tmp_path / "d", year=2005)
    # ... until it has waited long enough: then it is written without a client
    rejects = table(tmp_path / "d", "rejects")
    lonely = rejects[rejects.queue_id == "rA37ZTSC026250"]
    assert len(lonely) == 1 and lonely.client_ip.isna().all()
    relay = rejects[rejects.reason_class == "relay_denied"]
    assert len(relay) == 5 and set(relay.stage) == {"RCPT"}
    assert relay.client_ip.notna().all() and relay.recipient.notna().all()


def test_sshguard_sendmail_attacker_ips(corpora):
    """sshguard keeps only the tail of the reject: it is put back into the check_rcpt
    line Sendmail writes (`relay=[IPv6:...]` for IPv6 clients)."""
    checked = 0
    for raw in (corpora / "sshguard" / "expected.jsonl").read_text().splitlines():
        case = json.loads(raw)
        if case["section"] != "sendmail":
            continue
        ip = case["expected"]["ip"]
        relay = f"[IPv6:{ip}]" if ":" in ip else f"[{ip}]"
        line = (
            "Feb 27 15:44:18 mx1 sm-mta[87838]: s1REiHdq087838: ruleset=check_rcpt, arg1=<a@b.example>, "
            f"relay={relay}, reject=550 5.7.1 <a@b.example>... {case['line']}"
        )
        event = list(parse_lines([line], tz="UTC", year=2005))[0]
        assert event["event"] == "reject" and event["reason_class"] == "relay_denied"
        assert event["client_ip"] == ip
        assert re.search(re.escape(ip), event["reason"])
        checked += 1
    assert checked == 2
