"""The headline numbers of the Postfix sample (whose outbound mail passes amavis on
127.0.0.1:10024 -> 10025) reconciled with what `grep` finds in the raw log: messages
accepted, messages, recipients and delivery outcomes per identity, bounce rates. The
counting here is plain string work on the lines (split, partition, `in`), independent of
the parser, the correlator and the reports."""

from collections import Counter, defaultdict

from analyzer import api

HANDOVER = "relay=127.0.0.1[127.0.0.1]:10024,"


def _queue_id(text: str) -> str:
    """`postfix/smtp[123]: 4F2A11C0E3: to=<...` -> `4F2A11C0E3`."""
    return text.split("]: ", 1)[1].split(":", 1)[0]


def grep_counts(lines: list[str]) -> dict:
    """Per identity: messages, recipients, sent/deferred/bounced delivery lines; an
    amavis re-injection (named by the hand-over's `queued as`) counts for the identity
    of the message handed over; a bounce notice (`sender non-delivery notification: NQ`)
    is charged to the bounced message's identity (`notices`: not outgoing mail)."""
    identity_of: dict[str, str] = {}  # queue id -> identity, as the lines go
    counts: dict[str, Counter] = defaultdict(Counter)
    nrcpt_pending: dict[str, str] = {}  # original queue id -> identity, until its qmgr line
    notices: Counter = Counter()
    accepted = loopback_clients = handovers = 0
    for line in lines:
        if "postfix/" not in line:
            continue
        body = line.split("]: ", 1)[1] if "]: " in line else ""
        if ": client=" in body and "/smtpd[" in line:
            qid, _, rest = body.partition(": client=")
            if rest.startswith("localhost[127.0.0.1]"):
                loopback_clients += 1
                identity_of[qid] = "ip:127.0.0.1"  # until a hand-over names it
                continue
            accepted += 1
            if "sasl_username=" in rest:
                who = "sasl:" + rest.split("sasl_username=", 1)[1].split(",", 1)[0]
            else:
                who = "ip:" + rest.split("[", 1)[1].split("]", 1)[0]
            identity_of[qid] = who
            counts[who]["messages"] += 1
            nrcpt_pending[qid] = who
        elif "/pickup[" in line and " uid=" in body:
            qid, _, rest = body.partition(": uid=")
            who = "uid:" + rest.split(" ", 1)[0]
            accepted += 1
            identity_of[qid] = who
            counts[who]["messages"] += 1
            nrcpt_pending[qid] = who
        elif "/bounce[" in line and ": sender non-delivery notification: " in body:
            who = identity_of.get(body.split(":", 1)[0])
            if who is not None:
                notices[who] += 1
        elif "/qmgr[" in line and ", nrcpt=" in body:
            qid = body.split(":", 1)[0]
            who = nrcpt_pending.pop(qid, None)
            if who is not None:
                counts[who]["recipients"] += int(body.split(", nrcpt=", 1)[1].split(" ", 1)[0])
        elif ": to=<" in body and ", status=" in body:
            qid = _queue_id(line)
            who = identity_of.get(qid)
            if HANDOVER in body:
                handovers += 1
                reinjected = body.rsplit("queued as ", 1)[1].rstrip(")")
                identity_of[reinjected] = who
                continue
            status = body.split(", status=", 1)[1].split(" ", 1)[0]
            if who is not None:
                counts[who][status] += 1
    return {
        "per_identity": counts,
        "accepted": accepted,
        "loopback_clients": loopback_clients,
        "handovers": handovers,
        "notices": notices,
    }


def test_top_senders_reconcile_with_grep(sample):
    lines = sample.log.read_text().splitlines()
    grep = grep_counts(lines)
    # the sample really runs amavis: most outbound mail comes back from 127.0.0.1
    assert grep["loopback_clients"] == sample.truth["content_filter"]["reinjected_messages"] > 1000
    assert grep["handovers"] == sample.truth["content_filter"]["handover_deliveries"]

    top = api.top_senders(data=sample.data, since="all", scope="all").set_index("identity")
    assert "ip:127.0.0.1" not in top.index
    # messages accepted: every client= (not the re-injections) and pickup line, once, and
    # the bounce notices about them
    assert grep["notices"] and grep["notices"] == Counter(
        sample.truth["bounce_notices_by_identity"]
    )
    assert top["messages"].sum() == grep["accepted"] + grep["notices"].total()
    outgoing = api.top_senders(data=sample.data, since="all").set_index("identity")
    assert len(outgoing) > 20
    for identity, row in outgoing.iterrows():
        want = grep["per_identity"][identity]
        got = {
            "messages": row.messages,
            "recipients": row.recipients,
            "sent": row.sent,
            "deferred": row.deferred,
            "bounced": row.bounced,
        }
        assert got == {k: want[k] for k in got}, identity
        if want["sent"] + want["bounced"]:
            assert row.bounce_rate == want["bounced"] / (want["sent"] + want["bounced"])
    # the planted compromised account: its bounces (all from amavis's re-injections) count
    bakery = "sasl:" + sample.truth["incidents"]["compromised_sasl"]["sasl_username"]
    assert outgoing.loc[bakery, "bounced"] == grep["per_identity"][bakery]["bounced"] > 0


def test_every_delivery_line_is_counted_once(sample):
    """Delivery lines by status in the log = deliveries rows by status; the hand-overs to
    amavis are the `filtered` rows, not deliveries."""
    status = Counter()
    for line in sample.log.read_text().splitlines():
        if ": to=<" in line and ", status=" in line and "postfix/" in line:
            kind = (
                "filtered" if HANDOVER in line else line.split(", status=", 1)[1].split(" ", 1)[0]
            )
            status[kind] += 1
    deliveries = api.table("deliveries", data=sample.data)
    assert deliveries.status.value_counts().to_dict() == dict(status)
    messages = api.table("messages", data=sample.data)
    assert messages[["sent", "deferred", "bounced"]].sum().to_dict() == {
        k: status[k] for k in ("sent", "deferred", "bounced")
    }
