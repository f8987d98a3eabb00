"""The `actions` command: the actions that contain each incident of a window (block an
IP, refuse a SASL login, hold queued mail, stop a script), printed for review in one of
four forms; nothing is run."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from .dataset_commands import CONFIG
from .options import DATA, HOSTED_DOMAIN, HOSTS, LOCAL_IP, UNTIL, WINDOW_TZ, note

ALLOW = Annotated[
    list[str] | None,
    typer.Option(
        "--allow",
        metavar="ENTRY",
        help="Never act on this: an IP, a network (CIDR), sasl:LOGIN, @DOMAIN (its logins), "
        "uid:N, user:NAME or a script path. Repeatable; adds to the allowlist file.",
    ),
]
ALLOWLIST = Annotated[
    str | None,
    typer.Option(
        "--allowlist",
        metavar="FILE",
        help="Allowlist file, one entry per line (forms of --allow; # comments). Default: "
        "$ANALYZER_ALLOWLIST, else /etc/analyzer/allowlist when it exists. Loopback and "
        "local_ips are always allowlisted.",
    ),
]
THRESHOLD = Annotated[
    list[str] | None,
    typer.Option(
        "--threshold",
        metavar="SECTION.NAME=VALUE",
        help="Override one incident threshold, as for `report`. Repeatable.",
    ),
]
PASSWD = Annotated[
    str | None,
    typer.Option(
        "--passwd",
        metavar="FILE",
        help="passwd(5) file: the account names of script uids (for the panel commands). "
        "Config: passwd.",
    ),
]


def actions(
    format: Annotated[
        Literal["sh", "postfix-map", "nft", "fail2ban"],
        typer.Option(
            "--format",
            "-f",
            help="sh (a script doing everything, for review), postfix-map "
            "(check_sasl_access entries), nft (an nft -f file of IPs to block) or fail2ban "
            "(log lines a jail bans from).",
        ),
    ] = "sh",
    since: Annotated[
        str,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Start of the window: 30m, 1h, 1d, an ISO date or time (naive ones in --tz).",
        ),
    ] = "1h",
    until: UNTIL = None,
    tz: WINDOW_TZ = None,
    data: DATA = None,
    config: CONFIG = None,
    severity: Annotated[
        Literal["warn", "crit"],
        typer.Option("--severity", help="Act on incidents of this severity or above."),
    ] = "warn",
    allow: ALLOW = None,
    allowlist: ALLOWLIST = None,
    local_ip: LOCAL_IP = None,
    hosted_domain: HOSTED_DOMAIN = None,
    passwd: PASSWD = None,
    threshold: THRESHOLD = None,
    host: HOSTS = None,
) -> None:
    """Print the actions that contain each incident the nightly report's rules find in
    the window: block an IP, refuse a SASL login, hold an identity's queued mail
    (postsuper -h, exim -Mf), stop a script. Nothing is run. Every value is validated
    (log lines are hostile): what fails is counted as skipped on stderr, never printed;
    allowlisted IPs, logins, uids and scripts are never acted on."""
    from ..actions import allowlist as allowlist_file
    from ..actions.formats import footer, render
    from ..actions.propose import propose
    from ..config import load, read_passwd, thresholds_from_flags

    cfg = load(config)
    local_ips = list(local_ip) if local_ip else list(cfg.local_ips)
    passwd = passwd or cfg.passwd
    plan = propose(
        data or cfg.data,
        since,
        until,
        tz or cfg.tz,
        thresholds=thresholds_from_flags(cfg.thresholds, threshold or []),
        local_ips=local_ips,
        hosted_domains=list(hosted_domain) if hosted_domain else list(cfg.hosted_domains),
        users=read_passwd(passwd) if passwd else {},
        allow=allowlist_file.load(allowlist, allow or [], local_ips, cfg.actions.allow, cfg.source),
        severity=severity,
        hosts=host,
    )
    print(render(plan, format), end="", flush=True)
    if host:
        from .report_output import host_note

        host_note(data or cfg.data, host)
    note(
        f"actions: {len(plan.incidents)} incident{'s' if len(plan.incidents) != 1 else ''}, "
        f"{len(plan.actions)} action{'s' if len(plan.actions) != 1 else ''}"
    )
    for line in footer(plan):
        note(line)
