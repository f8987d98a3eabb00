"""The text and syslog forms of an alert: hostile log text (newlines, CR, ESC, the Unicode
line separators, a forged `Subject:` line or syslog field) stays inside its one line;
the syslog form reaches a UNIX datagram socket the test binds itself; `--output` picks
the form (JSON lines when stdout is not a terminal)."""

import json
import socket
from datetime import datetime, timedelta

import pytest
from conftest import MiniLog
from typer.testing import CliRunner

from analyzer.cli.app import app
from analyzer.watch.mail_text import Text, render
from analyzer.watch.rate_limit import summary
from analyzer.watch.syslog_line import Syslog, message

EVIL = 'x\nSubject: forged\r\n\x1b[2J\u2028Who: forged\u2029\x85 "quoted" \\ ok'


def hostile_alert(**over) -> dict:
    alert = {
        "id": "0123456789abcdef",
        "kind": "stolen_account",
        "state": "open",
        "subject": EVIL,
        "severity": "crit",
        "first_seen": "2026-11-26T13:00:00Z",
        "last_seen": "2026-11-26T13:40:00Z",
        "detected_at": "2026-11-26T13:40:05Z",
        "title": "SASL account: stolen password?" + EVIL,
        "summary": "many client IPs" + EVIL,
        "reasons": ["12 client IPs", EVIL],
        "facts": {
            "identity": "sasl:" + EVIL,
            "top_clients": [{"value": EVIL, "count": 3}],
            "client_name": None,
            "stopped": False,
        },  # fmt: skip
        "actions": [
            {"what": "refuse_login", "value": "info@bakery.example", "mta": "postfix"},
            {"what": "hold_queue", "value": "4F2A1B3C9D", "mta": "postfix", "host": "mx1"},
        ],
    }
    alert.update(over)
    return alert


def test_text_is_mail_ready_and_log_text_cannot_forge_lines():
    text = render(hostile_alert())
    lines = text.splitlines()
    assert lines[0].startswith("Subject: [analyzer] open crit stolen_account: x\\nSubject")
    assert lines[1] == ""
    assert [x for x in lines if x.startswith("Subject:")] == [lines[0]]
    assert not [x for x in lines if x.startswith("Who: forged")]
    assert len([x for x in lines if x.startswith("Who:")]) == 1
    assert "\x1b" not in text and "\u2028" not in text and "\u2029" not in text
    assert "\x85" not in text and "\r" not in text
    assert "\\u2028" in text and "\\x1b[2J" in text
    for label in ("What:", "Who:", "Since:", "State:", "Incident:", "Why:"):
        assert sum(x.startswith(label) for x in lines) == 1, label
    assert "Since:    2026-11-26T13:00:00Z (first log line)" in text
    assert "  - refuse_login info@bakery.example (mta postfix)" in lines
    assert "  - hold_queue 4F2A1B3C9D (mta postfix, host mx1)" in lines
    # a line per reason and per fact, nothing more
    why = lines.index("Why:")
    assert lines[why + 2 : why + 4] == ["  - 12 client IPs", "  - " + lines[why + 3][4:]]
    assert lines[why + 4] == ""
    facts = lines[why + 6 : lines.index("Proposed actions (not run):") - 1]
    assert facts[1].startswith("  top_clients: x\\nSubject: forged") and facts[1].endswith("(3)")
    assert len(facts) == 3 and facts[2] == "  stopped: no"  # None left out


def test_text_of_an_alert_without_actions_and_of_a_summary(capsys):
    out = render(hostile_alert(actions=[], facts={}, state="closed"))
    assert out.splitlines()[-1] == "  none"
    left = [
        hostile_alert(id=f"{i:016x}", kind="auth_bruteforce", severity="warn") for i in range(30)
    ]
    s = summary(left, "2026-11-26T13:40:05Z")
    Text()(s)
    text = capsys.readouterr().out
    assert text.startswith("Subject: [analyzer] 30 more alerts\n\n")
    assert "  auth_bruteforce: 30 open" in text
    assert "and 10 more" in text and text.endswith("\n\n")


def test_a_summary_names_what_it_left_out():
    left = [hostile_alert(id="a" * 16), hostile_alert(id="b" * 16, kind="relay_spike",
            state="closed", severity="warn", first_seen="2026-11-26T12:00:00Z")]  # fmt: skip
    s = summary(left, "2026-11-26T13:40:05Z")
    assert s["kind"] == "summary" and s["state"] == "summary" and s["severity"] == "crit"
    assert s["counts"] == {"relay_spike": {"closed": 1}, "stolen_account": {"open": 1}}
    assert s["left_out"] == ["a" * 16, "b" * 16]
    assert s["first_seen"] == "2026-11-26T12:00:00Z" and len(s["id"]) == 16
    # the fields of any alert, so a consumer of the JSON needs no special case
    assert {"id", "kind", "state", "subject", "severity", "first_seen", "last_seen",
            "detected_at", "title", "summary", "reasons", "facts", "actions"} <= set(s)  # fmt: skip
    assert s["reasons"] == ["1 relay_spike closed", "1 stolen_account open"] and not s["actions"]


def test_syslog_line_escapes_log_text():
    line = message(hostile_alert())
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert line.isascii() and line.startswith('incident "stolen_account" 0123456789abcdef "open"')
    # the subject is one JSON string: the forged field stays inside it
    subject = line.split(" subject=", 1)[1]
    assert json.JSONDecoder().raw_decode(subject)[0] == EVIL


@pytest.fixture
def syslog_socket(tmp_path):
    path = str(tmp_path / "log.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    yield path, sock
    sock.close()


def test_syslog_sends_one_datagram_per_alert(syslog_socket):
    path, sock = syslog_socket
    out = Syslog(path, "mail")
    out(hostile_alert())
    out(hostile_alert(state="closed", severity="warn", subject="203.0.113.9"))
    out.close()
    first = sock.recv(65536).decode("ascii")
    second = sock.recv(65536).decode("ascii")
    # <facility mail (2) * 8 + crit (2)>, then notice (5) for a closed alert
    assert first.startswith("<18>analyzer: incident ") and first.endswith("\x00")
    assert "\n" not in first and "\\nSubject: forged" in first
    assert second.startswith("<21>analyzer: incident ") and '"closed"' in second


def test_syslog_errors_are_reported_not_raised(tmp_path, syslog_socket):
    path, sock = syslog_socket
    errors: list[str] = []
    out = Syslog(path, on_error=errors.append)
    sock.close()
    (tmp_path / "log.sock").unlink()
    out(hostile_alert())
    assert errors and "alert not sent" in errors[0]
    with pytest.raises(ValueError, match="unknown facility"):
        Syslog(path, "nonsense")
    assert not Syslog(str(tmp_path / "missing.sock")).connected


def brute_force_log(tmp_path, ips: int = 1):
    log = MiniLog()
    for n in range(ips):
        for i in range(55):
            t = datetime(2026, 11, 26, 3) + timedelta(seconds=30 * i + n)
            log.auth_failure(t, f"192.0.2.{n + 1}", f"user{i % 7}")
    path = tmp_path / "maillog"
    path.write_text("\n".join(log.lines) + "\n")
    return ["watch", str(path), "--data", str(tmp_path / "data"), "--tz", "UTC", "--year",
            "2026", "--once"]  # fmt: skip


def test_the_command_writes_text_and_syslog(tmp_path, syslog_socket):
    path, sock = syslog_socket
    args = brute_force_log(tmp_path)
    res = CliRunner().invoke(app, [*args, "--output", "syslog", "--syslog-socket", path])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    got = sock.recv(65536).decode("ascii")
    assert got.startswith('<28>analyzer: incident "auth_bruteforce"')  # daemon, warning
    assert 'subject="192.0.2.1"' in got and 'actions="block_ip:192.0.2.1"' in got
    (tmp_path / "data" / "_state" / "watch.json").unlink()
    res = CliRunner().invoke(app, [*args, "--output", "text"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("Subject: [analyzer] open warn auth_bruteforce: 192.0.2.1\n")
    assert "  - block_ip 192.0.2.1" in res.stdout
    (tmp_path / "data" / "_state" / "watch.json").unlink()
    bad = CliRunner().invoke(app, [*args, "--output", "syslog", "--syslog-socket",
                                   str(tmp_path / "none.sock")])  # fmt: skip
    assert bad.exit_code == 0 and bad.stdout == ""
    assert "nothing listens on" in bad.stderr and "alert not sent" in bad.stderr


def test_json_stays_the_default_off_a_terminal(tmp_path):
    res = CliRunner().invoke(app, brute_force_log(tmp_path))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["subject"] == "192.0.2.1"


def test_text_is_the_default_on_a_terminal(monkeypatch):
    import sys

    from analyzer.cli.watch_commands import alert_output
    from analyzer.watch.outputs import JsonLines

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert isinstance(alert_output(None, "/dev/log", "daemon"), Text)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert isinstance(alert_output(None, "/dev/log", "daemon"), JsonLines)
    assert isinstance(alert_output("text", "/dev/log", "daemon"), Text)


def test_syslog_to_a_udp_server_is_rfc5424(tmp_path):
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    port = server.getsockname()[1]
    out = Syslog(facility="mail", server=f"udp://127.0.0.1:{port}")
    assert out.connected
    out(hostile_alert())
    out.close()
    got = server.recv(65536).decode("ascii")
    server.close()
    # <mail*8+crit>1 TIME HOST APP PID MSGID SD MSG, one datagram, log text escaped
    head, when, host, app, pid, msgid, sd, msg = got.split(" ", 7)
    pri, version = head[:-1], head[-1]
    assert (pri, version, app, msgid, sd) == ("<18>", "1", "analyzer", "-", "-")
    assert datetime.fromisoformat(when.replace("Z", "+00:00")).tzinfo is not None
    assert host and pid.isdigit() and "\n" not in got
    assert msg.startswith('incident "stolen_account" 0123456789abcdef "open"')


def test_syslog_to_a_tcp_server_frames_and_reconnects(tmp_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    errors: list[str] = []
    out = Syslog(server=f"tcp://127.0.0.1:{port}", on_error=errors.append)
    assert not out.connected  # bound, not listening: tried again at each alert
    out(hostile_alert())
    assert errors and "alert not sent" in errors[0]
    listener.listen(1)
    listener.settimeout(5)
    out(hostile_alert(state="closed"))
    conn, _ = listener.accept()
    conn.settimeout(5)
    data = conn.recv(65536)
    while not data.endswith(b'"'):  # the frame's last field is a JSON string
        data += conn.recv(65536)
    length, frame = data.split(b" ", 1)
    assert int(length) == len(frame) and frame.startswith(b"<29>1 ")  # daemon, notice
    assert b' "closed" ' in frame
    out.close()
    conn.close()
    listener.close()


@pytest.mark.parametrize(
    "url", ["http://x:514", "udp://", "tcp://host:99999", "udp://host/path", "host:514"]
)
def test_a_bad_syslog_server_is_one_line(tmp_path, url):
    args = brute_force_log(tmp_path)
    res = CliRunner().invoke(app, [*args, "--output", "syslog", "--syslog-server", url])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "--syslog-server" in res.stderr and len(res.stderr.strip().splitlines()) == 1
