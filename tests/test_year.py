"""The year of BSD syslog timestamps (they have none): one process dating logs of two
years, and rotated series that cross New Year dated as one timeline."""

from analyzer import api

REJECT = ("Nov 26 12:00:00 mx1 postfix/smtpd[5]: NOQUEUE: reject: RCPT from unknown[198.51.100.9]: "
          "554 5.7.1 <x@y.example>: Relay access denied; from=<a@b.example> to=<x@y.example> "
          "proto=ESMTP helo=<b.example>")


def test_one_process_two_years_gets_each_its_own_times(tmp_path):
    """ingest's per-process parser and the Clock's caches are reused across runs (API,
    notebook): the second run, with another --year, must not get the first one's times."""
    log = tmp_path / "maillog"
    log.write_text(REJECT + "\n")
    for year in (2025, 2026, 2025):
        data = tmp_path / f"data-{year}"
        api.ingest([str(log)], data=str(data), tz="UTC", year=year)
        assert [t.year for t in api.table("rejects", data=data)["ts"]] == [year]
        assert next(api.parse_lines([REJECT], tz="UTC", year=year))["ts"].startswith(f"{year}-")

