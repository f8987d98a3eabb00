"""The redaction rules (`analyzer.render.redact`): addresses keep their domain and first
character, IPs lose their last octet (IPv6: last 80 bits), the subjects stay, masks are
never masked again, and nothing else in a report's text changes."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analyzer.render.redact import Redactor, redact_report, subjects_of
from analyzer.reports.incidents import Incident

SUBJECTS = ["info@bakery-berlin.example", "203.0.113.66", "2001:db8::66"]


@pytest.mark.parametrize(
    "text, masked",
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("sasl:jane@shop.example", "sasl:j***@shop.example"),
        ("Info@Bakery-Berlin.example", "Info@Bakery-Berlin.example"),  # a subject, any case
        ("sasl:info@bakery-berlin.example", "sasl:info@bakery-berlin.example"),
        ("192.0.2.17", "192.0.2.x"),
        ("ip:192.0.2.17", "ip:192.0.2.x"),
        ("203.0.113.66", "203.0.113.66"),
        ("2001:db8:1:2::5", "2001:db8:1::x"),
        ("IPv6:2001:db8:1:2::5", "IPv6:2001:db8:1::x"),
        ("2001:DB8:0:0:0:0:0:66", "2001:DB8:0:0:0:0:0:66"),  # the subject, written long
        ("from=<bob@x.example>, to=<c@y.example>", "from=<b***@x.example>, to=<c***@y.example>"),
        (
            "unknown[198.51.100.7]: then logged in as office@shop.example",
            "unknown[198.51.100.x]: then logged in as o***@shop.example",
        ),
        ('"<script>alert(1)</script>"@evil.example', '"***@evil.example'),  # a whole cell
        ("a@b@c.example", "a***@c.example"),
        ("x@localhost", "x***@localhost"),
    ],
)
def test_masks(text, masked):
    r = Redactor(SUBJECTS)
    assert r.text(text) == masked
    assert r.text(masked) == masked  # a mask is never masked again


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-26 10:00-11:00 UTC, at 10:00:00",
        "2026-11-26T13:00:05Z",
        "uid 1017 (site1017)",
        "user:site1017",
        "sasl:john",  # a login that is no address
        "bounce rate 34%; score 6",
        "/home/site1017/public_html/wp-content/uploads/x.php",
        "version 1.2.3.4.5",
        "shop-anna.example",
        "mx1, mx2",
    ],
)
def test_other_text_is_kept(text):
    assert Redactor(SUBJECTS).text(text) == text


def test_a_frame_is_redacted_cell_by_cell_and_not_in_place():
    frame = pd.DataFrame(
        {
            "identity": ["sasl:jane@shop.example", "sasl:info@bakery-berlin.example", "uid:33"],
            "client_ip": ["192.0.2.17", "203.0.113.66", None],
            "messages": [3, 600, 1],
            "top": [[{"value": "bob@x.example", "count": 2}], [], None],
            "first_seen": pd.to_datetime(["2026-11-26T10:00Z"] * 3),
        }
    )
    before = frame.copy(deep=True)
    out = Redactor(SUBJECTS).frame(frame)
    assert list(out["identity"]) == [
        "sasl:j***@shop.example",
        "sasl:info@bakery-berlin.example",
        "uid:33",
    ]
    assert list(out["client_ip"][:2]) == ["192.0.2.x", "203.0.113.66"]
    assert pd.isna(out["client_ip"].iloc[2]) and out["client_ip"].dtype == frame["client_ip"].dtype
    assert out["top"].iloc[0] == [{"value": "b***@x.example", "count": 2}]
    assert out["messages"].tolist() == [3, 600, 1]
    assert out["first_seen"].equals(before["first_seen"])
    pd.testing.assert_frame_equal(frame, before)


def test_subjects_are_the_incidents_about_someone():
    incidents = [
        Incident("crit", "sasl_account", "info@bakery-berlin.example", "s"),
        Incident("crit", "auth_brute_force", "203.0.113.66", "s"),
        Incident("warn", "no_data", "/var/lib/analyzer", "s"),
        Incident("warn", "data_missing", "/var/lib/analyzer", "s"),
    ]
    assert subjects_of(incidents) == ["info@bakery-berlin.example", "203.0.113.66"]


def test_a_report_copy_is_redacted_and_the_original_kept(sample):
    from analyzer import api

    report = api.report(sample.data, "2026-11-26", "2026-11-27", "UTC")
    auth = next(i for i in report.incidents if i.kind == "auth_brute_force")
    assert "then logged in as office@shop-anna.example" in auth.summary
    out = redact_report(report)
    assert out is not report and report.incidents[0] is not out.incidents[0]
    red = next(i for i in out.incidents if i.kind == "auth_brute_force")
    assert red.subject == auth.subject  # the subject stays
    assert "then logged in as o***@shop-anna.example" in red.summary
    assert "office@shop-anna.example" in auth.summary  # the original is untouched
    for f in dataclasses.fields(report):
        value = getattr(report, f.name)
        if isinstance(value, pd.DataFrame):
            assert len(getattr(out, f.name)) == len(value), f.name
