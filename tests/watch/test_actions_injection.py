"""Log lines are hostile: logins, script paths and names, IPs, queue ids and host names
that carry newlines, `;`, `$(..)`, backticks, quotes, spaces, NUL or unicode lookalikes
never reach an action's output. Each is counted as skipped; valid values next to them
still come out, and the shell script, run with stub commands, passes each one as exactly
one argument."""

import os
import re
import stat
import subprocess
from datetime import datetime, timedelta

import pandas as pd
import pytest
from conftest import MiniLog

from analyzer.actions import formats
from analyzer.actions.allowlist import Allowlist
from analyzer.actions.found import Found
from analyzer.actions.plan import plan
from analyzer.actions.propose import propose

PWN = "touch pwned"
LOGINS = [
    f"a\n{PWN}",
    f"x;{PWN}",
    f"$({PWN})",
    f"`{PWN}`",
    "it's@example.com",
    'a"b@example.com',
    "a b@example.com",
    "nul\x00@example.com",
    "\u0430dmin@example.com",  # Cyrillic a
    "-oProxyCommand=x",
    "#comment",
    "a\tREJECT@x.example",
]
PATHS = [
    f"/home/u/x.php;{PWN}",
    f"/home/u/$({PWN}).php",
    f"/home/u/`{PWN}`.php",
    "/home/u/it's.php",
    "/home/u/x\n.php",
    "/home/u/x\x00.php",
    "/home/u/\u0445.php",  # Cyrillic x
    "/home/u/../../etc/passwd",
    "relative/x.php",
    "/home/u/-rf.php",
    "/home/u/a|b.php",
]
NAMES = [f"x.php;{PWN}", f"$({PWN}).php", "a b.php", "x\n.php", "\u0445.php", "../x.php", "-n.php"]
IPS = [
    f"1.2.3.4;{PWN}",
    f"fe80::1%$({PWN})",
    "1.2.3.4\n5.6.7.8",
    "\uff11.2.3.4",
    "1.2.3.4 ",
    "300.1.1.1",
]
QIDS = [f"1A2B3C;{PWN}", "1A2B3C\n", "$(id)", "1A2B3C 4D5E6F", "\uff11A2B3C4D"]

GOOD_LOGIN, GOOD_IP, GOOD_PATH, GOOD_NAME, GOOD_QID = (
    "ok@example.com",
    "192.0.2.7",
    "/home/site1/public_html/a b.php",
    "good.php",
    "9F8E7D6C5B",
)


def incident(n: int, kind: str, subject: str, **facts) -> Found:
    return Found(f"{n:016x}", kind, "crit", subject, "s", [], "t", None, None, facts)


def hostile_incidents() -> list[Found]:
    out, n = [], 0
    for login in [*LOGINS, GOOD_LOGIN]:
        n += 1
        out.append(incident(n, "stolen_account", login, identity=f"sasl:{login}"))
    for ip in [*IPS, GOOD_IP]:
        n += 1
        out.append(incident(n, "auth_bruteforce", ip, client_ip=ip, succeeded_later=False))
        n += 1
        out.append(incident(n, "relay_spike", ip, local_count=0))
    n += 1  # a brute force that worked, as hostile accounts
    out.append(
        incident(
            n,
            "auth_bruteforce",
            GOOD_IP,
            client_ip=GOOD_IP,
            succeeded_later=True,
            succeeded_as=LOGINS[:3],
        )  # fmt: skip
    )
    for path in [*PATHS, GOOD_PATH]:
        n += 1
        out.append(
            incident(n, "spam_script", path, uid=1001, identity="uid:1001", script_path=path)
        )
    for name in [*NAMES, GOOD_NAME]:
        n += 1
        out.append(incident(n, "spam_script", name, uid=1001, identity="uid:1001", script=name))
    n += 1
    out.append(incident(n, "spam_script", "x", uid="1001;id", user="a;b", identity="uid:x",
                        script_path="/srv/x.php"))  # fmt: skip
    return out


@pytest.fixture
def hostile_plan(monkeypatch):
    """The incidents above, with a queue of hostile queue ids and host names."""
    queue = [(q, "mx1") for q in QIDS] + [(GOOD_QID, "mx1"), (GOOD_QID, "mx1;reboot")]
    frame = pd.DataFrame(
        {
            "host": [h for _, h in queue],
            "queue_id": [q for q, _ in queue],
            "identity": f"sasl:{GOOD_LOGIN}",
            "program": "postfix/submission/smtpd",
            "complete": False,
            "rejected": False,
        }
    )
    import analyzer.dataset.reading as reading

    monkeypatch.setattr(reading, "table", lambda *a, **k: frame)
    return plan(hostile_incidents(), Allowlist(), data="unused")


def test_every_hostile_value_is_skipped_and_counted(hostile_plan):
    p = hostile_plan
    expected = {
        "login": len(LOGINS) + 3,
        "IP": 2 * len(IPS),
        "path": len(PATHS),
        "file name": len(NAMES),
        "queue id": len(QIDS),
        "host": 1,
        "uid": 1,
        "user name": 1,
    }
    assert dict(p.skipped) == expected
    values = {(a.what, a.value) for a in p.actions}
    assert values == {
        ("refuse_login", GOOD_LOGIN),
        ("block_ip", GOOD_IP),
        ("stop_script", GOOD_PATH),
        ("stop_script", "/srv/x.php"),
        ("locate_script", GOOD_NAME),
        ("hold_queue", GOOD_QID),
    }


def _no_raw(text: str) -> None:
    assert "pwned" not in text and "\x00" not in text and "$(" not in text and "`" not in text
    assert text.isascii(), "a unicode lookalike came through"
    assert "it's" not in text and "-oProxy" not in text and "/../" not in text


@pytest.mark.parametrize("form", formats.FORMATS)
def test_no_hostile_value_reaches_any_format(hostile_plan, form):
    text = formats.render(hostile_plan, form, now=datetime(2026, 11, 26))
    _no_raw(text)
    lines = text.splitlines()
    if form == "postfix-map":
        entries = [x for x in lines if not x.startswith("#")]
        assert entries == [f"{GOOD_LOGIN}\tREJECT account suspended by the abuse desk"]
    elif form == "nft":
        entries = [x for x in lines if not x.startswith("#") and x.startswith("add element")]
        assert entries == [f"add element inet analyzer block4 {{ {GOOD_IP} }}"] * 3
    elif form == "fail2ban":
        assert len(lines) == 3
        assert all(
            re.fullmatch(r"\S+ analyzer: incident \w+ [0-9a-f]{16} from 192\.0\.2\.7", x)
            for x in lines
        )
    if form != "fail2ban":
        assert "failed validation and were skipped" in lines[-1] or any(
            "failed validation" in x for x in lines
        )


STUBS = ("postsuper", "exim", "nft", "chmod", "postmap")


def test_the_shell_script_passes_each_value_as_one_argument(hostile_plan, tmp_path, monkeypatch):
    stubs = tmp_path / "bin"
    stubs.mkdir()
    record = tmp_path / "calls"
    for name in STUBS:
        stub = stubs / name
        stub.write_text(
            f"#!/bin/sh\nprintf '%s' {name} >> {record}\n"
            f"for a; do printf '\\037%s' \"$a\" >> {record}; done\nprintf '\\036' >> {record}\n"
        )
        stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    sasl_map = tmp_path / "sasl_access"
    monkeypatch.setattr(formats, "SASL_MAP", str(sasl_map))
    script = tmp_path / "actions.sh"
    script.write_text(formats.render(hostile_plan, "sh"))
    work = tmp_path / "cwd"
    work.mkdir()
    env = {**os.environ, "PATH": f"{stubs}:/usr/bin:/bin"}
    done = subprocess.run(["sh", str(script)], cwd=work, env=env, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert not list(work.iterdir()) and not (tmp_path / "pwned").exists()
    calls = [c.split("\x1f") for c in record.read_text().split("\x1e") if c]
    assert sorted(calls) == sorted(
        [
            ["nft", "add", "element", "inet", "analyzer", "block4", f"{{ {GOOD_IP} }}"],
            ["nft", "add", "element", "inet", "analyzer", "block4", f"{{ {GOOD_IP} }}"],
            ["nft", "add", "element", "inet", "analyzer", "block4", f"{{ {GOOD_IP} }}"],
            ["chmod", "000", "--", GOOD_PATH],
            ["chmod", "000", "--", "/srv/x.php"],
            ["postsuper", "-h", GOOD_QID],
            ["postmap", str(sasl_map)],
        ]
    )
    assert sasl_map.read_text() == f"{GOOD_LOGIN}\tREJECT account suspended by the abuse desk\n"


def test_hostile_logins_and_script_names_from_a_log(tmp_path):
    """End to end: the parser reads these from real log lines; actions skip them."""
    log = MiniLog()
    day = datetime(2026, 11, 26)
    evil_login = f"$({PWN})`id`;x@evil.example"
    evil_script = f"x;{PWN}.php"
    for i in range(60):
        log.sasl_message(day + timedelta(hours=13, seconds=55 * i), evil_login,
                         f"203.0.113.{i % 12 + 100}", "b@evil.example", [(f"r{i}@g.example", "sent")])  # fmt: skip
    for i in range(120):
        log.local_message(day + timedelta(hours=20, seconds=25 * i), 1005, evil_script,
                          "site1005@mx1.example", [(f"x{i}@d{i}.example", "bounced" if i % 3 == 0 else "sent")])  # fmt: skip
    data = log.ingest(tmp_path)
    p = propose(data, since="2026-11-26", until="2026-11-27", tz="UTC", allow=Allowlist())
    assert {f.kind for f in p.incidents} == {"stolen_account", "spam_script"}
    assert p.skipped["login"] == 1 and p.skipped["file name"] == 1
    for form in formats.FORMATS:
        _no_raw(formats.render(p, form))
