"""PHP's mail.log analysed away from the mail server: the file form names no host, so its
entries take this machine's name (or `--host`). When the run or the dataset has exactly
one MTA host in the entries' time, they join to it; when several, they stay unjoined and
`ingest` and `status` say why (and warn when a large share is)."""

import json
from datetime import datetime, timedelta

import pytest
from helpers import ingest, table
from test_cli_reports import invoke

from analyzer import api
from analyzer.dataset.status import php_joins
from analyzer.parse.events import default_host

START = datetime(2026, 12, 2, 10, 0, 0)
SCRIPTS = (
    "/home/site1017/public_html/wp-content/uploads/2026/12/x.php",
    "/home/site1003/public_html/contact.php",
)
MTA = "mail-prod-7"  # not this machine's name: the logs were copied here


def _bsd(t: datetime) -> str:
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S}"


def php_entry(t: datetime, i: int, script: str, rcpt: str) -> str:
    """PHP's file form (php-src ext/standard/mail.c), PHP >= 7 with the subject."""
    return (
        f"[{t:%d-%b-%Y %H:%M:%S} UTC] mail() on [{script}:{12 + i}]: To: {rcpt} -- Headers: "
        f"From: WordPress <wordpress@blog-kochen.example> X-Mailer: PHP/8.2.7 -- Subject: Your account"
    )


def pickup(t: datetime, host: str, i: int, script: str, rcpt: str) -> list[str]:
    """The Postfix lines of the local submission PHP's mail() made a second later, with
    the `X-PHP-Originating-Script: uid:basename` header warning (header_checks WARN)."""
    uid = script.split("/")[2][4:]
    qid = f"{0x3A7800 + i:X}B{len(host)}"
    s, d = _bsd(t), _bsd(t + timedelta(seconds=2))
    return [
        f"{s} {host} postfix/pickup[3996]: {qid}: uid={uid} from=<site{uid}>",
        f"{s} {host} postfix/cleanup[4017]: {qid}: warning: header X-PHP-Originating-Script: "
        f"{uid}:{script.rsplit('/', 1)[1]} from local; from=<site{uid}@{host}.example> to=<{rcpt}>",
        f"{s} {host} postfix/cleanup[4017]: {qid}: message-id=<{qid}.{i}@www.site{uid}.example>",
        f"{s} {host} postfix/qmgr[1200]: {qid}: from=<site{uid}@{host}.example>, size=1200, nrcpt=1 "
        "(queue active)",
        f"{d} {host} postfix/smtp[4100]: {qid}: to=<{rcpt}>, relay=mx.dest.example[192.0.2.50]:25, "
        "delay=2, delays=0.1/0/0.9/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)",
        f"{d} {host} postfix/qmgr[1200]: {qid}: removed",
    ]


def inbound(t: datetime, host: str, i: int) -> list[str]:
    qid = f"{0x5B1000 + i:X}C{len(host)}"
    s = _bsd(t)
    return [
        f"{s} {host} postfix/smtpd[5100]: {qid}: client=mail.sender.example[198.51.100.{i % 200 + 1}]",
        f"{s} {host} postfix/qmgr[1200]: {qid}: from=<n{i}@sender.example>, size=900, nrcpt=1 (queue active)",
        f"{s} {host} postfix/local[5200]: {qid}: to=<info@blog-kochen.example>, relay=local, delay=0.1, "
        "delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)",
        f"{s} {host} postfix/qmgr[1200]: {qid}: removed",
    ]


def server_day(host: str = MTA, n: int = 10, start: datetime = START, php_too: bool = True):
    """(maillog lines, mail.log lines) of `n` PHP submissions a minute apart, with inbound
    mail around them and a last line 10 minutes later (so every join is due)."""
    maillog, php = [], []
    for i in range(n):
        t = start + timedelta(minutes=i)
        script, rcpt = SCRIPTS[i % 2], f"victim{i}@gmail.example"
        php.append(php_entry(t, i, script, rcpt))
        maillog += inbound(t - timedelta(seconds=20), host, i)
        maillog += pickup(t + timedelta(seconds=1), host, i, script, rcpt)
    maillog += inbound(start + timedelta(minutes=n + 10), host, 999)
    return maillog, php


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.fixture
def off_host(tmp_path):
    maillog, php = server_day()
    return write(tmp_path / "maillog", maillog), write(tmp_path / "php_mail.log", php)


def test_off_host_entries_join_to_the_one_mta_host(tmp_path, off_host):
    assert default_host() != MTA
    summary = ingest(off_host, tmp_path / "d", year=2026)  # no --host: this machine's name
    php = table(tmp_path / "d", "php_mail")
    assert len(php) == 10 and php.queue_id.notna().all()
    assert set(php.host) == {MTA}  # the row keys to its message
    assert summary.php == {"joined": 10, "unjoined": {}, "hosts": {}}
    assert summary.php_line.startswith("PHP mail.log: 10 entries, 10 joined")
    assert not [w for w in summary.warnings if "PHP" in w]
    msgs = table(tmp_path / "d", "messages")
    local = msgs[msgs.origin == "local"]
    assert sorted(local.script_path) == sorted([SCRIPTS[0]] * 5 + [SCRIPTS[1]] * 5)  # full paths
    joined = php.merge(
        msgs,
        left_on=["host", "queue_id", "message_first_seen"],
        right_on=["host", "queue_id", "first_seen"],
        suffixes=("", "_m"),
    )
    assert len(joined) == 10 and (joined.script_path == joined.script_path_m).all()
    assert (joined.identity == joined.identity_m).all()
    assert set(joined.identity) == {"uid:1017", "uid:1003"}


def test_ambiguous_hosts_stay_unjoined_and_say_so(tmp_path):
    """A central log host: two MTA hosts in one file, both active when the entries were
    logged. The file-form entries could be either's: unjoined, with the reason."""
    a, php = server_day("mx1")
    b, _ = server_day("mx2", start=START + timedelta(seconds=30))
    log = write(tmp_path / "central.log", sorted(a + b, key=lambda line: line[:15]))
    mail_log = write(tmp_path / "php_mail.log", php)
    summary = ingest([log, mail_log], tmp_path / "d", year=2026)
    php_rows = table(tmp_path / "d", "php_mail")
    assert len(php_rows) == 10 and php_rows.queue_id.isna().all()
    assert summary.php == {
        "joined": 0,
        "unjoined": {"ambiguous_host": 10},
        "hosts": {"ambiguous_host": ["mx1", "mx2"]},
    }
    [warning] = [w for w in summary.warnings if "PHP" in w]
    assert warning.startswith("10 of 10 PHP mail.log entries (100%) were not joined")
    assert "several hosts (mx1, mx2)" in warning and "--host" in warning
    status = api.status(tmp_path / "d")["php_mail"]
    assert (status["joined"], status["unjoined"], status["waiting"]) == (
        0,
        {"ambiguous_host": 10},
        0,
    )
    assert status["warning"] == warning
    # told which server it is, the same entries join
    ingest([log, mail_log], tmp_path / "told", year=2026, host="mx1")
    assert table(tmp_path / "told", "php_mail").queue_id.notna().sum() == 10


def test_a_second_host_read_later_in_the_run_is_seen_first(tmp_path):
    """Files are read one after the other: mx2's log, read after mx1's, still makes the
    entries ambiguous (the run's hosts are known from the files' first lines)."""
    a, php = server_day("mx1")
    b, _ = server_day("mx2")
    paths = [
        write(tmp_path / "mx1.log", a),
        write(tmp_path / "mx2.log", b),
        write(tmp_path / "php_mail.log", php),
    ]
    summary = ingest(paths, tmp_path / "d", year=2026)
    assert summary.php["unjoined"] == {"ambiguous_host": 10}
    assert table(tmp_path / "d", "php_mail").queue_id.isna().all()


def test_the_dataset_decides_across_runs(tmp_path):
    """Run 1 ingested mx2's log of the hour before: mx2 was logging when the entries were
    written, so in run 2, with mx1's log and the PHP log, they are ambiguous. A host whose
    log is of another week does not count."""
    a, php = server_day("mx1")
    b, _ = server_day("mx2", start=START - timedelta(minutes=40))
    ingest([write(tmp_path / "mx2.log", b)], tmp_path / "same", year=2026)
    summary = ingest(
        [write(tmp_path / "mx1.log", a), write(tmp_path / "php.log", php)],
        tmp_path / "same",
        year=2026,
    )
    assert summary.php["unjoined"] == {"ambiguous_host": 10}

    old, _ = server_day("mx2", start=START - timedelta(days=7))
    ingest([write(tmp_path / "mx2-old.log", old)], tmp_path / "other_week", year=2026)
    summary = ingest(
        [tmp_path / "mx1.log", tmp_path / "php.log"], tmp_path / "other_week", year=2026
    )
    assert summary.php == {"joined": 10, "unjoined": {}, "hosts": {}}
    # the next day's PHP entries in a later run, with the same host's next log, join too
    a2, php2 = server_day("mx1", start=START + timedelta(days=1))
    summary = ingest(
        [write(tmp_path / "mx1-next.log", a2), write(tmp_path / "php-next.log", php2)],
        tmp_path / "other_week",
        year=2026,
    )
    assert summary.php["joined"] == 10
    status = api.status(tmp_path / "other_week")["php_mail"]
    assert (status["joined"], status["unjoined"], status["warning"]) == (20, {}, None)


def test_a_named_host_is_never_rehosted(tmp_path):
    """`mail.log = syslog` names its host; `--host` names it for the file form: an entry
    of another host than the MTA log's stays unjoined, with that reason."""
    maillog, php = server_day("mx1")
    syslog_form = []
    for line in php:
        t = datetime.strptime(line[1:21], "%d-%b-%Y %H:%M:%S")
        syslog_form.append(f"{_bsd(t)} web1 php-fpm[77]: {line.split('] ', 1)[1]}")
    summary = ingest(
        [write(tmp_path / "maillog", sorted(maillog + syslog_form, key=lambda x: x[:15]))],
        tmp_path / "d",
        year=2026,
    )
    assert summary.php["unjoined"] == {"other_host": 10} and summary.php["hosts"] == {
        "other_host": ["web1"]
    }
    assert set(table(tmp_path / "d", "php_mail").host) == {"web1"}

    summary = ingest(
        [write(tmp_path / "mx1.log", maillog), write(tmp_path / "php_mail.log", php)],
        tmp_path / "given",
        year=2026,
        host="laptop",
    )
    php_rows = table(tmp_path / "given", "php_mail")
    assert set(php_rows[php_rows.queue_id.isna()].host) == {"laptop"}
    [warning] = [w for w in summary.warnings if "PHP" in w]
    assert "10 are of host laptop, which no MTA log of their time names" in warning


def test_other_reasons_late_and_no_mta_log(tmp_path, off_host):
    maillog, mail_log = off_host
    ingest([maillog], tmp_path / "late", year=2026)
    summary = ingest([mail_log], tmp_path / "late", year=2026)  # after its MTA log's run
    assert summary.php["unjoined"] == {"read_late": 10}
    assert (
        "in the same run as the MTA log of its period"
        in [w for w in summary.warnings if "PHP" in w][0]
    )

    summary = ingest([mail_log], tmp_path / "php_only", year=2026)
    assert summary.php["unjoined"] == {"no_mta_log": 10}


def test_few_unjoined_entries_are_reported_without_a_warning(tmp_path):
    """The contact form whose mail() failed: an entry without a submission."""
    maillog, php = server_day(n=20)
    php.insert(
        5, php_entry(START + timedelta(minutes=4, seconds=30), 99, SCRIPTS[1], "x@y.example")
    )
    summary = ingest(
        [write(tmp_path / "maillog", maillog), write(tmp_path / "php.log", php)],
        tmp_path / "d",
        year=2026,
    )
    assert summary.php == {"joined": 20, "unjoined": {"no_submission": 1}, "hosts": {}}
    assert summary.php_line == (
        "PHP mail.log: 21 entries, 20 joined to their submission, 1 unjoined (no submission 1)"
    )
    assert not [w for w in summary.warnings if "PHP" in w]


def test_cli_ingest_and_status_report_unjoined_entries(tmp_path):
    a, php = server_day("mx1")
    b, _ = server_day("mx2")
    paths = [
        write(tmp_path / "mx1.log", a),
        write(tmp_path / "mx2.log", b),
        write(tmp_path / "php_mail.log", php),
    ]
    data = tmp_path / "d"
    result = invoke("ingest", *paths, "--data", data, "--tz", "UTC", "--year", "2026")
    assert result.exit_code == 0
    assert (
        "PHP mail.log: 10 entries, 0 joined to their submission, 10 unjoined (ambiguous host 10)"
        in result.output
    )
    assert "warning: 10 of 10 PHP mail.log entries (100%) were not joined" in result.output
    result = invoke("status", "--data", data)
    assert "10 unjoined (ambiguous host 10)" in " ".join(result.output.split())
    assert "warning:" in result.output
    info = json.loads(invoke("status", "--data", data, "--json").stdout)
    assert info["php_mail"]["unjoined"] == {"ambiguous_host": 10}
    assert info["php_mail"]["hosts"] == {"ambiguous_host": ["mx1", "mx2"]}


def test_host_names_cannot_inject_terminal_markup(tmp_path):
    a, php = server_day("mx1")
    b, _ = server_day("[red]evil")
    paths = [
        write(tmp_path / "mx1.log", a),
        write(tmp_path / "evil.log", b),
        write(tmp_path / "php_mail.log", php),
    ]
    result = invoke("ingest", *paths, "--data", tmp_path / "d", "--tz", "UTC", "--year", "2026")
    assert "several hosts ([red]evil, mx1)" in result.output


def test_the_sample_day_copied_off_host(tmp_path):
    """sample_logs/maillog (host mx1) and its PHP mail.log ingested here without --host:
    every joinable entry joins, as on the server; the failed contact-form calls are the
    unjoined ones, for the right reason."""
    from conftest import SAMPLE_LOGS

    truth = json.loads((SAMPLE_LOGS / "truth" / "php_mail.json").read_text())
    summary = ingest(
        [SAMPLE_LOGS / "maillog", SAMPLE_LOGS / "php" / "mail.log"], tmp_path / "d", year=2026
    )
    assert "waiting" not in summary.php_line  # the maillog runs past the last entry
    assert summary.php == {
        "joined": truth["joinable"],
        "unjoined": {"no_submission": truth["unjoinable"]},
        "hosts": {},
    }
    php = table(tmp_path / "d", "php_mail")
    assert php.queue_id.notna().sum() == truth["joinable"]
    assert set(php[php.queue_id.notna()].host) == {"mx1"}
    assert not [w for w in summary.warnings if "PHP" in w]


def test_status_of_a_dataset_counted_before_php_joins_were(tmp_path, off_host):
    """A checkpoint without the counts (written by an older version): the rows are shown
    as written before joins were counted, not as zero entries."""
    data = tmp_path / "d"
    ingest(off_host, data, year=2026)
    counted = api.status(data)["php_mail"]
    assert (counted["joined"], counted["earlier"]) == (10, 0)
    rows = api.status(data)["tables"]["php_mail"]["rows"]
    old = php_joins(None, [], rows)  # no counts: the state as an older version left it
    assert (old["joined"], old["unjoined"], old["earlier"], old["summary"]) == (0, {}, 10, None)
    result = invoke("status", "--data", data)
    assert "10 entries, 10 joined" in " ".join(result.output.split())
