"""Lightmeter's scenario files: what each scenario's messages must become."""

import pytest
from helpers import ingest, table

SCENARIOS = "lightmeter/individual_files"


@pytest.fixture
def run(corpora, tmp_path):
    def _run(name):
        data = tmp_path / "data"
        ingest([corpora / SCENARIOS / name], data, year=2020)
        return table(data, "messages"), table(data, "deliveries")

    return _run


def test_pickup_is_charged_to_uid(run):
    messages, _ = run("10_pickup.log")
    local = messages[(messages.origin == "local") & messages.filter_of.isna()]
    assert list(local.identity) == ["uid:0"]
    assert list(local.sender) == ["h-dc76@h-ac7182297368ddc0f.com"]  # qmgr's envelope sender
    # amavis handed it back from 127.0.0.1: the same message, still charged to uid 0
    reinjected = messages[messages.queue_id == "AED441541AFC"]
    assert list(reinjected.identity) == ["uid:0"]
    assert list(reinjected.filter_of) == ["08ACF1541B01"]


def test_reused_queue_id_gives_two_messages(run):
    messages, deliveries = run("14_reuse_of_queueid.log")
    reused = messages[messages.queue_id == "BABABABABA"]
    assert len(reused) == 2
    assert reused.first_seen.is_monotonic_increasing
    # the first is the DKIM proxy's re-injection (relay 170.55.103.23:2501 `queued as
    # BABABABABA`, whose client is that relay) of DADADADADA: it takes over its client
    assert reused.client_ip.tolist() == ["112.83.23.93", "112.83.23.93"]
    assert reused.filter_of.fillna("").tolist() == ["DADADADADA", ""]
    assert reused.complete.all()
    # each delivery points at the lifecycle it belongs to
    for first_seen, _group in deliveries[deliveries.queue_id == "BABABABABA"].groupby(
        "message_first_seen"
    ):
        assert first_seen in set(reused.first_seen)


def test_expired_message(run):
    messages, deliveries = run("18_expired.log")
    msg = messages[messages.queue_id == "23EBE3D5C0"].iloc[0]
    assert bool(msg.expired)
    assert msg.deferred >= 4 and msg.sent == 0
    assert (deliveries[deliveries.queue_id == "23EBE3D5C0"].status == "deferred").all()


def test_milter_reject_ends_the_message(corpora, tmp_path):
    data = tmp_path / "d"
    ingest([corpora / SCENARIOS / "15_milter-reject.log"], data, year=2020)
    msg = table(data, "messages").set_index("queue_id").loc["B37FD2E05B9"]
    assert bool(msg.rejected) and msg.sent == 0
    rejects = table(data, "rejects")
    assert set(rejects.reason_class) == {"milter"}
    assert set(rejects.stage) == {"END-OF-MESSAGE"}


def test_multiple_recipients_some_bounces(run):
    messages, deliveries = run("2_multiple_recipients_some_bounces.log")
    assert messages.sent.sum() == (deliveries.status == "sent").sum()
    assert messages.bounced.sum() == (deliveries.status == "bounced").sum() > 0
    sasl = messages[messages.origin == "sasl"]
    # the submission and amavis's re-injection of it (127.0.0.1:10024 -> 10025): one
    # message, and the re-injection's bounces count against the account
    assert list(sasl.identity) == ["sasl:sender@mydomain.com"] * 2
    assert sorted(sasl.filter_of.fillna("")) == ["", "BA8F630001DA"]
    assert sasl.bounced.sum() == (deliveries.status == "bounced").sum()
