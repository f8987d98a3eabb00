"""A `journalctl -o json` export of the Postfix server: detected as such, ingested to the
same tables as its syslog twin, incidents included."""

import gzip
import json

import pytest
from conftest import SAMPLE_LOGS

from analyzer import api
from analyzer.parse.header import sniff_format
from analyzer.read.sources import describe, head_lines

SAMPLE = SAMPLE_LOGS / "journal" / "postfix.json.gz"
TRUTH = SAMPLE_LOGS / "truth" / "journal.json"


@pytest.fixture(scope="module")
def journal_day(tmp_path_factory):
    data = tmp_path_factory.mktemp("journal") / "data"
    summary = api.ingest(
        [str(SAMPLE)], data=str(data), tz="Asia/Tokyo"
    )  # journald times are UTC µs
    return data, json.loads(TRUTH.read_text()), summary


def test_sample_is_what_the_generator_makes():
    from analyzer.samplegen import generate_journal

    lines, truth = generate_journal()
    assert gzip.decompress(SAMPLE.read_bytes()).decode() == "".join(line + "\n" for line in lines)
    assert json.loads(TRUTH.read_text()) == json.loads(json.dumps(truth))


def test_detected_as_journal():
    assert sniff_format(head_lines(describe(str(SAMPLE)))) == ("journal", False)
    first = json.loads(gzip.decompress(SAMPLE.read_bytes()).split(b"\n", 1)[0])
    assert {"__REALTIME_TIMESTAMP", "_HOSTNAME", "SYSLOG_IDENTIFIER", "MESSAGE", "__CURSOR"} <= set(
        first
    )


def test_sample_tables_match_the_truth(journal_day):
    data, truth, summary = journal_day
    assert summary.lines == truth["lines"] and summary.unparsed == 0
    beside = {p: n for p, n in truth["lines_by_program"].items() if not p.startswith("postfix")}
    assert summary.programs_beside_mta == beside
    everything = api.table("messages", data=data)
    assert everything.complete.all()
    assert everything.filter_of.notna().sum() == truth["content_filter"]["reinjected_messages"]
    messages = everything[everything.filter_of.isna()]  # amavis's re-injections aside
    assert len(messages) == truth["messages"]["total"]
    assert messages.origin.value_counts().to_dict() == truth["messages"]["by_origin"]
    assert set(messages.host) == {truth["host"]}
    deliveries = api.table("deliveries", data=data)
    for status in ("sent", "deferred", "bounced"):
        assert (deliveries.status == status).sum() == truth["deliveries"][status]
    assert (deliveries.status == "filtered").sum() == truth["content_filter"]["handover_deliveries"]
    rejects = api.table("rejects", data=data)
    assert rejects.reason_class.value_counts().to_dict() == {
        k: v for k, v in truth["rejects"]["by_class"].items() if v
    }
    assert len(api.table("auth_failures", data=data)) == truth["auth_failures"]["total"]
    top = messages.identity.value_counts()
    for row in truth["top_senders_by_identity"]:
        assert top[row["identity"]] == row["messages"], row


def test_reports_find_the_incidents(journal_day):
    data, truth, _ = journal_day
    inc = truth["incidents"]
    sasl = inc["compromised_sasl"]
    top = api.top_senders(data, since=sasl["start"], until=sasl["end"], tz="UTC").iloc[0]
    assert (top["identity"], top["messages"], top["client_ips"]) == (
        "sasl:" + sasl["sasl_username"],
        sasl["messages"],
        sasl["client_ips"],
    )
    spike = api.relay_spikes(data).iloc[0]
    assert (spike["local_count"], spike["responsible"]) == (
        inc["relay_spike"]["count"],
        inc["relay_spike"]["sender"],
    )
    first = api.suspicious_scripts(data).iloc[0]
    assert (first["uid"], first["script"], first["messages"]) == (
        1017,
        inc["php_script"]["script"],
        inc["php_script"]["messages"],
    )
    fails = api.auth_failures(data).iloc[0]
    assert (fails["client_ip"], fails["failures"]) == (
        inc["brute_force"]["client_ip"],
        inc["brute_force"]["failures"],
    )
