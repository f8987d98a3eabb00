"""The TOML configuration of the nightly report, and the passwd lookup of user names.

One file holds what an operator sets once per server: the dataset directory, the zone of
the logs, the server's own addresses (their SMTP clients count as local, like loopback),
the hosted domains, a passwd file to turn UIDs into user names, the report's defaults and
the incident thresholds of each report (`docs/report.md` lists every key).

Where the file is found (the first that exists wins; files are not merged):

1. `--config FILE` (must exist);
2. `$ANALYZER_CONFIG` (must exist when set);
3. `./analyzer.toml`;
4. `$XDG_CONFIG_HOME/analyzer/config.toml` (default `~/.config/analyzer/config.toml`);
5. `/etc/analyzer/config.toml`.

Precedence of one setting: a command-line flag, then its environment variable (e.g.
`ANALYZER_DATA`), then the file, then the built-in default. An unknown key or a value of
the wrong type is an error that names the file and the key: a typo must not silently
leave a threshold at its default.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import NamedTuple

from .config_actions import ActionsConfig, actions_from_dict  # the [actions] section
from .errors import AnalyzerError

SEVERITIES = ("warn", "crit")
FAIL_ON = ("warn", "crit", "never")


class ConfigError(AnalyzerError):
    """The configuration file or a --threshold value is wrong; the message says where."""


# --- thresholds ------------------------------------------------------------------------------
# Each section is one report's incident rules (see `analyzer.reports.incidents` and docs/report.md).


@dataclass(frozen=True)
class SenderThresholds:
    """A SASL account is an incident (a stolen password) when it sent at least
    `min_messages` in the window and one of these signs reaches warn or crit."""

    min_messages: int = 50
    client_ips_warn: int = 5  # distinct client IPs logged in as the account
    client_ips_crit: int = 10
    peak_hour_warn: int = 60  # messages in its busiest clock hour
    peak_hour_crit: int = 200
    growth_warn: float = 5.0  # x its trailing-week daily average (when known)
    growth_crit: float = 20.0
    usual_floor: float = 10.0  # messages/day assumed at least, so a quiet account's
    # first 50 mails are not a 50x growth
    bounce_rate_warn: float = 0.20  # bounced / (sent + bounced)
    bounce_rate_crit: float = 0.50


@dataclass(frozen=True)
class RelayThresholds:
    """Spike detection (passed to `api.relay_spikes`) and when a spike is an incident: a
    spike whose clients are on this server (a customer's web app without AUTH) by its
    local rejects; an internet-only spike (probes) only when it is very large."""

    bucket: str = "1h"
    window: int = 24  # trailing buckets of the baseline
    z: float = 5.0  # robust z-score a spike must exceed
    min_count: int = 10  # rejects a spike has at least
    local_warn: int = 10  # local relay-denied rejects in a spike
    local_crit: int = 50
    internet_warn: int = 500  # rejects of a spike with no local client
    internet_crit: int = 5000


@dataclass(frozen=True)
class ScriptThresholds:
    """A (uid, script) is an incident when its suspicious-scripts score reaches warn or
    crit and it sent at least `min_messages`."""

    min_messages: int = 5
    score_warn: int = 3
    score_crit: int = 5
    history: str = "30d"  # how far back a script's own history reaches


@dataclass(frozen=True)
class AuthThresholds:
    """A client IP failing SMTP AUTH is an incident by its failures; one that later
    logged in successfully after at least `success_min_failures` is crit (a brute force
    that worked: the account it logged in as must be locked)."""

    failures_warn: int = 50
    failures_crit: int = 500
    success_min_failures: int = 10


@dataclass(frozen=True)
class BaselineThresholds:
    """An account is a `volume_anomaly` when its most messages in 60 minutes of the window
    reach max(factor x its usual hourly volume, floor); its usual volume is the
    `quantile` of its messages per clock hour over the `days` before the window (hours
    without mail count as 0), known once the dataset covers `min_days` of them
    (`analyzer.reports.baselines`)."""

    days: int = 7
    min_days: float = 3.0
    quantile: float = 0.9
    factor_warn: float = 5.0
    factor_crit: float = 20.0
    floor_warn: int = 30  # messages in 60 minutes at least, whatever the usual volume
    floor_crit: int = 100

    def __post_init__(self):
        if not 0.0 <= self.quantile <= 1.0:
            raise ConfigError(
                f"thresholds.baselines.quantile: between 0 and 1, not {self.quantile}"
            )


@dataclass(frozen=True)
class Thresholds:
    senders: SenderThresholds = field(default_factory=SenderThresholds)
    relay: RelayThresholds = field(default_factory=RelayThresholds)
    scripts: ScriptThresholds = field(default_factory=ScriptThresholds)
    auth: AuthThresholds = field(default_factory=AuthThresholds)
    baselines: BaselineThresholds = field(default_factory=BaselineThresholds)

    def with_values(
        self, values: dict[str, dict], origin: str = "--threshold", from_text: bool = False
    ) -> Thresholds:
        """A copy with `{section: {name: value}}` applied (types checked; `from_text`:
        the values are text from the command line, converted to the field's type)."""
        out = self
        for section, settings in values.items():
            current = getattr(out, section, None) if section in _SECTIONS else None
            if current is None:
                raise ConfigError(
                    f"{origin}: unknown threshold section {section!r} "
                    f"(one of {', '.join(_SECTIONS)})"
                )
            if not isinstance(settings, dict):
                raise ConfigError(f"{origin}: [thresholds.{section}] must be a table")
            changes = {
                name: _typed(current, name, value, f"{origin}: thresholds.{section}", from_text)
                for name, value in settings.items()
            }
            out = replace(out, **{section: replace(current, **changes)})
        return out


_SECTIONS = tuple(f.name for f in fields(Thresholds))


def parse_threshold(text: str) -> tuple[str, str, object]:
    """`senders.client_ips_crit=20` -> ("senders", "client_ips_crit", "20") (typed later)."""
    key, sep, value = text.partition("=")
    section, dot, name = key.strip().partition(".")
    if not sep or not dot or not name:
        raise ConfigError(
            f"--threshold {text!r}: use SECTION.NAME=VALUE, e.g. senders.client_ips_crit=20"
        )
    return section, name.strip(), value.strip()


def thresholds_from_flags(base: Thresholds, flags: list[str]) -> Thresholds:
    values: dict[str, dict] = {}
    for text in flags:
        section, name, value = parse_threshold(text)
        values.setdefault(section, {})[name] = value
    return base.with_values(values, from_text=True)


def _typed(obj, name: str, value, where: str, from_text: bool = False):
    """`value` checked against the type of field `name` of `obj` (text from a flag is
    converted first; a TOML value must already have the right type)."""
    kinds = {f.name: f.type for f in fields(obj)}
    if name not in kinds:
        raise ConfigError(f"{where}: unknown key {name!r} (known: {', '.join(kinds)})")
    kind = {"int": int, "float": float, "str": str}[str(kinds[name])]
    what = {int: "an integer", float: "a number", str: "a string"}[kind]
    if from_text and isinstance(value, str) and kind is not str:
        try:
            value = kind(value)
        except ValueError:
            raise ConfigError(f"{where}.{name}: {value!r} is not {what}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError(f"{where}.{name}: expected {what}, got {value!r}")
    if isinstance(value, int | float) and value < 0:
        raise ConfigError(f"{where}.{name}: must not be negative, got {value!r}")
    return value


# --- the whole configuration ---------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """What the file (or the built-in defaults) says; `source` is the file read, if any."""

    data: str | None = None
    tz: str | None = None
    local_ips: tuple[str, ...] = ()
    hosted_domains: tuple[str, ...] = ()
    passwd: str | None = None
    host: str | None = None  # host of lines that name none (ingest --host)
    format: str | None = None  # what the logs hold (ingest --format)
    since: str = "1d"
    until: str | None = None
    ingest: tuple[str, ...] = ()
    html: str | None = None
    fail_on: str = "crit"
    thresholds: Thresholds = field(default_factory=Thresholds)
    actions: ActionsConfig = field(default_factory=ActionsConfig)
    source: str | None = None


_TOP_KEYS = {
    "data": str,
    "tz": str,
    "local_ips": list,
    "hosted_domains": list,
    "passwd": str,
    "host": str,
    "format": str,
}
_REPORT_KEYS = {"since": str, "until": str, "ingest": list, "html": str, "fail_on": str}


def search_path() -> list[Path]:
    """Where a configuration file is looked for when none is given, in order."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return [
        Path("analyzer.toml"),
        Path(xdg) / "analyzer" / "config.toml",
        Path("/etc/analyzer/config.toml"),
    ]


def find(explicit: str | os.PathLike | None = None) -> Path | None:
    """The configuration file to read: `explicit`, else $ANALYZER_CONFIG, else the first
    file of `search_path()` that exists; None when there is none."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: no such configuration file")
        return path
    env = os.environ.get("ANALYZER_CONFIG")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path} (from ANALYZER_CONFIG): no such configuration file")
        return path
    for path in search_path():
        if path.is_file():
            return path
    return None


def load(explicit: str | os.PathLike | None = None) -> Config:
    """The configuration from the file `find(explicit)` picks, or the defaults."""
    path = find(explicit)
    if path is None:
        return Config()
    import tomllib  # here: a run without a file (a cron ingest) starts without its parser

    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    return from_dict(raw, str(path))


def from_dict(raw: dict, origin: str = "<config>") -> Config:
    """A Config from parsed TOML (relative paths are taken relative to the file's dir)."""
    values: dict = {}
    base = Path(origin).parent if origin and not origin.startswith("<") else Path(".")
    for key, value in raw.items():
        if key in ("thresholds", "actions"):
            continue
        if key == "report":
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: [report] must be a table")
            for rkey, rvalue in value.items():
                values[rkey] = _checked(rkey, rvalue, _REPORT_KEYS, f"{origin}: report")
            continue
        values[key] = _checked(key, value, _TOP_KEYS, origin)
    for key in ("local_ips", "hosted_domains", "ingest"):
        if key in values:
            values[key] = tuple(_strings(values[key], f"{origin}: {key}"))
    for key in ("data", "passwd", "html"):
        if key in values:
            values[key] = _relative_to(base, values[key])
    if "ingest" in values:
        values["ingest"] = tuple(_relative_to(base, p) for p in values["ingest"])
    if "tz" in values:  # a misspelt zone is named with its file, not at first use
        from .clock import parse_zone

        try:
            parse_zone(values["tz"])
        except AnalyzerError as e:
            raise ConfigError(f"{origin}: tz: {e}") from None
    if values.get("fail_on", "crit") not in FAIL_ON:
        raise ConfigError(
            f"{origin}: report.fail_on must be one of {', '.join(FAIL_ON)}, "
            f"not {values['fail_on']!r}"
        )
    thresholds = Thresholds()
    if "thresholds" in raw:
        if not isinstance(raw["thresholds"], dict):
            raise ConfigError(f"{origin}: [thresholds] must be a table")
        thresholds = thresholds.with_values(raw["thresholds"], origin)
    actions = actions_from_dict(raw.get("actions", {}), origin, base)
    return Config(**values, thresholds=thresholds, actions=actions, source=origin)


def _checked(key: str, value, allowed: dict, where: str):
    if key not in allowed:
        raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(allowed)})")
    if not isinstance(value, allowed[key]):
        kind = "a list of strings" if allowed[key] is list else "a string"
        raise ConfigError(f"{where}: {key} must be {kind}, got {value!r}")
    return value


def _strings(values: list, where: str) -> list[str]:
    if not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: must be a list of strings, got {values!r}")
    return values


def _relative_to(base: Path, path: str) -> str:
    expanded = os.path.expanduser(path)
    if os.path.isabs(expanded) or str(base) in ("", "."):
        return expanded
    return str(base / expanded)


# --- user names --------------------------------------------------------------------------------


class PasswdEntry(NamedTuple):
    """One account of a passwd(5) file: what the analyzer uses of it."""

    name: str
    uid: int
    home: str


_MAX_UID = 2**32 - 1  # uid_t: a larger number is not a uid (and would overflow a column)


def parse_passwd(lines: Iterable[str]) -> list[PasswdEntry]:
    """The accounts of passwd(5) lines (`name:x:uid:gid:gecos:home:shell`), in file order:
    the one rule of what a valid line is, for the reports' user names (`read_passwd`) and
    the correlator's accounts (`correlate.passwd`). Skipped: blank lines, comments, NIS
    compat lines (`+`, `-`, `+name`, `+@netgroup`), lines without the seven fields, an empty
    name, a uid that is not a decimal number of a uid's range."""
    entries = []
    for line in lines:
        line = line.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#") or line[0] in "+-":
            continue
        parts = line.split(":")
        if len(parts) != 7 or not parts[0]:
            continue
        uid = parts[2]
        if not (uid.isascii() and uid.isdigit()) or int(uid) > _MAX_UID:
            continue
        entries.append(PasswdEntry(parts[0], int(uid), parts[5]))
    return entries


def read_passwd(path: str | os.PathLike) -> dict[int, str]:
    """uid -> user name from a passwd(5) file (`parse_passwd`: comments, blank and
    malformed lines are skipped); the first name of a uid wins."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read passwd file: {e.strerror or e}") from None
    users: dict[int, str] = {}
    for entry in parse_passwd(text.splitlines()):
        users.setdefault(entry.uid, entry.name)
    return users
