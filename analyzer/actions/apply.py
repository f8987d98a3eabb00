"""Running the actions the configuration enables (`watch --apply`): each `Action` of a
plan becomes a few fixed steps — run a command, append a line to a file — whose only
variable part is the action's value, validated again here and passed as one argument of
an argv list (never through a shell, never log text). Every action taken or refused is
one JSON line in the actions log.

- `block_ip`: `nft add element inet analyzer block4|block6 { IP }`, or (`block_with =
  "fail2ban"`) a line appended to the file a fail2ban jail watches;
- `refuse_login`: `LOGIN<TAB>REJECT ...` appended to the check_sasl_access map, then
  `postmap MAP` (a login whose mail Exim accepted has no such map: refused);
- `hold_queue`: `postsuper -h QUEUEID` or `exim -Mf MESSAGEID`, only for messages queued
  on this machine (`queue_host`);
- `stop_script`: `chmod 000 -- PATH`, only for a script on this machine (`queue_host`):
  in a fleet the same path on another server is another file.

Refused, and logged as such: a kind the configuration does not enable is not even
considered (it stays a proposal); a value that fails validation, an allowlisted IP, login
or script, a queue or a script on another host. A command that fails or outlives `timeout` is logged
as failed and the caller goes on.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..config import ActionsConfig
from ..reports.incidents import SEVERITY_RANK
from . import validate
from .allowlist import Allowlist
from .formats import fail2ban_line, map_entry, nft_element
from .plan import Action

LOG_FILE = "actions.log"  # under DATA/_state/ unless [actions] log names a file


@dataclass
class Outcome:
    """What became of one action: `applied`, `refused` (not run, and why) or `failed`
    (run, and what went wrong)."""

    action: Action
    result: str  # applied | refused | failed
    reason: str = ""  # fixed words, exit statuses, validated values: no log text
    commands: list[list[str]] = field(default_factory=list)  # the argv lists run

    def to_json(self) -> dict:
        a = self.action
        valid = self.reason != INVALID
        out: dict = {
            "incident": a.incident,
            "kind": a.kind,
            "what": a.what,
            "value": a.value if valid else None,  # a hostile value is never repeated
            "result": self.result,
            "reason": self.reason,
        }
        out.update((k, v) for k, v in (("mta", a.mta), ("host", a.host)) if v and valid)
        if self.commands:
            out["commands"] = self.commands
        return out


INVALID = "value failed validation"


class Applier:
    """Applies actions per `config`; `allow`: checked again before anything runs;
    `log`: the JSON-lines file of outcomes; `clock`: the wall clock of log lines."""

    def __init__(
        self,
        config: ActionsConfig,
        allow: Allowlist,
        log: str | os.PathLike,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.config = config
        self.allow = allow
        self.log = Path(log)
        self.clock = clock
        self.host = config.queue_host or socket.gethostname().split(".")[0]

    def enabled(self, what: str, severity: str) -> bool:
        """Whether an action `what` of an incident of `severity` is to be applied."""
        rank = SEVERITY_RANK.get(severity, 0)
        return what in self.config.apply and rank >= SEVERITY_RANK[self.config.severity]

    def apply(self, action: Action) -> Outcome:
        try:
            outcome = self._apply(action)
        except OSError as e:  # a map or fail2ban file that cannot be written
            outcome = Outcome(action, "failed", f"cannot write: {e.strerror or e}")
        self._log(outcome)
        return outcome

    def _apply(self, a: Action) -> Outcome:
        refused = self._refusal(a)
        if refused:
            return Outcome(a, "refused", refused)
        c = self.config
        if a.what == "block_ip" and c.block_with == "fail2ban":
            _append(c.fail2ban_log, fail2ban_line(a, self.clock()))
            return Outcome(a, "applied", f"appended to {c.fail2ban_log}")
        if a.what == "refuse_login":
            _append(c.sasl_map, map_entry(a))
            return self._run(a, [[*shlex.split(c.postmap), c.sasl_map]])
        argv = {
            "block_ip": lambda: [*shlex.split(c.nft), *nft_element(a.value)],
            "hold_queue": lambda: (
                [*shlex.split(c.exim), "-Mf", a.value]
                if a.mta == "exim"
                else [*shlex.split(c.postsuper), "-h", a.value]
            ),
            "stop_script": lambda: [*shlex.split(c.chmod), "000", "--", a.value],
        }[a.what]()
        return self._run(a, [argv])

    def _refusal(self, a: Action) -> str:
        """Why `a` must not run ('' when it may)."""
        checks: dict[str, Callable[[], object]] = {
            "block_ip": lambda: validate.ip(a.value) == a.value,
            "refuse_login": lambda: validate.login(a.value),
            "hold_queue": lambda: validate.queue_id(a.value, a.mta or "") and validate.host(a.host),
            "stop_script": lambda: (
                validate.path(a.value) and (a.host is None or validate.host(a.host))
            ),
        }
        if a.what not in checks or not checks[a.what]():
            return INVALID
        if a.what == "block_ip" and self.allow.ip(a.value):
            return "allowlisted IP"
        if a.what == "refuse_login" and self.allow.login(a.value):
            return "allowlisted login"
        if a.what == "stop_script" and (
            self.allow.path(a.value) or self.allow.uid(a.uid) or self.allow.user(a.user)
        ):
            return "allowlisted script"
        if a.what == "refuse_login" and a.mta == "exim":
            return "Exim accepted its mail: no check_sasl_access map (see the sh form)"
        if a.what == "hold_queue" and a.host != self.host:
            return f"queued on host {a.host}, not on this one ({self.host})"
        if a.what == "stop_script" and a.host is not None and a.host != self.host:
            return f"a script on host {a.host}, not on this one ({self.host})"
        return ""

    def _run(self, a: Action, commands: list[list[str]]) -> Outcome:
        for argv in commands:
            try:
                done = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=self.config.timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                why = f"{argv[0]}: killed after {self.config.timeout:g} s"
                return Outcome(a, "failed", why, commands)
            except OSError as e:
                return Outcome(a, "failed", f"{argv[0]}: {e.strerror or e}", commands)
            if done.returncode != 0:
                return Outcome(a, "failed", f"{argv[0]}: exit status {done.returncode}", commands)
        return Outcome(a, "applied", "", commands)

    def _log(self, outcome: Outcome) -> None:
        entry = {"at": _iso(self.clock()), **outcome.to_json()}
        _append(self.log, json.dumps(entry, ensure_ascii=True))


def _append(path: str | os.PathLike, line: str) -> None:
    """`line` appended whole (one write, O_APPEND) and flushed to disk."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("ascii", "backslashreplace"))
        os.fsync(fd)
    finally:
        os.close(fd)


def log_path(data: str | os.PathLike, config: ActionsConfig) -> Path:
    """Where outcomes are logged: `[actions] log`, else DATA/_state/actions.log."""
    return Path(config.log) if config.log else Path(data) / "_state" / LOG_FILE


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
