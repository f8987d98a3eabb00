"""Exim lines become the same messages, deliveries, rejects and auth failures as Postfix's:
hand-written scenarios, then the generated one-day sample against its truth and the
reports' planted incidents."""

import json

import pytest
from conftest import SAMPLE_LOGS
from helpers import ingest, table

from analyzer import api

T = "2026-11-26 10:00:"


def _log(tmp_path, lines, name="exim_mainlog"):
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_smtp_arrival_delivery_completed(tmp_path):
    log = _log(
        tmp_path,
        [
            f"{T}00 1vAbCd-00000X-Q1 <= a@b.example H=mx.b.example (helo.b.example) [192.0.2.5]:4000 "
            "I=[10.0.0.1]:25 P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=2000 id=m1@b.example "
            'T="Hello" for info@shop-anna.example office@shop-anna.example',
            f"{T}01 1vAbCd-00000X-Q1 => info <info@shop-anna.example> R=virtual_user T=virtual_userdelivery",
            f"{T}01 1vAbCd-00000X-Q1 -> office@shop-anna.example R=virtual_user T=virtual_userdelivery",
            f"{T}01 1vAbCd-00000X-Q1 Completed",
        ],
    )
    ingest([log], tmp_path / "d", host="mx1")
    m = table(tmp_path / "d", "messages").iloc[0]
    assert (
        m.identity,
        m.origin,
        m.client_ip,
        m["size"],
        m.nrcpt,
        m.message_id,
        m.subject,
        m.sent,
        m.complete,
        m.program,
    ) == ("ip:192.0.2.5", "smtp", "192.0.2.5", 2000, 2, "m1@b.example", "Hello", 2, True, "exim")
    d = table(tmp_path / "d", "deliveries")
    assert d.recipient.tolist() == ["info@shop-anna.example", "office@shop-anna.example"]
    assert set(d.program) == {"exim/local"} and (d.message_first_seen == m.first_seen).all()


def test_sasl_bounce_defer_and_bounce_message(tmp_path):
    log = _log(
        tmp_path,
        [
            f"{T}00 [501] 1vAbCd-00000X-Q2 <= info@shop-anna.example H=(laptop) [198.18.4.7]:50122 "
            "P=esmtpsa A=dovecot_plain:info@shop-anna.example S=900 for x@nowhere.example y@web.example",
            f"{T}02 [502] 1vAbCd-00000X-Q2 ** x@nowhere.example R=dnslookup T=remote_smtp H=mx.nowhere.example "
            "[192.0.2.9]: SMTP error from remote mail server after RCPT TO:<x@nowhere.example>: 550 5.1.1 User unknown",
            f"{T}02 [502] 1vAbCd-00000X-Q2 == y@web.example R=dnslookup T=remote_smtp defer (-44) H=mx.web.example "
            "[198.51.100.52]: SMTP error from remote mail server after RCPT TO:<y@web.example>: 451 4.7.1 Greylisted",
            f"{T}02 [502] 1vAbCd-00000X-Q3 <= <> R=1vAbCd-00000X-Q2 U=mailnull P=local S=1500 "
            'T="Mail delivery failed: returning message to sender" for info@shop-anna.example',
            f"{T}02 [502] 1vAbCd-00000X-Q3 => info <info@shop-anna.example> R=virtual_user T=virtual_userdelivery",
            f"{T}02 [502] 1vAbCd-00000X-Q3 Completed",
        ],
    )
    ingest([log], tmp_path / "d", host="mx1")
    msgs = table(tmp_path / "d", "messages").set_index("queue_id")
    sasl = msgs.loc["1vAbCd-00000X-Q2"]
    assert (
        sasl.identity,
        sasl.origin,
        sasl.sasl_method,
        sasl.bounced,
        sasl.deferred,
        sasl.complete,
    ) == ("sasl:info@shop-anna.example", "sasl", "dovecot_plain", 1, 1, False)
    bounce = msgs.loc["1vAbCd-00000X-Q3"]
    assert (bounce.origin, bounce.sender, pd_na(bounce.identity), pd_na(bounce.user)) == (
        "bounce",
        "",
        True,
        True,
    )
    d = table(tmp_path / "d", "deliveries")
    failed = d[d.queue_id == "1vAbCd-00000X-Q2"].set_index("status")
    assert failed.loc["bounced", "dsn"] == "5.1.1" and failed.loc["deferred", "dsn"] == "4.7.1"
    assert failed.loc["bounced", "program"] == "exim/smtp"
    assert failed.loc["bounced", "identity"] == "sasl:info@shop-anna.example"


def pd_na(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def _local_lines():
    """cPanel style: the submitting process's cwd (no id), its arrival, then the delivery
    process's cwd naming the id."""
    return [
        f"{T}00 cwd=/home/site1017/public_html/wp-content/uploads/2026/11 3 args: /usr/sbin/sendmail -t -i",
        f'{T}00 1vAbCd-00000X-Q4 <= site1017@mx1.example U=site1017 P=local S=1200 T="Offer" '
        "for a@gmail.example",
        f"{T}00 cwd=/home/site1017/public_html/wp-content/uploads/2026/11 4 args: /usr/sbin/exim -Mc "
        "1vAbCd-00000X-Q4",
        f"{T}01 1vAbCd-00000X-Q4 => a@gmail.example R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.example "
        '[198.51.100.27] C="250 OK"',
        f"{T}01 1vAbCd-00000X-Q4 Completed",
        f"{T}05 cwd=/root 3 args: /usr/sbin/sendmail -t -i",
        f"{T}05 1vAbCd-00000X-Q5 <= root@mx1.example U=root P=local S=700 for root@mx1.example",
        f"{T}05 cwd=/var/spool/exim 4 args: /usr/sbin/exim -Mc 1vAbCd-00000X-Q5",
        f"{T}05 1vAbCd-00000X-Q5 => root <root@mx1.example> R=localuser T=local_delivery",
        f"{T}05 1vAbCd-00000X-Q5 Completed",
    ]


def test_local_submission_gets_its_directory_and_login(tmp_path):
    ingest([_log(tmp_path, _local_lines())], tmp_path / "d", host="mx1")
    msgs = table(tmp_path / "d", "messages").set_index("queue_id")
    php = msgs.loc["1vAbCd-00000X-Q4"]
    assert (php.identity, php.origin, php.user, pd_na(php.uid)) == (
        "user:site1017",
        "local",
        "site1017",
        True,
    )
    assert php.script == php.script_path == "/home/site1017/public_html/wp-content/uploads/2026/11"
    cron = msgs.loc["1vAbCd-00000X-Q5"]
    assert (cron.identity, cron.script) == ("user:root", "/root")  # the spool dir is not a script
    d = table(tmp_path / "d", "deliveries")
    assert d.set_index("queue_id").loc["1vAbCd-00000X-Q4", "identity"] == "user:site1017"


def test_passwd_merges_login_and_uid(tmp_path):
    passwd = tmp_path / "passwd"
    passwd.write_text(
        "root:x:0:0:root:/root:/bin/bash\nsite1017:x:1017:1017::/home/site1017:/bin/bash\n"
    )
    ingest([_log(tmp_path, _local_lines())], tmp_path / "d", host="mx1", passwd=passwd)
    msgs = table(tmp_path / "d", "messages").set_index("queue_id")
    assert msgs.loc["1vAbCd-00000X-Q4", ["identity", "uid", "user"]].tolist() == [
        "uid:1017",
        1017,
        "site1017",
    ]
    assert msgs.loc["1vAbCd-00000X-Q5", "identity"] == "uid:0"
    d = table(tmp_path / "d", "deliveries").set_index("queue_id")
    assert d.loc["1vAbCd-00000X-Q4", "identity"] == "uid:1017"


def test_cwd_pairs_by_process_when_pids_are_logged(tmp_path):
    log = _log(
        tmp_path,
        [
            f"{T}00 [700] cwd=/home/a/public_html 3 args: /usr/sbin/sendmail -t -i",
            f"{T}00 [701] cwd=/home/b/public_html 3 args: /usr/sbin/sendmail -t -i",
            f"{T}01 [701] 1vAbCd-00000X-Q6 <= b@mx1.example U=b P=local S=1",
            f"{T}01 [700] 1vAbCd-00000X-Q7 <= a@mx1.example U=a P=local S=1",
            f"{T}30 [702] 1vAbCd-00000X-Q8 <= a@mx1.example U=a P=local S=1",
        ],
    )
    ingest([log], tmp_path / "d", host="mx1")
    msgs = table(tmp_path / "d", "messages").set_index("queue_id")
    assert msgs.loc["1vAbCd-00000X-Q6", "script"] == "/home/b/public_html"
    assert msgs.loc["1vAbCd-00000X-Q7", "script"] == "/home/a/public_html"
    assert pd_na(msgs.loc["1vAbCd-00000X-Q8", "script"])


def test_rejects_and_auth_failures(tmp_path):
    log = _log(
        tmp_path,
        [
            f"{T}00 H=localhost (shop-anna.example) [127.0.0.1]:40000 F=<shop@shop-anna.example> rejected RCPT "
            "<x@gmail.example>: relay not permitted",
            f"{T}01 H=(ylmf-pc) [203.0.113.66]:5000 I=[10.0.0.1]:587 F=<a@b> rejected RCPT <c@d>: Unknown user",
            f"{T}02 dovecot_login authenticator failed for (User) [203.0.113.66]:5001 I=[10.0.0.1]:587: "
            "535 Incorrect authentication data (set_id=admin@shop-anna.example)",
        ],
    )
    ingest([log], tmp_path / "d", host="mx1")
    rejects = table(tmp_path / "d", "rejects")
    assert rejects[
        ["client_ip", "reason_class", "local_client", "sender", "helo", "program"]
    ].values.tolist() == [
        ["127.0.0.1", "relay_denied", True, "shop@shop-anna.example", "shop-anna.example", "exim"],
        ["203.0.113.66", "unknown_recipient", False, "a@b", "ylmf-pc", "exim"],
    ]
    fails = table(tmp_path / "d", "auth_failures")
    assert fails[["client_ip", "sasl_username", "sasl_method"]].values.tolist() == [
        ["203.0.113.66", "admin@shop-anna.example", "dovecot_login"]
    ]


# --- the generated one-day sample ------------------------------------------------------------

SAMPLE = SAMPLE_LOGS / "exim" / "exim_mainlog"
TRUTH = SAMPLE_LOGS / "truth" / "exim_mainlog.json"


@pytest.fixture(scope="module")
def exim_day(tmp_path_factory):
    data = tmp_path_factory.mktemp("exim") / "data"
    summary = api.ingest([str(SAMPLE)], data=str(data), tz="UTC", host="mx1")
    return data, json.loads(TRUTH.read_text()), summary


def test_sample_is_what_the_generator_makes():
    from analyzer.samplegen import generate_mta, passwd_lines

    lines, truth = generate_mta("exim")
    assert SAMPLE.read_text() == "".join(line + "\n" for line in lines)
    assert json.loads(TRUTH.read_text()) == json.loads(json.dumps(truth))
    assert (SAMPLE_LOGS / "etc" / "passwd").read_text() == "".join(
        ln + "\n" for ln in passwd_lines()
    )


def test_sample_tables_match_the_truth(exim_day):
    data, truth, summary = exim_day
    assert summary.lines == truth["lines"] and summary.unparsed == 0
    messages = api.table("messages", data=data)
    assert len(messages) == truth["messages"]["total"] and messages.complete.all()
    assert messages.origin.value_counts().to_dict() == truth["messages"]["by_origin"]
    deliveries = api.table("deliveries", data=data)
    for status in ("sent", "deferred", "bounced"):
        assert (deliveries.status == status).sum() == truth["deliveries"][status]
    rejects = api.table("rejects", data=data)
    assert rejects.reason_class.value_counts().to_dict() == truth["rejects"]["by_class"]
    assert len(api.table("auth_failures", data=data)) == truth["auth_failures"]["total"]
    top = messages.identity.value_counts()
    for row in truth["top_senders_by_identity"]:
        assert top[row["identity"]] == row["messages"], row


def test_reports_find_the_incidents(exim_day):
    data, truth, _ = exim_day
    inc = truth["incidents"]
    sasl = inc["compromised_sasl"]
    top = api.top_senders(data, since=sasl["start"], until=sasl["end"], tz="UTC").iloc[0]
    assert top["identity"] == "sasl:" + sasl["sasl_username"]
    assert (top["messages"], top["client_ips"], top["recipients"], top["recipient_domains"]) == (
        sasl["messages"],
        sasl["client_ips"],
        sasl["recipients"],
        sasl["recipient_domains"],
    )
    assert api.top_senders(data).iloc[0]["messages"] == sasl["messages_total_day"]

    relay = inc["relay_spike"]
    spikes = api.relay_spikes(data)
    assert len(spikes) == 1
    spike = spikes.iloc[0]
    assert (
        spike["local_count"],
        spike["internet_count"],
        spike["source"],
        spike["responsible"],
    ) == (relay["count"], relay["internet_count_in_hour"], "local", relay["sender"])

    php = inc["php_script"]
    scripts = api.suspicious_scripts(data)
    first = scripts.iloc[0]
    assert (first["identity"], first["script"], first["messages"], first["recipients"]) == (
        php["identity"],
        php["script"],
        php["messages"],
        php["recipients"],
    )
    assert first["score"] > scripts.iloc[1:]["score"].max()
    assert any(r.startswith("runs from a writable dir") for r in first["reasons"])

    brute = inc["brute_force"]
    fails = api.auth_failures(data).iloc[0]
    assert (
        fails["client_ip"],
        fails["failures"],
        fails["usernames"],
        bool(fails["succeeded_later"]),
        fails["succeeded_as"],
        fails["messages_after"],
    ) == (
        brute["client_ip"],
        brute["failures"],
        brute["usernames"],
        True,
        [brute["succeeded_later_as"]],
        brute["messages_after"],
    )


def test_sample_with_passwd_charges_logins_to_uids(tmp_path):
    data = tmp_path / "data"
    api.ingest(
        [str(SAMPLE)],
        data=str(data),
        tz="UTC",
        host="mx1",
        passwd=str(SAMPLE_LOGS / "etc" / "passwd"),
    )
    truth = json.loads(TRUTH.read_text())
    messages = api.table("messages", data=data)
    local = messages[messages.origin == "local"]
    assert local.identity.str.startswith("uid:").all() and local.user.notna().all()
    assert (messages.identity == "uid:1017").sum() == truth["incidents"]["php_script"][
        "messages_of_uid_total"
    ]
    assert not messages.identity.str.startswith("user:").any()
    deliveries = api.table("deliveries", data=data)
    assert not deliveries.identity.dropna().str.startswith("user:").any()
    first = api.suspicious_scripts(data).iloc[0]
    assert (first["uid"], first["identity"]) == (1017, "uid:1017")


def test_php_mail_log_turns_directories_into_script_paths(tmp_path):
    """Exim's cwd= gives the directory; PHP's mail.log, when given, the script itself
    (an entry must lie under the message's directory to match)."""
    from analyzer.samplegen import generate_mta

    lines, truth, php_lines, php_truth = generate_mta("exim", php_log=True)
    lines.append("2026-11-27 00:01:00 H=[192.0.2.1]:40000 dropped by 'connect' ACL: end of the day")
    (tmp_path / "exim_mainlog").write_text("".join(ln + "\n" for ln in lines))
    (tmp_path / "php_mail.log").write_text("".join(ln + "\n" for ln in php_lines))
    data = tmp_path / "data"
    api.ingest(
        [str(tmp_path / "exim_mainlog"), str(tmp_path / "php_mail.log")],
        data=str(data),
        tz="UTC",
        host="mx1",
    )
    php = api.table("php_mail", data=data)
    assert len(php) == php_truth["entries"] and php.queue_id.notna().sum() == php_truth["joinable"]
    messages = api.table("messages", data=data)
    burst = php_truth["burst"]
    assert (messages.script == burst["script_path"]).sum() == burst["entries"]
    first = api.suspicious_scripts(data).iloc[0]
    assert (first["identity"], first["script"], first["messages"]) == (
        "user:site1017",
        burst["script_path"],
        burst["entries"],
    )
    local = messages[(messages.origin == "local") & (messages.user != "root")]
    assert local.script.str.endswith(".php").all()
