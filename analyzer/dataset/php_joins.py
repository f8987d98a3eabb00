"""The summary line and warning about PHP entries written joined / unjoined (`php_joins`
counts of a run or of the dataset)."""

from __future__ import annotations

# why PHP entries stayed unjoined (the summary lists them by count)
_UNJOINED_WHY = {
    "ambiguous_host": "name no host (PHP's file form) and the MTA logs of their time come "
    "from several hosts ({hosts}): ingest each server's PHP log with "
    "--host <that server>",
    "other_host": "are of host {hosts}, which no MTA log of their time names: give the MTA "
    "log's host with --host",
    "read_late": "were read when the ingested MTA logs had passed their time: give the PHP "
    "log in the same run as the MTA log of its period (or an earlier run), and "
    "logs of later periods after it",
    "no_mta_log": "fall in no ingested MTA log's time",
    "no_submission": "match no local submission (a mail() that failed, or mail sent another way)",
}
UNJOINED_WARN_SHARE = 0.2  # warn when more than this share of the entries is unjoined


def php_join_report(counts: dict, waiting: int = 0) -> tuple[str | None, str | None]:
    """(summary line, warning or None) for PHP entries written joined / unjoined (the
    `php_joins` counts of a run or of the dataset)."""
    unjoined = counts.get("unjoined", {})
    n_unjoined = sum(unjoined.values())
    total = counts.get("joined", 0) + n_unjoined
    if not total and not waiting:
        return None, None
    reasons = sorted(unjoined.items(), key=lambda kv: (-kv[1], kv[0]))
    line = (
        f"PHP mail.log: {total:,} entries, {counts.get('joined', 0):,} joined to their "
        f"submission, {n_unjoined:,} unjoined"
        + (
            " (" + ", ".join(f"{r.replace('_', ' ')} {n:,}" for r, n in reasons) + ")"
            if reasons
            else ""
        )
        + (f", {waiting:,} waiting for their submission" if waiting else "")
    )
    if n_unjoined < 3 or n_unjoined <= UNJOINED_WARN_SHARE * total:
        return line, None
    why = "; ".join(
        f"{n:,} "
        + _UNJOINED_WHY.get(r, r).format(hosts=", ".join(counts.get("hosts", {}).get(r, [])) or "?")
        for r, n in reasons
    )
    return line, (
        f"{n_unjoined:,} of {total:,} PHP mail.log entries "
        f"({n_unjoined / total:.0%}) were not joined to a submission: {why}"
    )
