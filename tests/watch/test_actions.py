"""`analyzer actions`: the planted incidents of the sample day give the actions an abuse
desk takes, in every format; the allowlist is never acted on; queued mail of a stolen
account is held by queue id."""

import json
import re
from datetime import datetime, timedelta

import pytest
from conftest import MiniLog
from typer.testing import CliRunner

from analyzer.actions import allowlist, formats, validate
from analyzer.actions.found import found_in, incident_id
from analyzer.actions.propose import propose
from analyzer.cli.app import app
from analyzer.nightly.model import build

ALL = dict(since="all", tz="UTC")


def run(*args):
    res = CliRunner().invoke(app, ["actions", *args])
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture(scope="module")
def sample_plan(sample):
    return propose(sample.data, **ALL, allow=allowlist.load(None))


def test_the_planted_incidents_get_their_actions(sample, sample_plan):
    kinds = {f.kind: f for f in sample_plan.incidents}
    assert set(kinds) == {"stolen_account", "spam_script", "relay_spike", "auth_bruteforce"}
    got = {(a.what, a.kind, a.value) for a in sample_plan.actions}
    assert ("refuse_login", "stolen_account", "info@bakery-berlin.example") in got
    assert ("block_ip", "auth_bruteforce", "203.0.113.66") in got
    # the brute force worked: the account it logged in as is refused too
    assert ("refuse_login", "auth_bruteforce", "office@shop-anna.example") in got
    # the spam script is named by its header only: located by name and uid
    assert ("locate_script", "spam_script", "wp-xmlrpc-cache.php") in got
    # the local relay spike (a web app on localhost) blocks nothing
    relay = kinds["relay_spike"]
    assert sample_plan.of(relay) == []
    assert not sample_plan.skipped and not sample_plan.allowlisted


def test_ids_are_stable_and_derived_from_kind_subject_and_hour(sample):
    one = found_in(build(sample.data, **ALL))
    two = found_in(build(sample.data, **ALL, users={1017: "site1017"}))
    assert [f.id for f in one] == [f.id for f in two]  # the passwd name changes no id
    assert len({f.id for f in one}) == 4 and all(re.fullmatch(r"[0-9a-f]{16}", f.id) for f in one)
    t = datetime(2026, 11, 26, 13, 5)
    assert incident_id("x", "s", t) == incident_id("x", "s", t + timedelta(minutes=50))
    assert incident_id("x", "s", t) != incident_id("x", "s", t + timedelta(hours=1))


def test_every_format_on_the_cli(sample):
    base = ["--data", str(sample.data), "--since", "all", "--tz", "UTC"]
    sh = run(*base).stdout
    assert sh.startswith("#!/bin/sh\n") and "set -eu" in sh
    assert "nft add element inet analyzer block4 '{ 203.0.113.66 }'" in sh
    assert "postmap /etc/postfix/sasl_access" in sh
    assert "find / -xdev -type f -name wp-xmlrpc-cache.php -uid 1017" in sh
    pmap = run(*base, "--format", "postfix-map").stdout
    entries = [line for line in pmap.splitlines() if not line.startswith("#")]
    assert sorted(entries) == [
        "info@bakery-berlin.example\tREJECT account suspended by the abuse desk",
        "office@shop-anna.example\tREJECT account suspended by the abuse desk",
    ]
    nft = run(*base, "--format", "nft").stdout
    assert "add element inet analyzer block4 { 203.0.113.66 }" in nft
    f2b = run(*base, "--format", "fail2ban").stdout.splitlines()
    assert len(f2b) == 1
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ analyzer: incident auth_bruteforce [0-9a-f]{16} "
        r"from 203\.0\.113\.66",
        f2b[0],
    )


def test_the_allowlist_is_never_acted_on(sample, tmp_path):
    listed = tmp_path / "allow"
    listed.write_text("# monitoring\n203.0.113.0/24\n@bakery-berlin.example  # our own\n")
    res = run(
        "--data", str(sample.data), "--since", "all", "--tz", "UTC",
        "--allowlist", str(listed), "--allow", "sasl:office@shop-anna.example", "--allow", "uid:1017",
    )  # fmt: skip
    assert "203.0.113.66" not in res.stdout
    assert "bakery-berlin" not in res.stdout and "office@shop-anna" not in res.stdout
    assert "wp-xmlrpc-cache.php" not in res.stdout
    assert "allowlisted: 1 block_ip, 1 locate_script, 2 refuse_login" in res.stdout
    assert "allowlisted: 1 block_ip, 1 locate_script, 2 refuse_login" in res.stderr


def test_allowlist_entries_are_checked(tmp_path):
    allow = allowlist.load(
        None, ["192.0.2.0/24", "uid:33", "user:www-data", "/srv/ok/"], ["10.0.0.1"]
    )
    assert allow.ip("192.0.2.9") and allow.ip("127.0.0.1") and allow.ip("10.0.0.1")
    assert allow.ip("::1") and not allow.ip("198.51.100.1")
    assert allow.uid(33) and allow.user("www-data") and allow.path("/srv/ok/x.php")
    assert not allow.path("/srv/okay.php")
    for bad in ("uid:x", "not a thing", "sasl:a b", "$(id)"):
        with pytest.raises(allowlist.AllowlistError, match="is not an IP"):
            allowlist.load(None, [bad])
    file = tmp_path / "allow"
    file.write_text("192.0.2.1\nbad entry here\n")
    with pytest.raises(allowlist.AllowlistError, match=r":2: 'bad entry here'"):
        allowlist.load(file)


@pytest.fixture(scope="module")
def queued(tmp_path_factory):
    """A stolen account whose last messages are still in the queue (no `removed` yet)."""
    log = MiniLog()
    day = datetime(2026, 11, 26, 13)
    for i in range(60):
        log.sasl_message(
            day + timedelta(seconds=50 * i),
            "victim@example.com",
            f"203.0.113.{i % 12 + 100}",
            "victim@example.com",
            [(f"r{i}@gmail.example", "sent")],
        )
    held = []
    for i in range(3):  # accepted, not yet delivered
        ts = day + timedelta(minutes=55, seconds=i)
        log.queue += 0x1111
        qid = f"{log.queue:X}"
        held.append(qid)
        log._at(ts, "postfix/submission/smtpd", 4000 + i,
                f"{qid}: client=c.example[203.0.113.9], sasl_method=PLAIN, "
                "sasl_username=victim@example.com")  # fmt: skip
        log._at(
            ts,
            "postfix/qmgr",
            901,
            f"{qid}: from=<victim@example.com>, size=9, nrcpt=1 (queue active)",
        )
    return log.ingest(tmp_path_factory.mktemp("queued")), held


def test_queued_mail_of_a_stolen_account_is_held_by_queue_id(queued):
    data, held = queued
    plan = propose(
        data, since="2026-11-26", until="2026-11-27", tz="UTC", allow=allowlist.load(None)
    )
    holds = [a for a in plan.actions if a.what == "hold_queue"]
    assert sorted(a.value for a in holds) == sorted(held)
    assert {(a.mta, a.host, a.kind) for a in holds} == {("postfix", "mx1", "stolen_account")}
    text = formats.render(plan, "sh")
    for qid in held:
        assert f"postsuper -h {qid}\n" in text


def test_validators_accept_the_real_forms_only():
    assert validate.ip("::ffff:198.51.100.9") == "198.51.100.9"
    assert validate.ip("2001:DB8::1") == "2001:db8::1"
    assert validate.queue_id("4Ln9kB2yKgz4XYZ", "postfix") and validate.queue_id(
        "1A2B3C4D", "postfix"
    )
    assert validate.queue_id("1rAbCd-000ABC-XY", "exim")
    assert validate.queue_id("1rAbCd-000ABCdefgh-XYZW", "exim")
    assert validate.queue_id("1A2B3C4D", "sendmail") is None
    assert validate.login("info@bakery-berlin.example") and validate.login("user_1")
    assert validate.uid("1017") == 1017 and validate.uid(1017.0) == 1017
    assert validate.uid(float("nan")) is None and validate.uid(-1) is None
    assert validate.path("/home/site1017/public_html/x y.php")
    assert json.dumps(validate.Skipped(login=2).text()) == (
        '"2 values failed validation and were skipped (2 login)"'
    )


def test_on_exim_logins_are_refused_by_the_authenticator_not_a_postfix_map(tmp_path):
    from conftest import SAMPLE_LOGS

    from analyzer import api

    data = tmp_path / "data"
    paths = [str(SAMPLE_LOGS / "exim"), str(SAMPLE_LOGS / "php")]
    passwd = SAMPLE_LOGS / "etc" / "passwd"
    api.ingest(paths, data=str(data), tz="UTC", year=2026, passwd=str(passwd))
    p = propose(data, **ALL, allow=allowlist.load(None))
    refuse = {a.value: a.mta for a in p.actions if a.what == "refuse_login"}
    assert refuse == {"info@bakery-berlin.example": "exim", "office@shop-anna.example": "exim"}
    sh = formats.render(p, "sh")
    assert "printf" not in sh and "postmap" not in sh
    assert "authenticator's server_condition" in sh
    # the PHP mail.log gave the script's full path: chmod it
    assert (
        "chmod 000 -- /home/site1017/public_html/wp-content/uploads/2026/11/wp-xmlrpc-cache.php"
        in sh
    )
    pmap = formats.render(p, "postfix-map")
    assert [x for x in pmap.splitlines() if not x.startswith("#")] == []
    assert "# 2 login(s) of mail Exim accepted: not in this map" in pmap
