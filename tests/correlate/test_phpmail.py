"""PHP mail.log: its entries become `php_mail` rows, joined to the local submission each
produced, whatever order the files are given in; a crash at any moment changes nothing."""

import json
import os
import random
import re
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import SAMPLE_LOGS
from helpers import KILL_POINTS, assert_same_dataset, ingest, run_and_kill, table

from analyzer import api
from analyzer.samplegen.phpmail import generate_phpmail

MAILLOG = SAMPLE_LOGS / "maillog"
MAIL_LOG = SAMPLE_LOGS / "php" / "mail.log"
TRUTH = SAMPLE_LOGS / "truth" / "php_mail.json"


@pytest.fixture(scope="module")
def joined(tmp_path_factory):
    data = tmp_path_factory.mktemp("php") / "data"
    ingest([MAILLOG, MAIL_LOG], data, year=2026, host="mx1")
    return data, json.loads(TRUTH.read_text())


def test_sample_is_what_the_generator_makes():
    maillog, _, lines, truth = generate_phpmail()
    assert MAILLOG.read_text() == "".join(
        line + "\n" for line in maillog
    )  # the Postfix sample, unchanged
    assert MAIL_LOG.read_text() == "".join(line + "\n" for line in lines)
    assert json.loads(TRUTH.read_text()) == json.loads(json.dumps(truth))


def test_every_entry_is_a_row_and_every_submission_finds_its_entry(joined):
    data, truth = joined
    php = table(data, "php_mail")
    assert len(php) == truth["entries"]
    assert php.queue_id.notna().sum() == truth["joinable"]
    unjoined = php[php.queue_id.isna()]
    assert len(unjoined) == truth["unjoinable"] and unjoined.identity.isna().all()
    assert php.script_line.notna().all() and php.subject.notna().all()
    # each joined entry names its message (host, queue id, first_seen) and that message's identity
    messages = table(data, "messages")
    keyed = php.dropna(subset=["queue_id"]).merge(
        messages,
        left_on=["host", "queue_id", "message_first_seen"],
        right_on=["host", "queue_id", "first_seen"],
        suffixes=("", "_m"),
    )
    assert len(keyed) == truth["joinable"]
    assert (keyed.identity == keyed.identity_m).all() and (keyed.uid == keyed.uid_m).all()
    assert (keyed.script_path == keyed.script_path_m).all()
    # the header's uid:basename agrees with the path the join gave
    assert all(
        p.rsplit("/", 1)[1] and p.startswith(f"/home/site{u}/")
        for p, u in zip(keyed.script_path, keyed.uid)
    )
    assert (keyed.ts <= keyed.first_seen).all()  # PHP logs before it runs sendmail
    by_path = keyed.script_path.value_counts().to_dict()
    assert by_path == truth["entries_by_script_path"]


def test_scripts_carry_full_paths(joined):
    data, truth = joined
    messages = table(data, "messages")
    php_messages = messages[(messages.origin == "local") & (messages.uid != 0)]
    assert (php_messages.script == php_messages.script_path).all()
    assert php_messages.script.str.startswith("/home/").all()
    burst = truth["burst"]
    first = api.suspicious_scripts(data).iloc[0]
    assert (first["uid"], first["script"], first["script_path"], first["messages"]) == (
        burst["uid"],
        burst["script_path"],
        burst["script_path"],
        burst["entries"],
    )
    assert any(r.startswith("runs from a writable dir") for r in first["reasons"])
    cron = messages[messages.uid == 0]
    assert cron.script.isna().all()  # no PHP behind cron mail


def test_file_order_does_not_matter(tmp_path, joined):
    data, _ = joined
    ingest([MAIL_LOG, MAILLOG], tmp_path / "reversed", year=2026, host="mx1")
    assert_same_dataset(data, tmp_path / "reversed")
    # PHP's log in one run, the MTA's in the next: the entries wait in the checkpoint (once
    # the dataset has seen an MTA log; a dataset fed only PHP logs writes them at once)
    earlier = tmp_path / "maillog.1"
    earlier.write_text(
        "Nov 25 23:50:00 mx1 postfix/anvil[7]: statistics: max cache size 1 at Nov 25 23:49:00\n"
    )
    ingest([earlier], tmp_path / "two_runs", year=2026, host="mx1")
    ingest([MAIL_LOG], tmp_path / "two_runs", year=2026, host="mx1")
    assert table(tmp_path / "two_runs", "php_mail", include_open=False).empty
    ingest([MAILLOG], tmp_path / "two_runs", year=2026, host="mx1")
    assert_same_dataset(data, tmp_path / "two_runs")


def test_php_log_read_after_its_period_stays_unmatched(tmp_path):
    """Documented: give PHP's log in the same run as (or before) the MTA log of its period."""
    ingest([MAILLOG], tmp_path / "d", year=2026, host="mx1")
    ingest([MAIL_LOG], tmp_path / "d", year=2026, host="mx1")
    php = table(tmp_path / "d", "php_mail")
    assert len(php) == json.loads(TRUTH.read_text())["entries"] and php.queue_id.isna().all()


def test_syslog_form_in_the_mail_log_stream(tmp_path, joined):
    """`mail.log = syslog`: the same entries as php-fpm lines of the MTA's own file."""
    data, truth = joined
    berlin = ZoneInfo(truth["zone"])
    php_lines = []
    for line in MAIL_LOG.read_text().splitlines():
        m = re.match(r"\[(\S+ \S+) \S+\] (.*)", line)
        when = datetime.strptime(m[1], "%d-%b-%Y %H:%M:%S").replace(tzinfo=berlin).astimezone(UTC)
        php_lines.append(
            (
                when.strftime("%b %e %H:%M:%S"),
                f"{when:%b} {when.day:2d} {when:%H:%M:%S} mx1 php-fpm[77]: {m[2]}",
            )
        )
    mail = [(line[:15], line) for line in MAILLOG.read_text().splitlines()]
    merged = sorted(php_lines + mail, key=lambda x: x[0])  # stable: PHP before the MTA in a second
    log = tmp_path / "maillog"
    log.write_text("".join(line + "\n" for _, line in merged))
    ingest([log], tmp_path / "d", year=2026)
    php = table(tmp_path / "d", "php_mail")
    assert len(php) == truth["entries"] and php.queue_id.notna().sum() == truth["joinable"]
    messages = table(tmp_path / "d", "messages")
    burst = messages.script == truth["burst"]["script_path"]
    assert (burst & messages.filter_of.isna()).sum() == truth["burst"]["entries"]
    # amavis's re-injection of each carries the full path too (joined after the hand-over)
    assert (burst & messages.filter_of.notna()).sum() == truth["burst"]["entries"]


def test_passwd_gives_unmatched_entries_their_owner(tmp_path):
    ingest([MAIL_LOG], tmp_path / "d", host="mx1", passwd=SAMPLE_LOGS / "etc" / "passwd")
    php = table(tmp_path / "d", "php_mail")  # no MTA log, ever: rows are written at once
    assert len(php) == json.loads(TRUTH.read_text())["entries"]
    assert php.queue_id.isna().all()
    owners = php.script_path.str.extract(r"^/home/site(\d+)/")[0].astype("int64")
    assert (php.uid == owners).all() and (php.identity == "uid:" + owners.astype(str)).all()
    assert (php.user == "site" + owners.astype(str)).all()


def test_kill_9_with_php_log_then_rerun_equals_clean_run(tmp_path):
    """Postfix + PHP logs: a subprocess ingest killed at points of its own progress, then
    re-run, gives exactly the dataset of one uninterrupted run (PHP entries waiting for
    their submissions are part of the checkpoint)."""
    maillog, _, php_lines, _ = generate_phpmail(seed=5, days=1.0, messages_per_day=8000)
    mtime = datetime(2026, 11, 27, 12, 0).timestamp()
    for name, lines in (("maillog", maillog), ("php_mail.log", php_lines)):
        (tmp_path / name).write_text("".join(line + "\n" for line in lines))
        os.utime(tmp_path / name, (mtime, mtime))
    paths = [tmp_path / "maillog", tmp_path / "php_mail.log"]
    ingest(paths, tmp_path / "clean", year=2026, host="mx1")
    data = tmp_path / "killed"
    env = dict(os.environ, ANALYZER_COMMIT_LINES="5000")  # a commit per batch: ~20 of them
    cmd = [
        sys.executable,
        "-m",
        "analyzer",
        "ingest",
        *map(str, paths),
        "--data",
        str(data),
        "--tz",
        "UTC",
        "--year",
        "2026",
        "--host",
        "mx1",
    ]
    rng = random.Random(3)
    kills = 0
    for attempt in range(6):
        kills += run_and_kill(cmd, data, KILL_POINTS[attempt % 3], after=rng.randint(1, 2), env=env)
    assert kills == 6
    ingest(paths, data, year=2026, host="mx1")
    assert_same_dataset(tmp_path / "clean", data)
    php = table(data, "php_mail")
    assert len(php) == len(php_lines) and php.queue_id.notna().sum() > 0.99 * len(php_lines)
