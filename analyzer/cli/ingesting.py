"""What `analyzer ingest` does once its options are read, without typer: the configuration
filled in (`ingest_configured`, shared with `report --ingest`), the run (a progress bar
on a terminal), and the summary on stderr. The typer command (`dataset_commands.ingest`)
and the start without typer (`quick`) both end here."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .. import api
from ..render.terminal import printable
from . import messages
from .messages import note, warn

if TYPE_CHECKING:
    from rich.progress import TaskID


def run_ingest(
    paths: list[str],
    *,
    data: str | None = None,
    tz: str | None = None,
    year: int | None = None,
    local_ips: list[str] | None = None,
    wait: float = 0.0,
    format: str | None = None,
    host: str | None = None,
    passwd: str | None = None,
    cursor_file: str | None = None,
    config: str | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> None:
    """`analyzer ingest` with these option values (flags first, then the configuration
    file `config` or the one found)."""
    from ..config import load

    cfg = load(config)
    progress = _progress_bar() if sys.stderr.isatty() else None
    try:
        summary = ingest_configured(
            paths,
            cfg,
            data=data,
            tz=tz,
            year=year,
            local_ips=local_ips,
            wait=wait,
            format=format,
            host=host,
            passwd=passwd,
            cursor_file=cursor_file,
            progress=progress.update if progress else None,
            engine=engine,
            scheduler=scheduler,
        )
    finally:
        if progress:
            progress.close()
    for warning in summary.warnings:
        warn(warning)
    for src in summary.sources:
        if src.status not in ("new", "resumed"):
            skipped = f" ({src.skipped:,} entries read before skipped)" if src.skipped else ""
            note(f"{src.path}: {src.status}{skipped}")
    beside = ", ".join(
        f"{p} {n:,}"
        for p, n in sorted(summary.programs_beside_mta.items(), key=lambda kv: -kv[1])[:5]
    )
    note(
        f"ingest: {summary.lines:,} lines read, {summary.events:,} MTA events, "
        f"{summary.messages:,} messages, {summary.unparsed:,} unparsed"
        + (f", {summary.beside_mta:,} beside the MTA ({beside})" if beside else "")
        + f" in {summary.seconds:.2f} s"
    )
    if summary.php_line:
        note(summary.php_line)


def ingest_configured(
    paths: list[str],
    cfg,
    *,
    data=None,
    tz=None,
    year=None,
    local_ips=None,
    wait: float = 0.0,
    format=None,
    host=None,
    passwd=None,
    cursor_file=None,
    progress=None,
    engine: str = "local",
    scheduler: str | None = None,
):
    """Ingest as `analyzer ingest` does, flags first, then the configuration `cfg`:
    `ingest` and `report --ingest` must read logs the same way, or one dataset charges
    one account to two identities (`user:` under one, `uid:` under the other)."""
    return api.ingest(
        paths,
        data=data or cfg.data,
        tz=tz or cfg.tz,
        year=year,
        local_ips=local_ips or cfg.local_ips,
        wait=wait,
        progress=progress,
        format=format or cfg.format,
        host=host or (cfg.host if engine == "local" else None),
        passwd=passwd or cfg.passwd,
        cursor_file=cursor_file,
        engine=engine,
        scheduler=scheduler,
    )


class _progress_bar:
    """A rich progress bar on stderr, fed (path, bytes done, bytes total) per batch."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=messages.err,
            transient=True,
        )
        self.bar.start()
        self.tasks: dict[str, TaskID] = {}

    def update(self, path: str, done: int, total: int) -> None:
        task = self.tasks.get(path)
        if task is None:
            from rich.markup import escape

            task = self.tasks[path] = self.bar.add_task(
                escape(printable(path)), total=total or None
            )
        self.bar.update(task, completed=done)

    def close(self) -> None:
        self.bar.stop()
