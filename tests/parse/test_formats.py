"""Header readers beside BSD/RFC 3339 syslog, detection of what a file holds, `--format`,
`--host`, and the order sources are read in."""

import json
import os
import socket
import subprocess
import sys

import pytest
from helpers import ingest, table

from analyzer import api
from analyzer.errors import AnalyzerError
from analyzer.ingest.plan import order_sources
from analyzer.parse.events import default_host
from analyzer.parse.header import sniff_format
from analyzer.read.sources import expand

QMGR = "postfix/qmgr[1]: 4F2A11C0E3: removed"


def _one(line, **kw):
    kw.setdefault("tz", "UTC")
    kw.setdefault("host", "mx1")
    return next(api.parse_lines([line], **kw))


@pytest.mark.parametrize(
    "line,ts,envelope",
    [
        # journalctl -o short-iso: an offset without a colon
        (f"2026-11-26T09:05:01+0100 mx1 {QMGR}", "2026-11-26T08:05:01Z", "syslog"),
        (f"2026-11-26T09:05:01.250-0330 mx1 {QMGR}", "2026-11-26T12:35:01.250000Z", "syslog"),
        # Exim's own lines: naive (read in --tz), with milliseconds, with log_timezone
        ("2026-11-26 09:05:01 1vAbCd-00000X-Q1 Completed", "2026-11-26T08:05:01Z", "exim"),
        (
            "2026-11-26 09:05:01.123 1vAbCd-00000X-Q1 Completed",
            "2026-11-26T08:05:01.123000Z",
            "exim",
        ),
        (
            "2026-11-26 09:05:01 +0000 [77] 1vAbCd-00000X-Q1 Completed",
            "2026-11-26T09:05:01Z",
            "exim",
        ),
        ("2026-11-26 09:05:01.5 +0200 1vAbCd-00000X-Q1 Completed", None, None),
    ],
)
def test_iso_and_exim_timestamps(line, ts, envelope):
    event = _one(line, tz="Europe/Berlin")
    if ts is None:  # `.5` is not Exim's millisecond form: not read as a time
        assert event["event"] == "unparsed"
        return
    assert event["ts"] == ts and event["event"] == "removed", event
    assert event["envelope"] == envelope


def test_php_file_form_uses_its_zone_identifier():
    line = (
        "[06-Oct-2016 01:38:43 America/Chicago] mail() on [/home/domain/public_html/tmp/test.php:9]: "
        "To: Jack@test.com -- Headers: "
    )
    event = _one(line, tz="Asia/Tokyo")  # --tz does not apply: PHP named its zone
    assert event["ts"] == "2016-10-06T06:38:43Z"
    assert (event["format"], event["envelope"], event["host"], event["program"]) == (
        "phpmail",
        "phpmail",
        "mx1",
        "php",
    )
    utc = _one(line.replace("America/Chicago", "UTC"), tz="Asia/Tokyo")
    assert utc["ts"] == "2016-10-06T01:38:43Z"
    # a name PHP could not have written falls back to --tz
    odd = _one(line.replace("America/Chicago", "Mars/Olympus"), tz="UTC")
    assert odd["ts"] == "2016-10-06T01:38:43Z" and odd["event"] == "php_mail"


def test_php_without_a_date_is_unparsed_not_guessed():
    event = _one("mail() on [/var/www/x.php:3]: To: a@b.example -- Headers: ")
    assert event["event"] == "unparsed" and event["reason"] == "no timestamp"


def test_journal_json():
    entry = {
        "__REALTIME_TIMESTAMP": "1795856701000123",
        "_HOSTNAME": "mx2",
        "SYSLOG_IDENTIFIER": "postfix/qmgr",
        "_PID": "77",
        "SYSLOG_PID": "78",
        "MESSAGE": "4F2A11C0E3: removed",
    }
    event = _one(json.dumps(entry))
    assert event["ts"] == "2026-11-28T09:05:01.000123Z"
    assert (event["host"], event["program"], event["pid"]) == ("mx2", "postfix/qmgr", 78)
    assert (event["event"], event["format"], event["envelope"]) == ("removed", "postfix", "journal")
    # MESSAGE as an array of bytes (not valid UTF-8), no SYSLOG_PID, no host
    raw = "4F2A11C0E3: client=caf\xe9[192.0.2.1]".encode("latin-1")
    entry.update(MESSAGE=list(raw), SYSLOG_IDENTIFIER="postfix/smtpd")
    del entry["SYSLOG_PID"], entry["_HOSTNAME"]
    event = _one(json.dumps(entry))
    assert event["client_name"] == "caf\ufffd" and event["pid"] == 77 and event["host"] == "mx1"
    # Exim under journald keeps its own timestamp in MESSAGE
    entry.update(SYSLOG_IDENTIFIER="exim", MESSAGE="2026-11-28 09:05:01 1vAbCd-00000X-Q1 Completed")
    event = _one(json.dumps(entry))
    assert event["event"] == "removed" and event["queue_id"] == "1vAbCd-00000X-Q1"
    assert _one('{"MESSAGE": "no time"}')["event"] == "unparsed"


def test_syslog_oddities():
    event = _one(
        "Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: 55HIbcGI002794: from=<root@yourhost.com>, "
        "size=108, class=0, nrcpts=0, proto=ESMTP, daemon=MTA-v4, relay=[192.168.1.45]",
        year=2005,
    )
    assert (event["host"], event["program"], event["client_ip"]) == (
        "robin",
        "sm-mta",
        "192.168.1.45",
    )
    event = _one(
        "Oct 14 19:45:05 [exim] LOGIN authenticator failed for (localhost) [46.148.40.63]: 535 "
        "Incorrect authentication data (set_id=tun)",
        year=2026,
    )
    assert (event["host"], event["program"], event["sasl_username"]) == ("mx1", "exim", "tun")
    event = _one(
        "mail.example.com exim[3751842]: 2021-07-17 23:20:49 plain_server authenticator failed for "
        "([192.0.2.17]) [192.0.2.27]: 535 Incorrect authentication data"
    )
    assert (event["ts"], event["host"], event["pid"], event["client_ip"]) == (
        "2021-07-17T23:20:49Z",
        "mail.example.com",
        3751842,
        "192.0.2.27",
    )


def test_exim_syslog_forms():
    """The same messages under a syslog prefix, with or without Exim's own time and pid."""
    for line in (
        "Nov 26 09:00:00 mx1 exim[10099]: 1vAbCd-00000X-Q1 Completed",
        "Nov 26 09:00:00 mx1 exim4[10099]: 2026-11-26 09:00:00 [10099] 1vAbCd-00000X-Q1 Completed",
        "2026-11-26 09:00:00 mx1 exim[10099]: [10099] 1vAbCd-00000X-Q1 Completed",
    ):
        event = _one(line, year=2026)
        assert (event["event"], event["queue_id"], event["pid"], event["envelope"]) == (
            "removed",
            "1vAbCd-00000X-Q1",
            10099,
            "syslog",
        ), line
    # an Exim line whose words look like `host program:` is still Exim's own
    event = _one(
        "2013-12-30 00:24:50 1VxPit-000MMd-U4 SA: Action: flagged as Spam but accepted: score=8.2 "
        "(host=x.example [178.123.108.196]) for trap@example.com"
    )
    assert event["envelope"] == "exim" and event["client_ip"] == "178.123.108.196"


@pytest.mark.parametrize(
    "lines,expected",
    [
        (
            [
                "Nov 26 09:00:00 mx1 postfix/qmgr[1]: 4F2A11C0E3: removed",
                "Nov 26 09:00:00 mx1 dovecot: imap-login: Login",
            ],
            ("postfix", False),
        ),
        (
            [
                "Nov 26 09:00:00 mx1 sm-mta[1]: 5AQA01aa003100: from=<a@b>, size=1, class=0, nrcpts=1"
            ],
            ("sendmail", False),
        ),
        (
            [
                "2026-11-26 09:00:00 1vAbCd-00000X-Q1 Completed",
                "2026-11-26 09:00:01 Start queue run: pid=1",
            ],
            ("exim", True),
        ),
        (["Nov 26 09:00:00 mx1 exim[1]: 1vAbCd-00000X-Q1 Completed"], ("exim", False)),
        (
            ["[26-Nov-2026 09:00:00 UTC] mail() on [/x.php:1]: To: a@b -- Headers: "],
            ("phpmail", True),
        ),
        (
            ["Nov 26 09:00:00 mx1 php-fpm: mail() on [/x.php:1]: To: a@b -- Headers: "],
            ("phpmail", False),
        ),
        (['{"__REALTIME_TIMESTAMP": "1", "MESSAGE": "x"}'], ("journal", False)),
        (["Nov 26 09:00:00 mx1 kernel: eth0 up"], ("postfix", False)),
        (["binary junk", ""], (None, False)),
    ],
)
def test_sniff_format(lines, expected):
    assert sniff_format(lines) == expected


def test_host_default_is_the_short_host_name():
    assert default_host() == socket.gethostname().split(".")[0]
    event = next(api.parse_lines(["2026-11-26 09:00:00 1vAbCd-00000X-Q1 Completed"], tz="UTC"))
    assert event["host"] == default_host()


def test_forced_format_and_errors(tmp_path):
    log = tmp_path / "log"
    log.write_text("2026-11-26 09:00:00 1vAbCd-00000X-Q1 Completed\n")
    event = next(api.parse_lines(log.read_text().splitlines(), tz="UTC", format="exim", host="h"))
    assert event["host"] == "h" and event["event"] == "removed"
    with pytest.raises(AnalyzerError, match="format must be one of"):
        ingest([log], tmp_path / "d", format="qmail")
    with pytest.raises(AnalyzerError, match="passwd"):
        ingest([log], tmp_path / "d", passwd=tmp_path / "nope")


def test_parse_command_shows_format_and_envelope(tmp_path):
    log = tmp_path / "mixed.log"
    log.write_text(
        "Nov 26 09:00:00 mx1 postfix/qmgr[1]: 4F2A11C0E3: removed\n"
        "Nov 26 09:00:01 mx1 sm-mta[2]: 5AQA01aa003100: AUTH=server, relay=[192.0.2.1], "
        "authid=a@b.example, mech=PLAIN, bits=0\n"
        "Nov 26 09:00:02 mx1 exim[3]: 1vAbCd-00000X-Q1 Completed\n"
        "Nov 26 09:00:03 mx1 php-fpm: mail() on [/x.php:1]: To: a@b.example -- Headers: \n"
        "2026-11-26 09:00:04 1vAbCd-00000X-Q2 Completed\n"
    )
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "parse",
            str(log),
            "--tz",
            "UTC",
            "--year",
            "2026",
            "--host",
            "mx9",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(e["format"], e["envelope"]) for e in events] == [
        ("postfix", "syslog"),
        ("sendmail", "syslog"),
        ("exim", "syslog"),
        ("phpmail", "syslog"),
        ("exim", "exim"),
    ]
    assert events[-1]["host"] == "mx9"
    bad = subprocess.run(
        [sys.executable, "-m", "analyzer", "parse", str(log), "--format", "qmail"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode != 0 and "qmail" in bad.stderr and "Traceback" not in bad.stderr


def test_php_logs_are_read_first(tmp_path):
    (tmp_path / "maillog").write_text("Nov 26 09:00:00 mx1 postfix/qmgr[1]: 4F2A11C0E3: removed\n")
    (tmp_path / "maillog.1").write_text(
        "Nov 25 09:00:00 mx1 postfix/qmgr[1]: 4F2A11C0E3: removed\n"
    )
    (tmp_path / "x_mail.log").write_text(
        "[26-Nov-2026 09:00:00 UTC] mail() on [/x.php:1]: To: a@b -- Headers: \n"
    )
    (tmp_path / "a_exim").write_text("2026-11-26 09:00:00 1vAbCd-00000X-Q1 Completed\n")
    ordered = order_sources(expand([str(tmp_path)]))
    assert [os.path.basename(s.path) for s in ordered] == [
        "x_mail.log",
        "a_exim",
        "maillog.1",
        "maillog",
    ]
    assert [s.format for s in ordered] == ["phpmail", "exim", "postfix", "postfix"]


def test_exim_native_log_ingests_under_host(tmp_path):
    log = tmp_path / "mainlog"
    log.write_text(
        "2026-11-26 09:00:00 1vAbCd-00000X-Q1 <= a@b.example H=mx.b.example [192.0.2.5] P=esmtp "
        "S=1000 id=x@b\n"
        "2026-11-26 09:00:01 1vAbCd-00000X-Q1 => info <info@shop-anna.example> R=virtual_user "
        "T=virtual_userdelivery\n"
        "2026-11-26 09:00:01 1vAbCd-00000X-Q1 Completed\n"
    )
    ingest([log], tmp_path / "d", host="mx7")
    messages = table(tmp_path / "d", "messages")
    assert messages[["host", "queue_id", "identity", "origin", "complete"]].values.tolist() == [
        ["mx7", "1vAbCd-00000X-Q1", "ip:192.0.2.5", "smtp", True]
    ]
    deliveries = table(tmp_path / "d", "deliveries")
    assert deliveries[["program", "recipient", "relay", "status"]].values.tolist() == [
        ["exim/local", "info@shop-anna.example", "virtual_userdelivery", "sent"]
    ]
