"""Actions an abuse desk takes on an incident, proposed for review, never run here.

`found` turns the nightly report's incidents of a window into `Found` records (a stable
id, the issue's kind names, the facts of the report row); `plan` turns each into
`Action`s (block an IP, hold an identity's queued mail, refuse a SASL login, stop a
script), every value validated by `validate` and checked against the `allowlist`;
`formats` writes them as a Postfix map, an nftables set file, fail2ban log lines or a
shell script. Log text is hostile: a value that fails validation is counted as skipped,
never printed.
"""
