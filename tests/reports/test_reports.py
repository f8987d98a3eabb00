"""The reports on the one-day sample: each planted incident comes out on top of its
report with the exact numbers the generator planted (its truth dict)."""

import pandas as pd
import pytest

from analyzer import api


def utc(text: str) -> pd.Timestamp:
    """A truth time (naive UTC wall time) as a UTC timestamp."""
    return pd.Timestamp(text).tz_localize("UTC")


def incident(sample, name):
    found = sample.truth["incidents"].get(name)
    if not found:
        pytest.fail(f"the sample has no {name} incident")
    return found


# --- top-senders --------------------------------------------------------------------------


def test_compromised_account_tops_its_window(sample):
    inc = incident(sample, "compromised_sasl")
    top = api.top_senders(sample.data, since=inc["start"], until=inc["end"], tz="UTC")
    first = top.iloc[0]
    assert first["identity"] == "sasl:" + inc["sasl_username"]
    assert first["messages"] == inc["messages"]
    assert first["client_ips"] == inc["client_ips"]
    assert first["recipients"] == inc["recipients"]
    assert first["recipient_domains"] == inc["recipient_domains"]
    status = inc["delivery_status"]
    assert (first["sent"], first["deferred"], first["bounced"]) == (
        status["sent"],
        status["deferred"],
        status["bounced"],
    )
    assert first["bounce_rate"] == pytest.approx(
        status["bounced"] / (status["sent"] + status["bounced"])
    )
    assert first["messages"] == top["messages"].max()
    assert top["share"].sum() == pytest.approx(1.0)


def test_compromised_account_tops_the_day(sample):
    inc = incident(sample, "compromised_sasl")
    top = api.top_senders(sample.data)
    assert top.iloc[0]["identity"] == "sasl:" + inc["sasl_username"]
    assert top.iloc[0]["messages"] == inc["messages_total_day"]
    assert top.iloc[0]["client_ips"] >= inc["client_ips"]
    assert top.iloc[0]["peak_hour_messages"] >= inc["messages"] / 2  # 2 h window: one hour has half


def test_scope_all_ranks_every_identity_like_the_generator(sample):
    expected = [(e["identity"], e["messages"]) for e in sample.truth["top_senders_by_identity"]]
    top = api.top_senders(sample.data, scope="all", limit=len(expected))
    assert list(zip(top["identity"], top["messages"])) == expected


def test_outgoing_scope_leaves_inbound_mail_out(sample):
    notices = sample.truth["bounce_notices_by_identity"]  # they go to local mailboxes
    expected = {
        e["identity"]: e["messages"] - notices.get(e["identity"], 0)
        for e in sample.truth["top_senders_by_identity"]
        if not e["identity"].startswith("ip:")
    }
    top = api.top_senders(sample.data).set_index("identity")["messages"]
    assert {k: top[k] for k in expected} == expected
    origins = sample.truth["messages"]["by_origin"]
    assert api.top_senders(sample.data)["messages"].sum() == origins["sasl"] + origins["local"]


def test_inbound_and_outgoing_partition_smtp_mail(sample):
    everything = api.top_senders(sample.data, scope="all")["messages"].sum()
    inbound = api.top_senders(sample.data, scope="inbound")
    assert inbound["identity"].str.startswith("ip:").all()
    outgoing = api.top_senders(sample.data)["messages"].sum()
    bounces = sample.truth["messages"]["by_origin"]["bounce"]
    # the sample's bounce notices go to local senders: never outgoing
    assert inbound["messages"].sum() + outgoing + bounces == sample.truth["messages"]["total"]
    # notices about a message of the logs have its identity; the others have none
    charged = sum(sample.truth["bounce_notices_by_identity"].values())
    assert 0 < charged <= bounces
    assert everything == sample.truth["messages"]["total"] - (bounces - charged)


@pytest.mark.parametrize(
    "by, column",
    [
        ("sasl", "sasl_username"),
        ("uid", "uid"),
        ("sender", "sender"),
        ("sender-domain", "sender_domain"),
        ("client-ip", "client_ip"),
    ],
)
def test_top_senders_by_other_keys(sample, by, column):
    top = api.top_senders(sample.data, by=by, limit=5)
    assert list(top.columns[:1]) == [column]
    assert top["messages"].is_monotonic_decreasing
    inc_sasl, inc_php = incident(sample, "compromised_sasl"), incident(sample, "php_script")
    firsts = {
        "sasl": inc_sasl["sasl_username"],
        "uid": inc_php["uid"],
        "sender": inc_sasl["sasl_username"],
        "client-ip": None,
        "sender-domain": None,
    }
    if firsts[by] is not None:
        assert top.iloc[0][column] == firsts[by]


def test_top_senders_by_script_keys_uid_and_script(sample):
    inc = incident(sample, "php_script")
    top = api.top_senders(sample.data, by="script", limit=3)
    assert list(top.columns[:2]) == ["uid", "script"]
    assert (top.iloc[0]["uid"], top.iloc[0]["script"], top.iloc[0]["messages"]) == (
        inc["uid"],
        inc["script"],
        inc["messages"],
    )


def test_sender_timeline_sums_to_the_report(sample):
    inc = incident(sample, "compromised_sasl")
    key = "sasl:" + inc["sasl_username"]
    tl = api.sender_timeline(sample.data, keys=[key], bucket="1h")
    assert set(tl["key"]) == {key}
    assert tl["messages"].sum() == inc["messages_total_day"]
    window = tl[(tl["bucket"] >= utc(inc["start"])) & (tl["bucket"] < utc(inc["end"]))]
    assert window["messages"].sum() == inc["messages"]


# --- relay-spikes ---------------------------------------------------------------------------


def test_localhost_relay_spike_is_the_only_spike(sample):
    inc = incident(sample, "relay_spike")
    spikes = api.relay_spikes(sample.data)
    assert len(spikes) == 1
    spike = spikes.iloc[0]
    assert spike["start"] == utc(inc["start"]) and spike["end"] == utc(inc["end"])
    assert spike["count"] == inc["count"] + inc["internet_count_in_hour"]
    assert spike["local_count"] == inc["count"]
    assert spike["internet_count"] == inc["internet_count_in_hour"]
    assert spike["source"] == "local"
    assert spike["top_clients"][0] == {"value": inc["client_ip"], "count": inc["count"]}
    assert spike["top_senders"][0] == {"value": inc["sender"], "count": inc["count"]}
    assert spike["top_sender_domains"][0] == {"value": inc["sender_domain"], "count": inc["count"]}
    assert spike["responsible"] == inc["sender"]
    assert spike["responsible_domain"] == inc["sender_domain"]
    assert spike["responsible_accounts"]
    assert all(a.endswith("@" + inc["sender_domain"]) for a in spike["responsible_accounts"])
    assert spike["count"] > spike["threshold"] > spike["baseline"]


def test_relay_spikes_all_buckets_cover_every_relay_reject(sample):
    buckets = api.relay_spikes(sample.data, all_buckets=True)
    assert buckets["count"].sum() == sample.truth["rejects"]["by_class"]["relay_denied"]
    assert buckets["spike"].sum() == 1
    assert (buckets["end"] - buckets["start"] == pd.Timedelta(hours=1)).all()
    assert buckets["start"].is_monotonic_increasing


def test_relay_spike_in_smaller_buckets(sample):
    inc = incident(sample, "relay_spike")
    spikes = api.relay_spikes(sample.data, bucket="15min")
    assert len(spikes) >= 3
    assert (spikes["start"] >= utc(inc["start"])).all() and (spikes["end"] <= utc(inc["end"])).all()
    assert spikes["local_count"].sum() <= inc["count"]


def test_relay_spike_explained_as_internet_when_the_local_ip_is_not_local(sample):
    # without the loopback rule the spike would still be found; the local split comes
    # from rejects.local_client, which ingest set for 127.0.0.1
    spikes = api.relay_spikes(sample.data, local_ips=["198.51.100.200"])
    assert spikes.iloc[0]["source"] == "local"


# --- suspicious-scripts ---------------------------------------------------------------------


def test_php_spam_script_scores_highest(sample):
    inc = incident(sample, "php_script")
    scripts = api.suspicious_scripts(sample.data)
    first = scripts.iloc[0]
    assert (first["uid"], first["script"]) == (inc["uid"], inc["script"])
    assert first["messages"] == inc["messages"]
    assert first["recipients"] == inc["recipients"]
    assert first["recipient_domains"] == inc["recipient_domains"]
    status = inc["delivery_status"]
    assert first["bounce_rate"] == pytest.approx(
        status["bounced"] / (status["sent"] + status["bounced"])
    )
    assert first["score"] > scripts.iloc[1:]["score"].max()
    assert any(r.startswith("burst") for r in first["reasons"])
    assert any(r.startswith("bounce rate") for r in first["reasons"])
    assert any(r.startswith("fan-out") for r in first["reasons"])
    assert scripts["score"].is_monotonic_decreasing


def test_php_spam_script_is_new_against_its_own_history(sample):
    inc = incident(sample, "php_script")
    since = (utc(inc["start"]) - pd.Timedelta(hours=1)).isoformat()
    scripts = api.suspicious_scripts(sample.data, since=since, history="30d")
    first = scripts.iloc[0]
    assert (first["uid"], first["script"]) == (inc["uid"], inc["script"])
    assert first["history_messages"] == 0
    assert any(r.startswith("new script") for r in first["reasons"])
    others = scripts[scripts["history_messages"] > 0]
    assert len(others) and not any(r.startswith("new") for rs in others["reasons"] for r in rs)


# --- auth-failures --------------------------------------------------------------------------


def test_brute_force_ip_tops_auth_failures_and_succeeded_later(sample):
    inc = incident(sample, "brute_force")
    fails = api.auth_failures(sample.data)
    first = fails.iloc[0]
    assert first["client_ip"] == inc["client_ip"]
    assert first["failures"] == inc["failures"]
    assert first["usernames"] == inc["usernames"]
    assert first["first_seen"] == utc(inc["start"]) and first["last_seen"] == utc(inc["end"])
    assert bool(first["succeeded_later"])
    assert first["succeeded_as"] == [inc["succeeded_later_as"]]
    assert first["first_success"] == utc(inc["success_at"])
    assert first["messages_after"] == inc["messages_after"]
    assert not fails.iloc[1:]["succeeded_later"].any()
    assert fails["failures"].sum() == sample.truth["auth_failures"]["total"]


def test_auth_failures_by_username(sample):
    inc = incident(sample, "brute_force")
    users = api.auth_failures(sample.data, by="username")
    assert users["failures"].sum() == sample.truth["auth_failures"]["total"]
    assert users["failures"].is_monotonic_decreasing
    office = users[users["sasl_username"] == inc["succeeded_later_as"]]
    if len(office):  # the account was tried before it was taken over
        row = office.iloc[0]
        assert bool(row["succeeded_later"]) and inc["client_ip"] in row["succeeded_from"]


def test_auth_failure_timeline(sample):
    inc = incident(sample, "brute_force")
    tl = api.auth_failure_timeline(sample.data, keys=[inc["client_ip"]], bucket="1h")
    assert tl["failures"].sum() == inc["failures"]


# --- trace ------------------------------------------------------------------------------------


def test_trace_reused_queue_id_shows_both_messages(sample):
    qid = sample.truth.get("reused_queue_id")
    if not qid:
        pytest.skip("no reused queue id in this sample")
    rows = api.trace(qid, data=sample.data)
    assert (rows["queue_id"] == qid).all()
    assert (rows["table"] == "messages").sum() == 2
    assert rows["ts"].is_monotonic_increasing
    assert set(rows["table"]) <= {"messages", "deliveries", "rejects"}


def test_trace_identity_and_client_ip(sample):
    inc = incident(sample, "brute_force")
    by_ip = api.trace(client_ip=inc["client_ip"], data=sample.data)
    counts = by_ip["table"].value_counts()
    assert counts["auth_failures"] == inc["failures"]
    # each message and amavis's re-injection of it (which took over its client)
    originals = (by_ip["table"] == "messages") & by_ip["filter_of"].isna()
    assert originals.sum() == inc["messages_after"] == counts["messages"] - originals.sum()
    assert by_ip["ts"].is_monotonic_increasing

    sasl = incident(sample, "compromised_sasl")
    identity = "sasl:" + sasl["sasl_username"]
    rows = api.trace(identity=identity, data=sample.data)
    notices = sample.truth["bounce_notices_by_identity"].get(identity, 0)  # its backscatter
    assert notices > 0
    assert ((rows["table"] == "messages") & rows["filter_of"].isna()).sum() == sasl[
        "messages_total_day"
    ] + notices


def test_trace_sender_of_the_relay_spike(sample):
    inc = incident(sample, "relay_spike")
    rows = api.trace(sender=inc["sender"].upper(), data=sample.data)
    assert (rows["table"] == "rejects").sum() == inc["count"]


def test_timelines_fill_quiet_buckets_and_keep_the_key_order(sample):
    brute = incident(sample, "brute_force")
    top = api.auth_failures(sample.data, limit=3)
    keys = list(top["client_ip"])
    tl = api.auth_failure_timeline(sample.data, keys=keys, bucket="1h")
    assert list(dict.fromkeys(tl["key"])) == keys  # the report's order: legend order
    per_key = tl.groupby("key")["bucket"].apply(list)
    assert all(b == per_key.iloc[0] for b in per_key)  # same buckets for every key
    assert len(per_key.iloc[0]) == 24 and (tl["failures"] == 0).any()
    assert tl[tl["key"] == brute["client_ip"]]["failures"].sum() == brute["failures"]
