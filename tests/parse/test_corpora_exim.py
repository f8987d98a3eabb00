"""Exim lines from public test suites: Exim's own (format coverage), fail2ban's and
sshguard's (client IP, time and login of the lines they act on)."""

import json
import re
from collections import Counter

from analyzer.api import parse_lines

# Lines of exim-testsuite/lines.log no pattern reads. What is left is the test harness's
# own ACL `logwrite` output (tab-separated TLS/OCSP variable dumps, `rcpt ACL`, SPF/DKIM/ARC
# test values, "Test: ..." banners), not messages Exim itself writes. The number may
# only go down.
UNPARSED_CEILING = 1300
MODELLED = {"arrival", "delivery", "removed", "reject", "auth_failed", "cwd"}
# the `other` patterns a corpus line may land in (docs/formats.md lists them)
DOCUMENTED_OTHER = {
    "exim_smtp_notice",
    "exim_host_notice",
    "exim_dns_notice",
    "exim_spamassassin",
    "exim_auth_protocol",
    "exim_client_auth_failed",
    "exim_auth_ignored",
    "exim_message_notice",
    "exim_daemon_chatter",
}


def _events(lines, **kw):
    kw.setdefault("tz", "UTC")
    kw.setdefault("host", "mx1")
    return list(parse_lines(lines, **kw))


def test_exim_testsuite_every_line_is_an_event_or_documented(corpora):
    base = corpora / "exim-testsuite"
    lines = (base / "lines.log").read_text(errors="replace").splitlines()
    index = (base / "index.tsv").read_text().splitlines()
    events = _events(lines, format="exim")
    assert len(events) == len(lines)
    unparsed = [
        (index[i], line)
        for i, (line, e) in enumerate(zip(lines, events))
        if e["event"] == "unparsed"
    ]
    by_file = Counter(where.split("\t")[0] for where, _ in unparsed)
    assert len(unparsed) <= UNPARSED_CEILING, (len(unparsed), by_file.most_common(10))
    kinds = Counter(e["event"] for e in events)
    assert kinds["arrival"] > 3000 and kinds["delivery"] > 4000 and kinds["removed"] > 2500
    others = {e["pattern"] for e in events if e["event"] == "other"}
    assert others <= DOCUMENTED_OTHER, others - DOCUMENTED_OTHER
    assert all(
        e["format"] == "exim" and e["envelope"] == "exim" and e["host"] == "mx1"
        for e in events
        if e["event"] != "unparsed"
    )


def test_exim_testsuite_message_lines_all_parse(corpora):
    """Every arrival, delivery, completion, relay reject and AUTH failure line is read as
    one: a coverage gap there would lose messages, deliveries or attacks."""
    lines = (corpora / "exim-testsuite" / "lines.log").read_text(errors="replace").splitlines()
    events = _events(lines, format="exim")
    marker = re.compile(
        r"^\S+ \S+ (?:\[\d+\] )?[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} "
        r"(<=|=>|->|\*\*|==|\*>|Completed)"
    )
    expected = {
        "<=": "arrival",
        "=>": "delivery",
        "->": "delivery",
        "**": "delivery",
        "==": "delivery",
        "*>": "delivery",
        "Completed": "removed",
    }
    checked = 0
    for line, event in zip(lines, events):
        m = marker.match(line)
        if (
            m
            and not line.endswith("<system-filter> T=address_reply")
            and ">**bad-reply**" not in line
        ):
            assert event["event"] == expected[m[1]], line
            checked += 1
        if "relay not permitted" in line:
            assert event["event"] == "reject" and event["reason_class"] == "relay_denied", line
        if re.search(r"authenticator failed for", line):
            assert event["event"] == "auth_failed", line
    assert checked > 10000


def test_exim_arrival_fields(corpora):
    lines = (corpora / "exim-testsuite" / "lines.log").read_text(errors="replace").splitlines()
    arrivals = [e for e in _events(lines, format="exim") if e["event"] == "arrival"]
    assert sum(1 for e in arrivals if e.get("sasl_username")) >= 40
    assert sum(1 for e in arrivals if e.get("user")) >= 2000
    assert sum(1 for e in arrivals if e.get("client_ip")) >= 900
    assert sum(1 for e in arrivals if e.get("message_id")) >= 600
    assert all(e["queue_id"] for e in arrivals)


def _fail2ban(corpora, names):
    for raw in (corpora / "fail2ban" / "expected.jsonl").read_text().splitlines():
        case = json.loads(raw)
        if case["file"].rsplit("/", 1)[-1] in names:
            yield case


def test_fail2ban_exim_ip_time_and_user(corpora):
    checked = 0
    for case in _fail2ban(corpora, ("exim", "exim-spam")):
        expected = case["failJSON"]
        event = _events([case["line"]])[0]
        assert event["event"] != "unparsed", case["line"]
        if not expected.get("match"):
            continue
        assert event.get("client_ip") == expected["host"], (case["line"], event)
        if "time" in expected:
            assert event["ts"] == expected["time"] + "Z", case["line"]
        if expected.get("user"):
            assert event.get("sasl_username") == expected["user"], case["line"]
        checked += 1
    assert checked >= 50


def test_fail2ban_exim_auth_failures_name_the_login(corpora):
    lines = (corpora / "fail2ban" / "exim.log").read_text().splitlines()
    events = [e for e in _events(lines) if e["event"] == "auth_failed"]
    assert len(events) == 12
    assert {e.get("sasl_username") for e in events} >= {
        "brian",
        "scanner",
        "test@domain.com",
        "webmaster",
        "uaf589@example.com",
    }
    syslog = [e for e in events if e["envelope"] == "syslog"]
    assert {(e["host"], e["program"]) for e in syslog} == {
        ("mx1.fqdn.local", "exim"),
        ("mail.example.com", "exim"),
    }


def test_fail2ban_exim_relay_reject(corpora):
    lines = (corpora / "fail2ban" / "exim.log").read_text().splitlines()
    relay = [e for e in _events(lines) if e.get("reason_class") == "relay_denied"]
    assert [(e["client_ip"], e["recipient"], e["sender"]) for e in relay] == [
        ("202.132.70.178", "dir@ml3.ru", "menacedsj04@listserv.eurasia.org"),
        ("9.12.1.21", "locus@leone.tld", "user@example.tld"),
    ]
    assert relay[0]["pid"] == 10099 and relay[0]["stage"] == "RCPT"


def test_sshguard_exim_attacker_ips(corpora):
    checked = 0
    for raw in (corpora / "sshguard" / "expected.jsonl").read_text().splitlines():
        case = json.loads(raw)
        if case["section"] != "exim":
            continue
        line = case["line"]
        if not re.match(r"[A-Z][a-z]{2} |\d{4}-", line):  # sshguard keeps bare messages
            line = "2026-11-26 10:00:00 " + line
        event = _events([line])[0]
        assert event["event"] != "unparsed", line
        assert event.get("client_ip") == case["expected"]["ip"], (line, event)
        checked += 1
    assert checked == 14
