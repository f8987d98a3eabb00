"""The `[actions]` section of the configuration file: what `watch --apply` may run
(`docs/watch.md`, "Applying actions"). `analyzer.config` reads it with the rest of the
file and re-exports its names."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, fields
from pathlib import Path

APPLY_KINDS = ("block_ip", "refuse_login", "hold_queue", "stop_script")
BLOCK_WITH = ("nft", "fail2ban")
_COMMANDS = ("nft", "postmap", "postsuper", "exim", "chmod")


@dataclass(frozen=True)
class ActionsConfig:
    """The `[actions]` section: what `watch --apply` may run. Nothing is applied unless
    its kind is listed in `apply` (and `--apply` is given); `allow` adds to the allowlist
    (the forms of `--allow`); the commands are the operator's, split like a shell would
    and run without one, the validated value appended as its own argument."""

    apply: tuple[str, ...] = ()  # kinds of APPLY_KINDS that are run
    allow: tuple[str, ...] = ()  # allowlist entries (IP, CIDR, sasl:LOGIN, @DOMAIN, ...)
    severity: str = "crit"  # act on incidents of this severity or above
    timeout: float = 10.0  # seconds a command may run
    log: str | None = None  # JSON lines of every action; default DATA/_state/actions.log
    block_with: str = "nft"  # block_ip by an nftables set element or a fail2ban log line
    fail2ban_log: str = "/var/log/analyzer/fail2ban.log"  # the file a jail watches
    sasl_map: str = "/etc/postfix/sasl_access"  # check_sasl_access map (then postmap)
    queue_host: str | None = None  # whose queue this machine holds (default: its host name)
    nft: str = "nft"
    postmap: str = "postmap"
    postsuper: str = "postsuper"
    exim: str = "exim"
    chmod: str = "chmod"


def actions_from_dict(raw, origin: str, base: Path) -> ActionsConfig:
    """The `[actions]` table checked: known keys, their types, kinds, a positive timeout,
    commands that split into words; paths relative to the file's directory."""
    from .config import SEVERITIES, ConfigError, _relative_to  # config imports this module

    where = f"{origin}: actions"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table")
    kinds = {f.name: str(f.type) for f in fields(ActionsConfig)}
    values: dict = {}
    for key, value in raw.items():
        kind = kinds.get(key)
        if kind is None:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(kinds)})")
        if kind.startswith("tuple"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}.{key}: must be a list of strings, got {value!r}")
            value = tuple(value)
        elif kind == "float":
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{where}.{key}: must be a positive number, got {value!r}")
            value = float(value)
        elif not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}.{key}: must be a non-empty string, got {value!r}")
        values[key] = value
    unknown = [k for k in values.get("apply", ()) if k not in APPLY_KINDS]
    if unknown:
        raise ConfigError(
            f"{where}.apply: unknown kind {unknown[0]!r} (kinds: {', '.join(APPLY_KINDS)})"
        )
    if values.get("severity", "crit") not in SEVERITIES:
        raise ConfigError(f"{where}.severity: one of {', '.join(SEVERITIES)}")
    if values.get("block_with", "nft") not in BLOCK_WITH:
        raise ConfigError(f"{where}.block_with: one of {', '.join(BLOCK_WITH)}")
    for key in _COMMANDS:
        if key in values:
            try:
                words = shlex.split(values[key])
            except ValueError as e:
                raise ConfigError(f"{where}.{key}: {e}") from None
            if not words:
                raise ConfigError(f"{where}.{key}: an empty command")
    for key in ("log", "fail2ban_log", "sasl_map"):
        if key in values:
            values[key] = _relative_to(base, values[key])
    return ActionsConfig(**values)
