"""Sendmail SMTP AUTH: the `AUTH=server` line has no queue id (Sendmail logs it with
NOQID, before MAIL FROM), so the login is the SMTP session's, that is the process's:
every message the same host + pid accepts after it is charged to `sasl:<authid>` until
the session ends or another AUTH replaces it, across batches and runs. `AUTH=client`
(Sendmail logging in to a smarthost) is never a sender's identity, and `proto=ESMTPA`
without an AUTH line in view is SASL with the login unknown: never an invented one."""

import pandas as pd
import pytest
from helpers import assert_same_dataset, ingest, table

from analyzer import api
from analyzer.clock import Clock, parse_zone
from analyzer.correlate import Correlator
from analyzer.dataset.openstate import OpenStore
from analyzer.parse.events import LineParser


def _log(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _ingest(tmp_path, lines, name="maillog", year=2026):
    data = tmp_path / "d"
    summary = ingest([_log(tmp_path / name, lines)], data, year=year)
    assert summary.unparsed == 0
    return data


# The session: STARTTLS and AUTH logged with NOQID, then the message.
STARTTLS = (
    "Dec  6 11:43:11 mx sm-mta[29813]: STARTTLS=server, relay=client.example [198.51.100.7], "
    "version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256"
)
AUTH = (
    "Dec  6 11:43:12 mx sm-mta[29813]: AUTH=server, relay=client.example [198.51.100.7], authid=augie, "
    "mech=PLAIN, bits=0"
)


def _from(
    time,
    pid,
    qid,
    sender="augie@example.net",
    proto="ESMTPA",
    relay="client.example [198.51.100.7]",
    nrcpts=1,
    daemon="MSA",
):
    return (
        f"Dec  6 {time} mx sm-mta[{pid}]: {qid}: from=<{sender}>, size=812, class=0, nrcpts={nrcpts}, "
        f"msgid=<{qid}@example.net>, proto={proto}, daemon={daemon}, relay={relay}"
    )


def _to(
    time, pid, qid, rcpt="bob@dest.example", relay="mx.dest.example. [192.0.2.50]", stat="Sent (Ok)"
):
    return (
        f"Dec  6 {time} mx sm-mta[{pid}]: {qid}: to=<{rcpt}>, delay=00:00:01, xdelay=00:00:01, "
        f"mailer=esmtp, pri=30812, relay={relay}, dsn=2.0.0, stat={stat}"
    )


def _identities(data) -> dict:
    msgs = table(data, "messages")
    return dict(zip(msgs.queue_id, msgs.identity.fillna("-")))


def test_noqid_auth_charges_every_message_of_the_session(tmp_path):
    data = _ingest(
        tmp_path,
        [
            STARTTLS,
            AUTH,
            _from("11:43:13", 29813, "wB6BhD1x029813"),
            _to("11:43:14", 29820, "wB6BhD1x029813"),
            _from("11:43:20", 29813, "wB6BhK3x029813", sender="other@example.net"),
            _to("11:43:21", 29821, "wB6BhK3x029813", rcpt="carol@dest.example"),
            # a process serving another client at the same time is another session
            _from(
                "11:43:22",
                29900,
                "wB6BhM0x029900",
                sender="news@list.example",
                proto="ESMTPS",
                relay="mail.list.example [203.0.113.9]",
                daemon="MTA",
            ),
        ],
    )
    msgs = table(data, "messages").set_index("queue_id")
    assert (
        msgs.loc[
            ["wB6BhD1x029813", "wB6BhK3x029813"],
            ["identity", "origin", "sasl_username", "sasl_method", "client_ip"],
        ].values.tolist()
        == [["sasl:augie", "sasl", "augie", "PLAIN", "198.51.100.7"]] * 2
    )
    assert msgs.loc["wB6BhM0x029900", ["identity", "origin"]].tolist() == ["ip:203.0.113.9", "smtp"]
    assert msgs.sasl_username.notna().sum() == 2
    d = table(data, "deliveries")
    assert d.set_index("recipient").identity.to_dict() == {
        "bob@dest.example": "sasl:augie",
        "carol@dest.example": "sasl:augie",
    }
    top = api.top_senders(data).set_index("identity")
    assert top.loc["sasl:augie", "messages"] == 2


def test_rejects_of_an_authenticated_session_carry_the_login(tmp_path):
    """Every recipient refused: the `nrcpts=0` line is no message, but its held rejects
    take the session's login."""
    data = _ingest(
        tmp_path,
        [
            AUTH,
            "Dec  6 11:43:13 mx sm-mta[29813]: wB6BhD1x029813: <nobody@example.net>... User unknown",
            _from("11:43:14", 29813, "wB6BhD1x029813", nrcpts=0),
        ],
    )
    assert table(data, "messages").empty
    rejects = table(data, "rejects")
    assert rejects[["recipient", "sasl_username", "client_ip", "sender"]].values.tolist() == [
        ["nobody@example.net", "augie", "198.51.100.7", "augie@example.net"]
    ]


def test_queue_id_form_still_works(tmp_path):
    data = _ingest(
        tmp_path,
        [
            "Dec  6 11:43:12 mx sm-mta[29813]: wB6BhC0x029813: AUTH=server, relay=client.example [198.51.100.7], "
            "authid=augie, mech=LOGIN, bits=0",
            _from("11:43:13", 29813, "wB6BhC0x029813"),
        ],
    )
    assert _identities(data) == {"wB6BhC0x029813": "sasl:augie"}


def test_another_auth_replaces_the_login(tmp_path):
    data = _ingest(
        tmp_path,
        [
            AUTH,
            _from("11:43:13", 29813, "wB6BhD1x029813"),
            AUTH.replace("11:43:12", "11:43:30")
            .replace("augie", "berta@example.net")
            .replace("PLAIN", "LOGIN"),
            _from("11:43:31", 29813, "wB6BhV2x029813", sender="berta@example.net"),
        ],
    )
    assert _identities(data) == {
        "wB6BhD1x029813": "sasl:augie",
        "wB6BhV2x029813": "sasl:berta@example.net",
    }
    assert table(data, "messages").sasl_method.tolist() == ["PLAIN", "LOGIN"]


LATER = "wB6CsA9x029813"


@pytest.mark.parametrize(
    "ending, later",
    [
        # the pid was reused by a connection from another client
        (
            [],
            _from(
                "11:50:00",
                29813,
                LATER,
                sender="x@spam.example",
                proto="ESMTP",
                relay="bot.example [192.0.2.66]",
                daemon="MTA",
            ),
        ),
        # the same client again after longer than Sendmail's command timeout (1 h): a new session
        ([], _from("12:43:14", 29813, LATER, proto="ESMTP", daemon="MTA")),
        # ... even when the new session authenticated too (its own AUTH line not in view)
        ([], _from("12:43:14", 29813, LATER)),
        # a message the same client sends unauthenticated (ESMTP, no `A`) is not the login's
        ([], _from("11:43:40", 29813, LATER, proto="ESMTPS", daemon="MTA")),
        # a CONNECT-stage reject: the process serves a new connection
        (
            [
                "Dec  6 11:44:00 mx sm-mta[29813]: ruleset=check_relay, arg1=[198.51.100.7], arg2=198.51.100.7, "
                "relay=client.example [198.51.100.7], reject=421 4.3.2 Connection rate limit exceeded."
            ],
            _from("11:44:30", 29813, LATER),
        ),
        # an AUTH failure: an authenticated session cannot fail AUTH again, so this is a new one
        (
            [
                "Dec  6 11:44:00 mx sm-mta[29813]: wB6BiA0x029813: AUTH failure (LOGIN): authentication failure "
                "(-13) SASL(-13): authentication failure: checkpass failed, user=augie, relay=client.example "
                "[198.51.100.7]"
            ],
            _from("11:44:30", 29813, LATER),
        ),
    ],
    ids=[
        "pid-reused",
        "timed-out",
        "timed-out-esmtpa",
        "unauthenticated-proto",
        "new-connection",
        "auth-failure",
    ],
)
def test_the_session_ends(tmp_path, ending, later):
    data = _ingest(tmp_path, [AUTH, _from("11:43:13", 29813, "wB6BhD1x029813"), *ending, later])
    msgs = table(data, "messages").set_index("queue_id")
    assert msgs.loc["wB6BhD1x029813", "identity"] == "sasl:augie"
    assert pd.isna(msgs.loc[LATER, "sasl_username"])
    assert msgs.loc[LATER, "identity"].startswith("ip:")


def test_auth_client_is_never_the_senders_identity(tmp_path):
    """`AUTH=client` is Sendmail's own login at a smarthost. In interactive delivery mode
    the session's own process delivers (and logs it) between two messages of the session;
    a queue runner logs it before relaying. Neither changes whom a message is charged to."""
    smarthost = "smtp.provider.example. [192.0.2.25]"
    data = _ingest(
        tmp_path,
        [
            AUTH,
            _from("11:43:13", 29813, "wB6BhD1x029813"),
            "Dec  6 11:43:14 mx sm-mta[29813]: AUTH=client, relay=smtp.provider.example, mech=PLAIN, bits=0",
            _to("11:43:14", 29813, "wB6BhD1x029813", relay=smarthost),
            _from("11:43:20", 29813, "wB6BhK3x029813"),
            # a queue runner (another process) relays a message it received without AUTH
            _from(
                "11:44:00",
                29950,
                "wB6BiF0x029950",
                sender="shop@shop-anna.example",
                proto="ESMTP",
                relay="localhost [127.0.0.1]",
                daemon="MTA",
            ),
            "Dec  6 11:44:05 mx sm-mta[29951]: wB6BiF0x029950: AUTH=client, relay=smtp.provider.example, "
            "mech=LOGIN, bits=0",
            _to("11:44:05", 29951, "wB6BiF0x029950", relay=smarthost),
            # the pid that logged AUTH=client later serves an inbound session
            _from(
                "11:45:00",
                29951,
                "wB6BjA0x029951",
                sender="a@b.example",
                proto="ESMTP",
                relay="mx.b.example [203.0.113.20]",
                daemon="MTA",
            ),
        ],
    )
    assert _identities(data) == {
        "wB6BhD1x029813": "sasl:augie",
        "wB6BhK3x029813": "sasl:augie",
        "wB6BiF0x029950": "ip:127.0.0.1",
        "wB6BjA0x029951": "ip:203.0.113.20",
    }
    events = list(
        api.parse_lines(
            [
                "Dec  6 11:44:05 mx sm-mta[29951]: AUTH=client, relay=smtp.provider.example, mech=LOGIN, bits=0"
            ],
            tz="UTC",
            year=2026,
        )
    )
    assert [(e["event"], e["pattern"], e.get("sasl_username")) for e in events] == [
        ("other", "sendmail_auth_client", None)
    ]


def test_esmtpa_without_its_auth_line_is_sasl_with_the_login_unknown(tmp_path):
    """The log starts mid-session: `proto=ESMTPSA` says the client authenticated, the
    login is not in view. Origin `sasl` (it is submitted mail, in the outgoing scope),
    charged to the client address (what is known), no login invented."""
    data = _ingest(
        tmp_path,
        [
            _from(
                "00:00:02",
                4711,
                "wB6003Ax004711",
                sender="office@shop-anna.example",
                proto="ESMTPSA",
                relay="dsl-7.isp.example [198.51.100.99]",
            ),
            _to("00:00:03", 4712, "wB6003Ax004711", rcpt="kunde@gmail.example"),
        ],
    )
    m = table(data, "messages").iloc[0]
    assert (m.origin, m.identity, m.client_ip) == ("sasl", "ip:198.51.100.99", "198.51.100.99")
    assert pd.isna(m.sasl_username) and pd.isna(m.sasl_method)
    top = api.top_senders(data)  # default scope: outgoing
    assert top.identity.tolist() == ["ip:198.51.100.99"]


def test_an_msp_login_at_its_own_mta_is_not_the_submitters(tmp_path):
    """An MSP configured to AUTH to its MTA: the login is the hop's, like localhost."""
    data = _ingest(
        tmp_path,
        [
            "Dec  6 10:00:00 mx sendmail[4001]: wB6A00MS004001: from=site1017, size=1500, class=0, nrcpts=1, "
            "msgid=<abc@www.blog-kochen.example>, relay=site1017@localhost",
            "Dec  6 10:00:00 mx sm-mta[4002]: AUTH=server, relay=localhost [127.0.0.1], authid=smmsp, mech=PLAIN, "
            "bits=0",
            _from(
                "10:00:00",
                4002,
                "wB6A00MT004002",
                sender="site1017@mx.example",
                proto="ESMTPA",
                relay="localhost [127.0.0.1]",
                daemon="MTA",
            ),
            "Dec  6 10:00:00 mx sendmail[4001]: wB6A00MS004001: to=<a@gmail.example>, ctladdr=site1017 "
            "(1017/1017), delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=31500, relay=[127.0.0.1] [127.0.0.1], "
            "dsn=2.0.0, stat=Sent (wB6A00MT004002 Message accepted for delivery)",
        ],
    )
    m = table(data, "messages").iloc[0]
    assert (m.queue_id, m.identity, m.origin) == ("wB6A00MT004002", "uid:1017", "local")
    assert pd.isna(m.sasl_username)


def test_the_login_is_carried_across_runs(tmp_path):
    """The AUTH line at the end of one run, the session's messages in the next: the same
    dataset as one run over the whole log."""
    first = [STARTTLS, AUTH]
    rest = [
        _from("11:43:13", 29813, "wB6BhD1x029813"),
        _to("11:43:14", 29820, "wB6BhD1x029813"),
        _from("11:43:20", 29813, "wB6BhK3x029813"),
    ]
    log = tmp_path / "maillog"
    _log(log, first)
    ingest([log], tmp_path / "split", year=2026)
    with log.open("a") as f:
        f.write("".join(line + "\n" for line in rest))
    ingest([log], tmp_path / "split", year=2026)
    assert _identities(tmp_path / "split") == {
        "wB6BhD1x029813": "sasl:augie",
        "wB6BhK3x029813": "sasl:augie",
    }
    _log(tmp_path / "whole.log", first + rest)
    ingest([tmp_path / "whole.log"], tmp_path / "whole", year=2026)
    assert_same_dataset(tmp_path / "split", tmp_path / "whole")


def _feed(correlator, lines):
    parser = LineParser(Clock(parse_zone("UTC"), year=2026), format="sendmail")
    for line in lines:
        event = parser.parse(line)
        if event["event"] != "other":
            correlator.feed(event)


def test_open_logins_are_carried_and_bounded(tmp_path):
    """The correlator's open state holds a login while its session may go on, through
    the checkpoint's open store, and drops it once the session cannot have lasted (1 h
    idle)."""
    rows = []
    c = Correlator(lambda table, row: rows.append((table, row)))
    _feed(c, [AUTH, _from("11:43:13", 29813, "wB6BhD1x029813")])
    store = OpenStore(tmp_path)
    store.save(1, c.state())
    state = store.load()
    assert [login[:3] for login in state["logins"]] == [["mx", "sm-mta", 29813]]
    assert state["logins"][0][3]["sasl_username"] == "augie"
    # a new correlator from that state continues the session
    resumed = Correlator(lambda table, row: rows.append((table, row)), state=state)
    _feed(resumed, [_from("11:50:00", 29813, "wB6BoA0x029813")])
    assert resumed.messages[("mx", "wB6BoA0x029813")]["sasl_username"] == "augie"
    # many sessions, then more than an hour of other traffic: none is carried any more
    _feed(
        resumed,
        [
            AUTH.replace("29813", str(pid)).replace("11:43:12", "12:00:00")
            for pid in range(100, 400)
        ],
    )
    assert len(resumed.state()["logins"]) == 301
    _feed(
        resumed,
        [
            _from(
                "13:00:01",
                9,
                "wB6D00Ax000009",
                proto="ESMTP",
                relay="a.example [192.0.2.1]",
                daemon="MTA",
            )
        ],
    )
    assert resumed.state()["logins"] == []


def test_a_checkpoint_written_before_last_seen_still_loads():
    old = {
        "now": 0,
        "messages": [],
        "sessions": [],
        "closing": [],
        "logins": [
            [
                "mx",
                "sm-mta",
                29813,
                {
                    "ts": 1796557392000000,
                    "client_ip": "198.51.100.7",
                    "sasl_method": "PLAIN",
                    "sasl_username": "augie",
                },
            ]
        ],
    }
    c = Correlator(lambda table, row: None, state=old)
    _feed(c, [_from("11:43:13", 29813, "wB6BhD1x029813")])
    assert c.messages[("mx", "wB6BhD1x029813")]["sasl_username"] == "augie"


# --- real-world lines: fail2ban's Sendmail test logs -------------------------------------


def test_fail2ban_sessions_with_a_login(corpora, tmp_path):
    """fail2ban's sendmail-reject log with an AUTH line put into one of its sessions: the
    session's envelope says `proto=ESMTP` (not authenticated), so the login does not reach
    its rejects: every row is what the corpus alone gives. And fail2ban's brute-force
    session (`mail sendmail[5976]`, two AUTH failures) that then logs in: the failures
    stay failures, the message after the login is charged to it."""
    reject_log = (corpora / "fail2ban" / "sendmail-reject.log").read_text().splitlines()
    auth_log = (corpora / "fail2ban" / "sendmail-auth.log").read_text().splitlines()
    plain = tmp_path / "plain"
    ingest([_log(tmp_path / "reject.log", reject_log)], plain, year=2005)

    at = next(i for i, line in enumerate(reject_log) if "Microsoft sendmail[26254]" in line)
    with_auth = list(reject_log)
    with_auth.insert(
        at,
        "Nov  3 11:35:29 Microsoft sendmail[26254]: AUTH=server, relay=163.23.32.95.dsl-dynamic."
        "vsi.ru [95.32.23.163], authid=anton, mech=LOGIN, bits=0",
    )
    data = tmp_path / "with_auth"
    assert ingest([_log(tmp_path / "reject_auth.log", with_auth)], data, year=2005).unparsed == 0
    assert_same_dataset(plain, data)
    assert table(data, "rejects").sasl_username.isna().all()

    session = [line for line in auth_log if " mail sendmail[5976]: " in line]
    assert len(session) == 2  # the corpus's two failures of one process, 23:14:04
    session += [
        "May 29 23:14:06 mail sendmail[5976]: AUTH=server, relay=host.example.com [192.0.2.8], authid=test, "
        "mech=PLAIN, bits=0",
        "May 29 23:14:07 mail sendmail[5976]: 09DJDgOM005976: from=<test@example.com>, size=700, class=0, "
        "nrcpts=1, msgid=<1@example.com>, proto=ESMTPA, daemon=MTA, relay=host.example.com [192.0.2.8]",
    ]
    data = tmp_path / "brute"
    assert ingest([_log(tmp_path / "auth.log", session)], data, year=2005).unparsed == 0
    fails = table(data, "auth_failures")
    assert fails[["sasl_username", "client_ip"]].values.tolist() == [
        ["test", "192.0.2.7"],
        ["test", "192.0.2.8"],
    ]
    m = table(data, "messages").iloc[0]
    assert (m.identity, m.origin, m.sasl_method) == ("sasl:test", "sasl", "PLAIN")


def test_fail2ban_lines_never_make_a_login(corpora):
    """No line of fail2ban's Sendmail logs (failures, attack summaries, rejects, session
    notices) is a successful login."""
    lines = []
    for name in ("sendmail-auth.log", "sendmail-reject.log"):
        lines += (corpora / "fail2ban" / name).read_text().splitlines()
    events = list(api.parse_lines(lines, tz="UTC", year=2005))
    assert len(events) == len(lines) == 58
    assert not [e for e in events if e["event"] in ("authenticated", "unparsed")]
