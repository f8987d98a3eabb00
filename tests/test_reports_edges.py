"""Edge cases of the reports: empty windows, one message, an identity whose mail all
bounced, a spike in the very first bucket, and the rules' building blocks."""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from analyzer import api
from analyzer.errors import AnalyzerError, NoData
from analyzer.reports import scripts, spikes

T0 = datetime(2026, 11, 26, 12, 0, 0)
REPORTS = [
    lambda d, **kw: api.top_senders(d, **kw),
    lambda d, **kw: api.relay_spikes(d, **kw),
    lambda d, **kw: api.suspicious_scripts(d, **kw),
    lambda d, **kw: api.auth_failures(d, **kw),
    lambda d, **kw: api.trace("ABC123", data=d, **kw),
]


@pytest.fixture
def one_message(minilog, tmp_path):
    minilog.sasl_message(T0, "anna@shop.example", "192.0.2.10", "anna@shop.example",
                         [("bob@gmail.example", "sent")])
    return minilog.ingest(tmp_path)


@pytest.mark.parametrize("report", REPORTS, ids=["top-senders", "relay-spikes",
                                                 "suspicious-scripts", "auth-failures", "trace"])
def test_empty_window_is_no_data(sample, report):
    with pytest.raises(NoData, match="2030-01-01"):
        report(sample.data, since="2030-01-01", until="2030-01-02", tz="UTC")


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
    assert (row["messages"], row["recipients"], row["recipient_domains"], row["sent"]) == (1, 1, 1, 1)
    assert row["share"] == 1.0 and row["bounce_rate"] == 0.0
    assert row["peak_hour_messages"] == 1 and row["client_ips"] == 1
    assert row["first_seen"] == row["last_seen"] == pd.Timestamp(T0, tz="UTC")
    rows = api.trace(sender="ANNA@shop.example", data=one_message)
    assert list(rows["table"]) == ["messages", "deliveries"]
    with pytest.raises(NoData):  # rejects are what relay-spikes reads
        api.relay_spikes(one_message)
    assert api.suspicious_scripts(one_message).empty  # no local submission: empty, not an error


def test_identity_with_only_bounces(minilog, tmp_path):
    for i in range(3):
        minilog.sasl_message(T0 + timedelta(minutes=i), "gone@shop.example", "192.0.2.20",
                             "gone@shop.example", [(f"nobody{i}@nowhere.example", "bounced"),
                                                   (f"ghost{i}@nowhere.example", "bounced")])
    minilog.sasl_message(T0, "ok@shop.example", "192.0.2.21", "ok@shop.example",
                         [("friend@gmail.example", "sent")])
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
        minilog.local_message(T0 + timedelta(minutes=i), 1007, path, "site7@mx1.example",
                              [(f"victim{i}@d{i}.example", "bounced")])
    minilog.local_message(T0, 1008, "contact-form.php", "site8@mx1.example",
                          [("owner@shop.example", "sent")])
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
        minilog.relay_reject(T0 + timedelta(seconds=20 * i), "127.0.0.1", "web@shop.example",
                             f"x{i}@gmail.example", helo="shop.example", name="localhost")
    for h in range(1, 10):  # then the usual internet probes
        for k in range(3):
            minilog.relay_reject(T0 + timedelta(hours=h, minutes=10 * k), f"198.51.100.{k + 1}",
                                 "spam@bot.example", "v@victim.example")
    minilog.sasl_message(T0 + timedelta(hours=2), "info@shop.example", "192.0.2.30",
                         "info@shop.example", [("a@gmail.example", "sent")])
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
    minilog.lines.append("Nov 26 12:00:00 mx1 postfix/smtpd[5]: NOQUEUE: reject: RCPT from "
                         "unknown[198.51.100.9]: 550 5.1.1 <x@shop.example>: Recipient address "
                         "rejected: User unknown in virtual mailbox table; from=<a@b.example> "
                         "to=<x@shop.example> proto=ESMTP helo=<b.example>")
    data = minilog.ingest(tmp_path)
    assert api.relay_spikes(data).empty
    every = api.relay_spikes(data, all_buckets=True)
    assert list(every["count"]) == [0] and not every["spike"].any()


def test_auth_failure_without_a_later_success(minilog, tmp_path):
    minilog.auth_failure(T0, "203.0.113.5", "admin")
    minilog.auth_failure(T0 + timedelta(seconds=5), "203.0.113.5")
    minilog.sasl_message(T0 - timedelta(minutes=5), "admin@shop.example", "203.0.113.5",
                         "admin@shop.example", [("a@gmail.example", "sent")])  # before: no sign
    data = minilog.ingest(tmp_path)
    row = api.auth_failures(data).iloc[0]
    assert (row["client_ip"], row["failures"], row["usernames"]) == ("203.0.113.5", 2, 1)
    assert not row["succeeded_later"] and row["succeeded_as"] == [] and row["messages_after"] == 0


# --- the rules' building blocks -------------------------------------------------------------

def test_robust_baseline_flat_series_has_no_spikes():
    counts = pd.Series([3, 4, 3, 5, 4, 3, 4, 6, 3, 4] * 5,
                       index=pd.date_range("2026-11-26", periods=50, freq="h", tz="UTC"))
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


@pytest.mark.parametrize("name, expected", [
    ("x7f3k2q9.php", True), ("a1b2c3.php", True), ("3f2a9c0e1b.php", True),
    ("xkcdqwrt.php", True), ("contact-form.php", False), ("PHPMailer.php", False),
    ("index2.php", False), ("wp-mail.php", False), ("newsletter.php", False),
    ("mailer.php", False), ("order-confirm.php", False),
])
def test_random_looking_names(name, expected):
    assert scripts.random_looking(name) is expected


def test_path_signs():
    reasons = lambda p: [r for _, r in scripts.path_signs(p)]  # noqa: E731
    assert reasons("/var/www/site/contact.php") == []
    assert reasons("/home/u/public_html/wp-content/uploads/2026/11/x.php") == \
        ["runs from a writable dir (uploads/tmp/cache)"]
    assert reasons("/tmp/.ICE-unix/mail.php") == \
        ["runs from a writable dir (uploads/tmp/cache)", "hidden file or dir"]
    assert "eval()'d code" in reasons("txplib_misc.php(1826) : eval()'d code")
    assert reasons("/var/www/cache/a.php") == ["runs from a writable dir (uploads/tmp/cache)"]
    assert reasons(None) == [] and reasons("") == []
