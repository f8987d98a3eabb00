"""The committed sample, ingested, has exactly the traffic the generator says it wrote."""

import json

from conftest import SAMPLE_LOGS
from helpers import ingest

from analyzer import api
from analyzer.samplegen.postfix import generate_postfix


def test_sample_is_what_the_generator_makes():
    lines, truth = generate_postfix(seed=2026, days=1.0)
    assert (SAMPLE_LOGS / "maillog").read_text() == "".join(ln + "\n" for ln in lines)
    assert json.loads((SAMPLE_LOGS / "truth" / "maillog.json").read_text()) == json.loads(
        json.dumps(truth)
    )


def test_sample_tables_match_the_truth(tmp_path):
    truth = json.loads((SAMPLE_LOGS / "truth" / "maillog.json").read_text())
    summary = ingest([SAMPLE_LOGS], tmp_path, year=2026)
    assert summary.lines == truth["lines"] and summary.unparsed == 0
    beside = {p: n for p, n in truth["lines_by_program"].items() if not p.startswith("postfix")}
    assert summary.programs_beside_mta == beside
    everything = api.table("messages", data=tmp_path)
    assert (
        everything.complete.all()
        and everything.expired.sum() == truth["deliveries"]["expired_messages"]
    )
    # amavis's re-injections (10025) are the same messages again, charged to the originals
    reinjected = everything[everything.filter_of.notna()]
    assert len(reinjected) == truth["content_filter"]["reinjected_messages"]
    messages = everything[everything.filter_of.isna()]
    assert len(messages) == truth["messages"]["total"]
    assert messages.origin.value_counts().to_dict() == truth["messages"]["by_origin"]
    deliveries = api.table("deliveries", data=tmp_path)
    for status in ("sent", "deferred", "bounced"):
        assert (deliveries.status == status).sum() == truth["deliveries"][status]
    assert (deliveries.status == "filtered").sum() == truth["content_filter"]["handover_deliveries"]
    rejects = api.table("rejects", data=tmp_path)
    assert rejects.reason_class.value_counts().to_dict() == truth["rejects"]["by_class"]
    assert len(api.table("auth_failures", data=tmp_path)) == truth["auth_failures"]["total"]
    top = messages.identity.value_counts()
    for row in truth["top_senders_by_identity"]:
        assert top[row["identity"]] == row["messages"]
    reused = messages[messages.queue_id == truth["reused_queue_id"]]
    assert len(reused) == 2
