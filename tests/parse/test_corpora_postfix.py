"""Postfix lines from public test suites, checked against their own expected fields."""

import json
import re
from datetime import UTC, date, datetime

from analyzer.api import parse_lines

REFERENCE = date(2026, 12, 31)

# grok capture name -> our canonical field
GROK_FIELDS = {
    "postfix_queueid": "queue_id",
    "postfix_client_ip": "client_ip",
    "postfix_client_hostname": "client_name",
    "postfix_client_port": "client_port",
    "postfix_status": "status",
    "postfix_smtp_stage": "stage",
    "postfix_status_code": "code",
    "postfix_status_code_enhanced": "dsn",
}
KEYVALUE_FIELDS = {
    "from": "sender",
    "to": "recipient",
    "size": "size",
    "nrcpt": "nrcpt",
    "sasl_method": "sasl_method",
    "sasl_username": "sasl_username",
    "uid": "uid",
    "orig_to": "orig_recipient",
}
# grok sub-pattern fragments (not whole messages) are not lines of their own
FRAGMENTS = {"POSTFIX_COMMAND_COUNTER_DATA", "POSTFIX_DELAYS", "POSTFIX_TLS_FEATURES"}
KEYVALUE = re.compile(r"(\w+)=(<[^>]*>|[^,\s]+)")
MODELLED = {
    "connect",
    "disconnect",
    "client",
    "pickup",
    "script_header",
    "message_id",
    "queued",
    "delivery",
    "removed",
    "expired",
    "reject",
    "auth_failed",
}


def _parse(line):
    events = list(parse_lines([line], tz="UTC", reference=REFERENCE))
    assert len(events) == 1
    return events[0]


def _grok_cases(corpora):
    for raw in (corpora / "postfix-grok-patterns" / "expected.jsonl").read_text().splitlines():
        case = json.loads(raw)
        name = case["pattern"].strip("^$").removeprefix("%{").removesuffix("}")
        if name in FRAGMENTS:
            continue
        daemon = name.removeprefix("POSTFIX_").lower().replace("_", "-")
        yield case, f"Oct 26 18:13:50 mx1 postfix/{daemon}[123]: {case['data']}"


def test_grok_every_line_recognised(corpora):
    unparsed = [line for _, line in _grok_cases(corpora) if _parse(line)["event"] == "unparsed"]
    # What is left is listed so the number can only go down.
    assert len(unparsed) <= 12, "\n".join(unparsed)


def test_grok_expected_fields(corpora):
    checked = 0
    for case, line in _grok_cases(corpora):
        event = _parse(line)
        if event["event"] not in MODELLED:
            continue
        expected = {}
        for grok, ours in GROK_FIELDS.items():
            if grok in case["results"]:
                expected[ours] = case["results"][grok]
        for key, value in KEYVALUE.findall(case["results"].get("postfix_keyvalue_data", "")):
            if key in KEYVALUE_FIELDS and value.strip("<>"):
                expected[KEYVALUE_FIELDS[key]] = value.strip("<>")
        for field, value in expected.items():
            if field == "queue_id" and value == "NOQUEUE":
                assert "queue_id" not in event, line
                continue
            got = event.get(field)
            assert got is not None and str(got) == str(value), (line, field, got, value)
            checked += 1
    assert checked >= 100


def test_fail2ban_postfix_ip_and_time(corpora):
    """fail2ban's oracle: the attacker IP and time of every postfix line it bans on."""
    checked = 0
    for raw in (corpora / "fail2ban" / "expected.jsonl").read_text().splitlines():
        case = json.loads(raw)
        if not case["file"].endswith("/postfix") or not case["failJSON"].get("match"):
            continue
        expected = case["failJSON"]
        year = int(expected["time"][:4]) if "time" in expected else None
        events = list(parse_lines([case["line"]], tz="UTC", year=year))
        event = events[0]
        assert event["event"] != "unparsed", case["line"]
        assert event.get("client_ip") == expected["host"], (case["line"], event)
        if "time" in expected:
            want = datetime.strptime(expected["time"], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
            got = datetime.fromisoformat(event["ts"].replace("Z", "+00:00"))
            assert got == want
        if expected.get("user"):
            assert event.get("sasl_username") == expected["user"], case["line"]
        checked += 1
    assert checked >= 40


def test_sshguard_postfix_attacker_ips(corpora):
    for raw in (corpora / "sshguard" / "expected.jsonl").read_text().splitlines():
        case = json.loads(raw)
        if case["section"] != "postfix":
            continue
        line = case["line"]
        if not re.match(r"[A-Z][a-z]{2} |\d{4}-", line):  # sshguard keeps some bare messages
            line = "Nov 26 10:00:00 mx1 postfix/smtpd[1]: " + line
        event = _parse(line)
        if event["format"] is None:  # postgrey and friends: beside the MTA, counted only
            continue
        assert event["event"] != "unparsed", line
        assert event.get("client_ip") == case["expected"]["ip"], (line, event)


def test_lightmeter_and_logwatch_lines_recognised(corpora):
    """Nearly every Postfix line of the scenario files and the logwatch samples parses."""
    lines = []
    for path in sorted((corpora / "lightmeter" / "individual_files").glob("*.log")):
        lines += path.read_text(errors="replace").splitlines()
    lines += (
        (corpora / "logwatch-postfix-TD" / "lines.log").read_text(errors="replace").splitlines()
    )
    events = [
        e for e in parse_lines(lines, tz="UTC", reference=REFERENCE) if e.get("format") == "postfix"
    ]
    unparsed = [e["line"] for e in events if e["event"] == "unparsed"]
    assert len(events) > 1400
    assert len(unparsed) <= 25, "\n".join(unparsed)
