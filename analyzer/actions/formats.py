"""The actions of a plan written for review, in four forms:

- `postfix-map`: `check_sasl_access` map entries refusing the logins (`refuse_login`;
  not those whose mail Exim accepted: Exim has no such map);
- `nft`: an `nft -f` file adding the IPs to an nftables set (`block_ip`);
- `fail2ban`: one log line per IP, for a fail2ban jail watching that file (`block_ip`);
- `sh`: a shell script doing all of it: map entries, `postsuper -h` / `exim -Mf` per
  queued message, `nft add element`, `chmod 000` of a script, and the hosting panels'
  commands to suspend an account's outgoing mail as comments.

Only validated values reach the output (`Action.value`, ids, fixed kind names, times):
no log text, so no summary or subject. In `sh` every value is also `shlex.quote`d.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import UTC, datetime

from .found import Found
from .plan import Action, Plan

FORMATS = ("postfix-map", "nft", "fail2ban", "sh")
SASL_MAP = "/etc/postfix/sasl_access"
REJECT_TEXT = "REJECT account suspended by the abuse desk"
NFT_TABLE = "inet analyzer"
NFT_SETS = {4: "block4", 6: "block6"}


def render(plan: Plan, form: str, now: datetime | None = None) -> str:
    """The plan in `form` (one of FORMATS)."""
    writers: dict[str, Callable[[Plan, datetime], list[str]]] = {
        "postfix-map": postfix_map,
        "nft": nft,
        "fail2ban": fail2ban,
        "sh": sh,
    }
    lines = writers[form](plan, (now or datetime.now(UTC)).astimezone(UTC))
    return "".join(line + "\n" for line in lines)


def footer(plan: Plan) -> list[str]:
    """Counts of what was not proposed (safe text: counts and fixed words)."""
    out = []
    if plan.skipped:
        out.append(plan.skipped.text())
    if plan.allowlisted:
        parts = ", ".join(f"{n} {what}" for what, n in sorted(plan.allowlisted.items()))
        out.append(f"not proposed, allowlisted: {parts}")
    if plan.unsupported:
        parts = ", ".join(f"{n} {what}" for what, n in sorted(plan.unsupported.items()))
        out.append(f"not supported: {parts}")
    return out


def heading(incident: Found) -> str:
    first = _iso(incident.first_seen) if incident.first_seen else "?"
    return f"incident {incident.id}: {incident.kind} ({incident.severity}), first seen {first}"


def postfix_map(plan: Plan, now: datetime) -> list[str]:
    out = [
        f"# analyzer actions {_iso(now)}: Postfix check_sasl_access entries ({SASL_MAP}),",
        "# e.g. smtpd_sender_restrictions = check_sasl_access hash:" + SASL_MAP,
        "# then: postmap " + SASL_MAP,
    ]
    for incident in plan.incidents:
        refuse = [a for a in plan.of(incident) if a.what == "refuse_login" and a.mta != "exim"]
        if refuse:
            out.append("# " + heading(incident))
            out += [map_entry(a) for a in refuse]
    exim = sum(1 for a in plan.actions if a.what == "refuse_login" and a.mta == "exim")
    if exim:
        out.append(f"# {exim} login(s) of mail Exim accepted: not in this map (see --format sh)")
    return out + ["# " + line for line in footer(plan)]


def nft(plan: Plan, now: datetime) -> list[str]:
    out = [
        f"# analyzer actions {_iso(now)}: IPs to block; load with nft -f FILE",
        "# once, a chain that drops them:",
        f"#   nft add chain {NFT_TABLE} input '{{ type filter hook input priority -10; }}'",
        f"#   nft add rule {NFT_TABLE} input ip saddr @{NFT_SETS[4]} drop",
        f"#   nft add rule {NFT_TABLE} input ip6 saddr @{NFT_SETS[6]} drop",
        f"add table {NFT_TABLE}",
        f"add set {NFT_TABLE} {NFT_SETS[4]} {{ type ipv4_addr; }}",
        f"add set {NFT_TABLE} {NFT_SETS[6]} {{ type ipv6_addr; }}",
    ]
    for incident in plan.incidents:
        for a in plan.of(incident):
            if a.what == "block_ip":
                out.append(f"# {heading(incident)}")
                out.append(" ".join(nft_element(a.value)))
    return out + ["# " + line for line in footer(plan)]


def fail2ban(plan: Plan, now: datetime) -> list[str]:
    """`2026-12-02T05:00:00Z analyzer: incident auth_bruteforce 1f2e... from 203.0.113.66`
    (failregex in docs/watch.md); no comments: fail2ban reads every line."""
    return [fail2ban_line(a, now) for a in plan.actions if a.what == "block_ip"]


def fail2ban_line(a: Action, now: datetime) -> str:
    """One block_ip as the line a fail2ban jail bans from (also what `watch --apply`
    appends)."""
    return f"{_iso(now)} analyzer: incident {a.kind} {a.incident} from {a.value}"


def map_entry(a: Action) -> str:
    """One refuse_login as a check_sasl_access map line."""
    return f"{a.value}\t{REJECT_TEXT}"


def nft_element(address: str) -> list[str]:
    """The words of `add element` for one validated IP (nft's argv after `nft`, or a
    line of an `nft -f` file)."""
    return ["add", "element", *NFT_TABLE.split(), _nft_set(address), f"{{ {address} }}"]


def sh(plan: Plan, now: datetime) -> list[str]:
    out = [
        "#!/bin/sh",
        f"# analyzer actions {_iso(now)}: review, then run as root on the mail server",
        "set -eu",
    ]
    refused = False
    for incident in plan.incidents:
        actions = plan.of(incident)
        out += ["", "# --- " + heading(incident)]
        if not actions:
            out.append("# no action proposed")
        for a in actions:
            out += _SH[a.what](a)
            refused = refused or a.what == "refuse_login" and a.mta != "exim"
    if refused:
        out += ["", f"postmap {shlex.quote(SASL_MAP)}"]
    return out + [""] + ["# " + line for line in footer(plan)]


def _sh_refuse(a: Action) -> list[str]:
    if a.mta == "exim":  # no map to append to: the authenticator decides
        return [
            "# refuse the SASL login (Exim): deny it in your authenticator's server_condition,",
            f"#   e.g. a deny list it looks the login up in: {shlex.quote(a.value)}",
        ]
    return [
        "# refuse the SASL login (Postfix check_sasl_access)",
        f"printf '%s\\t%s\\n' {shlex.quote(a.value)} {shlex.quote(REJECT_TEXT)}"
        f" >> {shlex.quote(SASL_MAP)}",
    ]


def _sh_hold(a: Action) -> list[str]:
    where = f"# hold queued message (on host {a.host})"
    if a.mta == "exim":
        return [where, f"exim -Mf {shlex.quote(a.value)}"]
    return [where, f"postsuper -h {shlex.quote(a.value)}"]


def _sh_block(a: Action) -> list[str]:
    element = shlex.quote(f"{{ {a.value} }}")
    return ["# block the IP", f"nft add element {NFT_TABLE} {_nft_set(a.value)} {element}"]


def _owner(a: Action) -> str:
    owner = "uid ?" if a.uid is None else f"uid {a.uid}"
    owner += f", user {a.user}" if a.user else ""
    return owner + (f", on host {a.host}" if a.host else "")


def _sh_stop(a: Action) -> list[str]:
    out = [f"# stop the script ({_owner(a)})", f"chmod 000 -- {shlex.quote(a.value)}"]
    return out + _panels(a)


def _sh_locate(a: Action) -> list[str]:
    """Only the file name is known: a commented `find`, then chmod what it finds."""
    owner = f" -uid {a.uid}" if a.uid is not None else ""
    return [
        f"# the log names only the script's file name ({_owner(a)}); find it, then chmod 000 it:",
        f"#   find / -xdev -type f -name {shlex.quote(a.value)}{owner}",
        *_panels(a),
    ]


def _panels(a: Action) -> list[str]:
    account = shlex.quote(a.user) if a.user else "USER"
    return [
        "# suspend the account's outgoing mail on a hosting panel (check your version's docs):",
        f"#   cPanel:      whmapi1 suspend_outgoing_email user={account}",
        "#   Plesk:       plesk bin subscription_settings --update DOMAIN "
        "-outgoing_messages_subscription_limit 0",
        f"#   DirectAdmin: echo 1 > /etc/virtual/limit_{account}  (Exim's per-user daily limit)",
    ]


_SH: dict[str, Callable[[Action], list[str]]] = {
    "refuse_login": _sh_refuse,
    "hold_queue": _sh_hold,
    "block_ip": _sh_block,
    "stop_script": _sh_stop,
    "locate_script": _sh_locate,
}


def _nft_set(address: str) -> str:
    return NFT_SETS[6] if ":" in address else NFT_SETS[4]


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
