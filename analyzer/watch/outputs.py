"""Where alerts go, as a library: each output is a callable taking one alert (a dict,
`alert()` builds it). `JsonLines` writes one JSON object per line (ASCII, so control
characters and lookalikes of log text stay visible as escapes); `Exec` runs a command per
alert with the JSON on its stdin: argv split with `shlex.split` from the operator's
command line, never a shell, never log text in the argv, with a timeout."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from .engine import Event

Output = Callable[[dict], None]
EXEC_TIMEOUT = 10.0  # seconds a command per alert may run


def alert(event: Event, detected_at: datetime | None = None) -> dict:
    """The JSON object of one alert: id (stable across restarts), kind, state, subject,
    severity, first_seen, last_seen (log time it was last found), detected_at (wall
    clock), the nightly incident's explanation (title, summary, reasons, hosts: where it
    was seen, facts) and the proposed actions."""
    t = event.incident
    when = (detected_at or datetime.now(UTC)).astimezone(UTC)
    return {
        "id": t.id,
        "kind": t.kind,
        "state": event.state,
        "subject": t.subject,
        "severity": t.severity,
        "first_seen": t.first_seen,
        "last_seen": t.seen,
        "detected_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        **t.explanation,
        "actions": t.actions,
    }


def dumps(alert: dict) -> str:
    return json.dumps(alert, ensure_ascii=True, sort_keys=False)


class JsonLines:
    """One JSON object per line on `stream` (default stdout), flushed per alert."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream

    def __call__(self, alert: dict) -> None:
        out = self.stream or sys.stdout
        out.write(dumps(alert) + "\n")
        out.flush()


class Exec:
    """Run `command` (split like a shell would, run without one) once per alert, the
    alert's JSON line on stdin, its output to stderr; a failure or a timeout is reported
    through `on_error` and never stops the watch."""

    def __init__(
        self,
        command: str,
        timeout: float = EXEC_TIMEOUT,
        on_error: Callable[[str], None] | None = None,
    ):
        self.argv = shlex.split(command)
        if not self.argv:
            raise ValueError("--exec needs a command")
        self.timeout = timeout
        self.on_error = on_error or (lambda text: print(text, file=sys.stderr))

    def __call__(self, alert: dict) -> None:
        name = self.argv[0]
        try:
            done = subprocess.run(
                self.argv,
                input=(dumps(alert) + "\n").encode(),
                stdout=sys.stderr.fileno() if _has_fileno(sys.stderr) else subprocess.DEVNULL,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            self.on_error(f"--exec {name}: killed after {self.timeout:g} s (alert {alert['id']})")
        except OSError as e:
            self.on_error(f"--exec {name}: {e.strerror or e}")
        else:
            if done.returncode != 0:
                self.on_error(f"--exec {name}: exit status {done.returncode} (alert {alert['id']})")


def _has_fileno(stream) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True
