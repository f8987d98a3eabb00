"""Edge cases of the reports: empty windows, one message, an identity whose mail all
bounced, a spike in the very first bucket, and the rules' building blocks."""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from analyzer import api
from analyzer.errors import AnalyzerError
from analyzer.reports import scripts, spikes

T0 = datetime(2026, 11, 26, 12, 0, 0)


@pytest.fixture
def one_message(minilog, tmp_path):
    minilog.sasl_message(
        T0, "anna@shop.example", "192.0.2.10", "anna@shop.example", [("bob@gmail.example", "sent")]
    )
    return minilog.ingest(tmp_path)


# every API function that returns a frame, on a window of the sample
FRAMES = {
    "top_senders": lambda d, **kw: api.top_senders(d, **kw),
    "top_senders_by_script": lambda d, **kw: api.top_senders(d, by="script", **kw),
    "sender_timeline": lambda d, **kw: api.sender_timeline(d, **kw),
    "relay_spikes": lambda d, **kw: api.relay_spikes(d, **kw),
    "relay_buckets": lambda d, **kw: api.relay_spikes(d, all_buckets=True, **kw),
    "suspicious_scripts": lambda d, **kw: api.suspicious_scripts(d, **kw),
    "auth_failures": lambda d, **kw: api.auth_failures(d, **kw),
    "auth_failures_by_username": lambda d, **kw: api.auth_failures(d, by="username", **kw),
    "auth_failure_timeline": lambda d, **kw: api.auth_failure_timeline(d, **kw),
    "trace_queue_id": lambda d, **kw: api.trace("ABC123", data=d, **kw),
    "trace_client_ip": lambda d, **kw: api.trace(client_ip="203.0.113.5", data=d, **kw),
    "messages": lambda d, **kw: api.table("messages", data=d, **kw),
}


@pytest.mark.parametrize("name", FRAMES)
def test_empty_window_is_an_empty_frame_not_an_error(sample, name):
    """A quiet window (here: after the sample) gives an empty frame with the columns the
    same call gives on a busy one (trace: its leading columns; the rest depend on which
    tables matched)."""
    quiet = FRAMES[name](sample.data, since="2030-01-01", until="2030-01-02", tz="UTC")
    assert quiet.empty
    if name.startswith("trace"):
        from analyzer.reports.trace import FIRST

        assert list(quiet.columns) == FIRST
        return
    busy = FRAMES[name](sample.data)
    assert not busy.empty and list(quiet.columns) == list(busy.columns)


@pytest.fixture
def quiet_day(minilog, tmp_path):
    """A day with AUTH failures (one IP with a username, one without: Postfix < 3.8) and
    a relay reject, and no successful login and no message at all."""
    minilog.auth_failure(T0, "203.0.113.5", "admin")
    minilog.auth_failure(T0 + timedelta(seconds=5), "203.0.113.5")
    minilog.auth_failure(T0 + timedelta(seconds=9), "203.0.113.6")
    minilog.relay_reject(T0 + timedelta(minutes=1), "198.51.100.4", "a@b.example", "c@d.example")
    return minilog.ingest(tmp_path)


@pytest.mark.parametrize("name", FRAMES)
def test_every_report_runs_on_a_day_without_mail(quiet_day, name):
    FRAMES[name](quiet_day)  # no exception (pandas 3 raised on the auth merge)


def test_auth_failures_without_any_successful_login(quiet_day):
    by_ip = api.auth_failures(quiet_day).set_index("client_ip")
    assert by_ip.loc["203.0.113.5", "failures"] == 2
    assert by_ip.loc["203.0.113.5", "usernames"] == 1
    assert by_ip.loc["203.0.113.6", "failures"] == 1
    assert not by_ip["succeeded_later"].any() and (by_ip["messages_after"] == 0).all()
    by_user = api.auth_failures(quiet_day, by="username").set_index("sasl_username")
    assert by_user.loc["admin", "failures"] == 1
    assert by_user.loc["(not logged)", "failures"] == 2
    result = api.report(quiet_day, "2026-11-26", "2026-11-27", "UTC")
    assert result.totals["auth_failures"] == 3 and result.hosts == ["mx1"]
    assert not result.no_data


def test_missing_dataset_says_so(tmp_path):
    with pytest.raises(AnalyzerError, match="no dataset here yet"):
        api.top_senders(tmp_path / "nothing")


def test_bad_arguments_are_analyzer_errors(sample):
    with pytest.raises(AnalyzerError, match="by must be one of"):
        api.top_senders(sample.data, by="nobody")
    with pytest.raises(AnalyzerError, match="bucket"):
        api.relay_spikes(sample.data, bucket="soon")
    with pytest.raises(AnalyzerError, match="not before"):
        api.top_senders(sample.data, since="2026-11-27", until="2026-11-26")
    with pytest.raises(AnalyzerError, match="exactly one"):
        api.trace("X", sender="a@b", data=sample.data)
    with pytest.raises(AnalyzerError, match="kind:value"):
        api.trace(identity="anna", data=sample.data)


def test_one_message(one_message):
    top = api.top_senders(one_message)
    assert len(top) == 1
    row = top.iloc[0]
    assert row["identity"] == "sasl:anna@shop.example"
    assert (row["messages"], row["recipients"], row["recipient_domains"], row["sent"]) == (
        1,
        1,
        1,
        1,
    )
    assert row["share"] == 1.0 and row["bounce_rate"] == 0.0
    assert row["peak_hour_messages"] == 1 and row["client_ips"] == 1
    assert row["first_seen"] == row["last_seen"] == pd.Timestamp(T0, tz="UTC")
    rows = api.trace(sender="ANNA@shop.example", data=one_message)
    assert list(rows["table"]) == ["messages", "deliveries"]
    assert api.relay_spikes(one_message).empty  # rejects are what relay-spikes reads
    assert api.suspicious_scripts(one_message).empty  # no local submission: empty, not an error


def test_identity_with_only_bounces(minilog, tmp_path):
    for i in range(3):
        minilog.sasl_message(
            T0 + timedelta(minutes=i),
            "gone@shop.example",
            "192.0.2.20",
            "gone@shop.example",
            [(f"nobody{i}@nowhere.example", "bounced"), (f"ghost{i}@nowhere.example", "bounced")],
        )
    minilog.sasl_message(
        T0, "ok@shop.example", "192.0.2.21", "ok@shop.example", [("friend@gmail.example", "sent")]
    )
    data = minilog.ingest(tmp_path)
    top = api.top_senders(data).set_index("identity")
    gone = top.loc["sasl:gone@shop.example"]
    assert (gone["messages"], gone["recipients"], gone["sent"], gone["bounced"]) == (3, 6, 0, 6)
    assert gone["bounce_rate"] == 1.0
    assert top.loc["sasl:ok@shop.example", "bounce_rate"] == 0.0
    assert top.index[0] == "sasl:gone@shop.example"


def test_local_script_with_only_bounces_and_a_suspicious_path(minilog, tmp_path):
    path = "/home/site7/public_html/wp-content/uploads/2026/.x7f3k2q9.php"
    for i in range(12):
        minilog.local_message(
            T0 + timedelta(minutes=i),
            1007,
            path,
            "site7@mx1.example",
            [(f"victim{i}@d{i}.example", "bounced")],
        )
    minilog.local_message(
        T0, 1008, "contact-form.php", "site8@mx1.example", [("owner@shop.example", "sent")]
    )
    data = minilog.ingest(tmp_path)
    found = api.suspicious_scripts(data)
    first = found.iloc[0]
    assert (first["uid"], first["script"]) == (1007, path)
    assert first["bounce_rate"] == 1.0
    assert "bounce rate 100%" in first["reasons"]
    assert "runs from a writable dir (uploads/tmp/cache)" in first["reasons"]
    assert "hidden file or dir" in first["reasons"]
    assert "random-looking name" in first["reasons"]
    assert found.iloc[1]["score"] == 0 and found.iloc[1]["reasons"] == []


def test_spike_in_the_first_bucket(minilog, tmp_path):
    for i in range(60):  # the app misbehaves from the first minute of the logs
        minilog.relay_reject(
            T0 + timedelta(seconds=20 * i),
            "127.0.0.1",
            "web@shop.example",
            f"x{i}@gmail.example",
            helo="shop.example",
            name="localhost",
        )
    for h in range(1, 10):  # then the usual internet probes
        for k in range(3):
            minilog.relay_reject(
                T0 + timedelta(hours=h, minutes=10 * k),
                f"198.51.100.{k + 1}",
                "spam@bot.example",
                "v@victim.example",
            )
    minilog.sasl_message(
        T0 + timedelta(hours=2),
        "info@shop.example",
        "192.0.2.30",
        "info@shop.example",
        [("a@gmail.example", "sent")],
    )
    data = minilog.ingest(tmp_path)
    found = api.relay_spikes(data)
    assert len(found) == 1
    spike = found.iloc[0]
    assert spike["start"] == pd.Timestamp(T0, tz="UTC")
    assert (spike["count"], spike["local_count"], spike["source"]) == (60, 60, "local")
    assert spike["responsible"] == "web@shop.example"
    assert spike["responsible_domain"] == "shop.example"  # hosted: a SASL login's domain
    assert spike["responsible_accounts"] == ["sasl:info@shop.example"]
    # the same with the hosted domain given explicitly and the window starting at the spike
    again = api.relay_spikes(data, since=T0.isoformat(), tz="UTC", hosted_domains=["shop.example"])
    assert again.iloc[0]["start"] == spike["start"]


def test_relay_spikes_without_relay_rejects_is_empty_not_an_error(minilog, tmp_path):
    minilog.lines.append(
        "Nov 26 12:00:00 mx1 postfix/smtpd[5]: NOQUEUE: reject: RCPT from "
        "unknown[198.51.100.9]: 550 5.1.1 <x@shop.example>: Recipient address "
        "rejected: User unknown in virtual mailbox table; from=<a@b.example> "
        "to=<x@shop.example> proto=ESMTP helo=<b.example>"
    )
    data = minilog.ingest(tmp_path)
    assert api.relay_spikes(data).empty
    every = api.relay_spikes(data, all_buckets=True)
    assert list(every["count"]) == [0] and not every["spike"].any()


def test_auth_failure_without_a_later_success(minilog, tmp_path):
    minilog.auth_failure(T0, "203.0.113.5", "admin")
    minilog.auth_failure(T0 + timedelta(seconds=5), "203.0.113.5")
    minilog.sasl_message(
        T0 - timedelta(minutes=5),
        "admin@shop.example",
        "203.0.113.5",
        "admin@shop.example",
        [("a@gmail.example", "sent")],
    )  # before: no sign
    data = minilog.ingest(tmp_path)
    row = api.auth_failures(data).iloc[0]
    assert (row["client_ip"], row["failures"], row["usernames"]) == ("203.0.113.5", 2, 1)
    assert not row["succeeded_later"] and row["succeeded_as"] == [] and row["messages_after"] == 0


# --- the rules' building blocks -------------------------------------------------------------


def test_robust_baseline_flat_series_has_no_spikes():
    counts = pd.Series(
        [3, 4, 3, 5, 4, 3, 4, 6, 3, 4] * 5,
        index=pd.date_range("2026-11-26", periods=50, freq="h", tz="UTC"),
    )
    stats = spikes.robust_baseline(counts)
    assert not stats["spike"].any()
    assert (stats["threshold"] > stats["baseline"]).all()


def test_robust_baseline_needs_min_count_and_z():
    values = [0] * 30 + [9] + [0] * 5 + [40]
    counts = pd.Series(values, index=pd.date_range("2026-11-26", periods=len(values), freq="h"))
    stats = spikes.robust_baseline(counts, min_count=10)
    assert list(stats.index[stats["spike"]]) == [len(values) - 1]  # 9 is below min_count
    assert stats["spike"].sum() == 1


def test_robust_baseline_trailing_history_ignores_an_earlier_spike():
    values = [5] * 24 + [200] + [5] * 10 + [60]
    counts = pd.Series(values, index=pd.date_range("2026-11-26", periods=len(values), freq="h"))
    stats = spikes.robust_baseline(counts)
    assert list(np.flatnonzero(stats["spike"])) == [24, 35]
    assert stats["baseline"].iloc[35] == 5


@pytest.mark.parametrize(
    "name, expected",
    [
        ("x7f3k2q9.php", True),
        ("a1b2c3.php", True),
        ("3f2a9c0e1b.php", True),
        ("xkcdqwrt.php", True),
        ("contact-form.php", False),
        ("PHPMailer.php", False),
        ("index2.php", False),
        ("wp-mail.php", False),
        ("newsletter.php", False),
        ("mailer.php", False),
        ("order-confirm.php", False),
    ],
)
def test_random_looking_names(name, expected):
    assert scripts.random_looking(name) is expected


def test_path_signs():
    reasons = lambda p: [r for _, r in scripts.path_signs(p)]  # noqa: E731
    assert reasons("/var/www/site/contact.php") == []
    assert reasons("/home/u/public_html/wp-content/uploads/2026/11/x.php") == [
        "runs from a writable dir (uploads/tmp/cache)"
    ]
    assert reasons("/tmp/.ICE-unix/mail.php") == [
        "runs from a writable dir (uploads/tmp/cache)",
        "hidden file or dir",
    ]
    assert "eval()'d code" in reasons("txplib_misc.php(1826) : eval()'d code")
    assert reasons("/var/www/cache/a.php") == ["runs from a writable dir (uploads/tmp/cache)"]
    assert reasons(None) == [] and reasons("") == []


def test_usernames_not_logged_say_so(quiet_day):
    """Postfix before 3.8 logs no username of a failed AUTH: the count is missing, and
    every rendering says "not logged" rather than "0 usernames"."""
    from analyzer.config import Thresholds, thresholds_from_flags
    from analyzer.nightly import html as report_html
    from analyzer.nightly import text as summary_text
    from analyzer.render.output import plain_table, to_json

    by_ip = api.auth_failures(quiet_day).set_index("client_ip")
    assert by_ip.loc["203.0.113.5", "usernames"] == 1
    assert pd.isna(by_ip.loc["203.0.113.6", "usernames"])
    frame = api.auth_failures(quiet_day)
    text = plain_table(frame, columns=["client_ip", "failures", "usernames"])
    row = next(line for line in text.splitlines() if "203.0.113.6" in line)
    assert "not logged" in row and " 0 " not in row
    assert '"usernames": null' in to_json(frame)
    low = thresholds_from_flags(Thresholds(), ["auth.failures_warn=1"])
    result = api.report(quiet_day, "2026-11-26", "2026-11-27", "UTC", thresholds=low)
    lines = {i.subject: i.summary for i in result.incidents}
    assert lines["203.0.113.6"].startswith("1 failures (usernames not logged)")
    assert lines["203.0.113.5"].startswith("2 failures on 1 usernames")
    assert "0 usernames" not in summary_text.render(result)
    assert "0 usernames" not in report_html.render(result)


def test_backscatter_is_charged_to_the_account_whose_mail_bounced(minilog, tmp_path):
    """A spam run from a SASL account with a forged outside sender: every recipient
    bounces, Postfix's bounce daemon sends a non-delivery notice to that sender (it leaves
    the server: backscatter). The notice is charged to the account (identity, outgoing)."""
    qids = [
        minilog.sasl_message(
            T0 + timedelta(minutes=i),
            "spam@shop.example",
            "203.0.113.77",
            f"forged{i}@victim.example",
            [(f"x{i}@nowhere.example", "bounced")],
        )
        for i in range(3)
    ]
    notices = []
    for i, qid in enumerate(qids):
        t = T0 + timedelta(minutes=i, seconds=3)
        nq = f"B0{i}C0FFEE"
        notices.append(nq)
        minilog._at(t, "postfix/cleanup", 900, f"{nq}: message-id=<20261126.{nq}@mx1.example>")
        minilog._at(t, "postfix/qmgr", 901, f"{nq}: from=<>, size=3120, nrcpt=1 (queue active)")
        minilog._at(t, "postfix/bounce", 904, f"{qid}: sender non-delivery notification: {nq}")
        minilog._at(
            t + timedelta(seconds=1),
            "postfix/smtp",
            902,
            f"{nq}: to=<forged{i}@victim.example>, relay=mx.victim.example[192.0.2.60]:25, "
            "delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
        )
        minilog._at(t + timedelta(seconds=2), "postfix/qmgr", 901, f"{nq}: removed")
    data = minilog.ingest(tmp_path)
    messages = api.table("messages", data=data).set_index("queue_id")
    for qid, nq in zip(qids, notices):
        assert messages.loc[nq, "origin"] == "bounce" and messages.loc[nq, "sender"] == ""
        assert messages.loc[nq, "bounce_of"] == qid
        assert messages.loc[nq, "identity"] == "sasl:spam@shop.example"
        assert pd.isna(messages.loc[nq, "sasl_username"])  # charged, not logged in
    dels = api.table("deliveries", data=data)
    assert set(dels.loc[dels["queue_id"].isin(notices), "identity"]) == {"sasl:spam@shop.example"}
    row = api.top_senders(data).set_index("identity").loc["sasl:spam@shop.example"]
    assert row["messages"] == 6  # 3 spam messages + their 3 notices that left the server
    assert (
        api.trace(identity="sasl:spam@shop.example", data=data)["queue_id"].isin(notices).sum() == 6
    )


# a spam run through amavis (10024/10025): the message, its re-injection, the bounce, the
# notice and the notice's own re-injection, which delivers the backscatter
FILTERED_BACKSCATTER = [
    "Nov 26 12:00:00 mx1 postfix/submission/smtpd[2001]: connect from client.example[203.0.113.77]",
    "Nov 26 12:00:00 mx1 postfix/submission/smtpd[2001]: AAAA10001: "
    "client=client.example[203.0.113.77], sasl_method=PLAIN, sasl_username=spam@shop.example",
    "Nov 26 12:00:00 mx1 postfix/cleanup[900]: AAAA10001: message-id=<m1@client.example>",
    "Nov 26 12:00:00 mx1 postfix/qmgr[901]: AAAA10001: from=<forged@victim.example>, "
    "size=1000, nrcpt=1 (queue active)",
    "Nov 26 12:00:01 mx1 postfix/submission/smtpd[2001]: disconnect from "
    "client.example[203.0.113.77] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6",
    "Nov 26 12:00:02 mx1 postfix/smtpd[3001]: connect from localhost[127.0.0.1]",
    "Nov 26 12:00:02 mx1 postfix/smtpd[3001]: BBBB10002: client=localhost[127.0.0.1], "
    "orig_queue_id=AAAA10001, orig_client=client.example[203.0.113.77]",
    "Nov 26 12:00:02 mx1 postfix/cleanup[900]: BBBB10002: message-id=<m1@client.example>",
    "Nov 26 12:00:02 mx1 postfix/qmgr[901]: BBBB10002: from=<forged@victim.example>, "
    "size=1500, nrcpt=1 (queue active)",
    "Nov 26 12:00:02 mx1 postfix/smtpd[3001]: disconnect from localhost[127.0.0.1] ehlo=1 "
    "mail=1 rcpt=1 data=1 quit=1 commands=5",
    "Nov 26 12:00:02 mx1 postfix/smtp[902]: AAAA10001: to=<x@nowhere.example>, "
    "relay=127.0.0.1[127.0.0.1]:10024, delay=2, delays=0.1/0/0/1.9, dsn=2.0.0, status=sent "
    "(250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as BBBB10002)",
    "Nov 26 12:00:02 mx1 postfix/qmgr[901]: AAAA10001: removed",
    "Nov 26 12:00:03 mx1 postfix/smtp[903]: BBBB10002: to=<x@nowhere.example>, "
    "relay=mx.nowhere.example[192.0.2.50]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=5.1.1, "
    "status=bounced (host mx.nowhere.example[192.0.2.50] said: 550 5.1.1 unknown user (in "
    "reply to RCPT TO command))",
    "Nov 26 12:00:03 mx1 postfix/cleanup[900]: CCCC10003: "
    "message-id=<20261126120003.CCCC10003@mx1.example>",
    "Nov 26 12:00:03 mx1 postfix/qmgr[901]: CCCC10003: from=<>, size=3000, nrcpt=1 (queue active)",
    "Nov 26 12:00:03 mx1 postfix/bounce[904]: BBBB10002: sender non-delivery notification: "
    "CCCC10003",
    "Nov 26 12:00:03 mx1 postfix/qmgr[901]: BBBB10002: removed",
    "Nov 26 12:00:04 mx1 postfix/smtpd[3002]: connect from localhost[127.0.0.1]",
    "Nov 26 12:00:04 mx1 postfix/smtpd[3002]: DDDD10004: client=localhost[127.0.0.1], "
    "orig_queue_id=CCCC10003, orig_client=unknown",
    "Nov 26 12:00:04 mx1 postfix/cleanup[900]: DDDD10004: "
    "message-id=<20261126120003.CCCC10003@mx1.example>",
    "Nov 26 12:00:04 mx1 postfix/qmgr[901]: DDDD10004: from=<>, size=3500, nrcpt=1 (queue active)",
    "Nov 26 12:00:04 mx1 postfix/smtpd[3002]: disconnect from localhost[127.0.0.1] ehlo=1 "
    "mail=1 rcpt=1 data=1 quit=1 commands=5",
    "Nov 26 12:00:04 mx1 postfix/smtp[902]: CCCC10003: to=<forged@victim.example>, "
    "relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0.1/0/0/0.9, dsn=2.0.0, status=sent "
    "(250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as DDDD10004)",
    "Nov 26 12:00:04 mx1 postfix/qmgr[901]: CCCC10003: removed",
    "Nov 26 12:00:05 mx1 postfix/smtp[903]: DDDD10004: to=<forged@victim.example>, "
    "relay=mx.victim.example[192.0.2.60]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, "
    "status=sent (250 2.0.0 Ok)",
    "Nov 26 12:00:05 mx1 postfix/qmgr[901]: DDDD10004: removed",
]


def test_backscatter_through_a_content_filter_keeps_the_charge(tmp_path):
    """The notice's re-injected copy (the one that reaches the victim) carries the
    account's identity too, so its delivery counts for the account."""
    log = tmp_path / "maillog"
    log.write_text("\n".join(FILTERED_BACKSCATTER) + "\n")
    api.ingest([str(log)], data=str(tmp_path / "d"), tz="UTC", year=2026)
    messages = api.table("messages", data=tmp_path / "d").set_index("queue_id")
    assert messages.loc["DDDD10004", "filter_of"] == "CCCC10003"
    assert messages.loc["DDDD10004", "bounce_of"] == "BBBB10002"
    assert set(messages["identity"]) == {"sasl:spam@shop.example"}
    dels = api.table("deliveries", data=tmp_path / "d")
    sent = dels[dels["status"] == "sent"]
    assert list(sent["identity"]) == ["sasl:spam@shop.example"]
    row = api.top_senders(tmp_path / "d").iloc[0]
    assert (row["identity"], row["messages"], row["sent"], row["bounced"]) == (
        "sasl:spam@shop.example",
        2,
        1,
        1,
    )  # the spam message and its notice, counted once
