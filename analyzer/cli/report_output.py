"""What the report commands share: render a report's DataFrame (or say why it is empty:
a quiet window, exit 0, or a window the dataset does not reach, exit 1), write a chart,
the window as a title shows it, `spare_pandas` for the Arrow paths, and `--redact` (`redactor_for`; `show` and `masked` apply
it to what leaves for a table, JSON, CSV or chart)."""

from __future__ import annotations

import importlib.abc
import sys

from .. import api
from ..errors import NoData
from . import messages
from .messages import note


def show(
    frame,
    fmt: str,
    title: str,
    columns: list[str] | None = None,
    empty: str = "no rows",
    window: tuple | None = None,
    redactor=None,
) -> None:
    """Render `frame` (a DataFrame or a pyarrow Table). Empty: when the window holds no rows of the table the report reads
    (`window`: table, data, since, until, tz), an error naming what the dataset covers (a
    wrong window, exit 1); else the report's own `empty` text (a quiet window, exit 0).
    `redactor` (`redactor_for`): the frame and title are redacted first."""
    from ..render.output import render

    frame, title = masked(redactor, frame), masked(redactor, title)

    if (frame.num_rows if hasattr(frame, "num_rows") else len(frame)) == 0:
        if window is not None:
            name, data, since, until, tz = window
            if not api.has_rows(name, data=data, since=since, until=until, tz=tz):
                raise NoData(api.empty_window(name.replace("_", " "), data, since, until, tz))
        note(empty)
        if fmt == "table":
            return
    render(
        frame,
        fmt,
        console=messages.console if fmt == "table" and messages.rich_stdout() else None,
        title=title,
        columns=columns,
        caption="times in UTC" if fmt == "table" else None,
    )


class _NoPandas(importlib.abc.MetaPathFinder):
    """Refuses to import pandas (see `spare_pandas`)."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            raise ImportError(f"{name}: not now (cli.report_output.spare_pandas)")
        return None


def spare_pandas() -> None:
    """Keep pyarrow from importing pandas (a quarter second) for the Arrow paths of the
    CLI (`top-senders`, `auth-failures`, `relay-spikes`, `suspicious-scripts`). pyarrow imports it at its first conversion of Python or numpy
    values (`pa.array`, `to_numpy`, `to_pylist` of times), only to ask whether they are
    pandas objects: it is asked once here while pandas cannot be imported, and takes that
    answer for the rest of the process. Anything that needs pandas later still imports
    it (an explicit `to_pandas`, `import pandas`); nothing changes once it is imported."""
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([0])  # pyarrow's one look for pandas
    finally:
        sys.meta_path.remove(finder)


def report_call(arrow_report, pandas_report, engine: str, scheduler, chart, arrow_ok=True):
    """The `api` function a report command calls: the report's Arrow twin (a pyarrow
    Table, and no pandas import: issue 11) for the local engine without a chart (and
    `arrow_ok`), `spare_pandas` done first; else the pandas report on `engine`."""
    if engine == "local" and not chart and arrow_ok:
        spare_pandas()
        return arrow_report
    import functools

    return functools.partial(pandas_report, engine=engine, scheduler=scheduler)


def host_note(data, hosts: str | None) -> bool:
    """Say which of `hosts` the dataset does not have (and the hosts it has); True then."""
    text = api.unknown_hosts(data, hosts) if hosts else None
    if text:
        note(text)
    return text is not None


def redactor_for(
    redact: bool,
    data,
    since,
    until,
    tz,
    hosts=None,
    local_ips=(),
    hosted_domains=(),
    *,
    engine: str = "local",
    scheduler: str | None = None,
):
    """With `--redact`: a `render.redact.Redactor` keeping the subjects of the incidents
    the nightly report finds in the same window and hosts (thresholds, local IPs and
    hosted domains from the configuration unless given), computed on the command's
    `engine` (a `--engine dask` command does not read the window on this machine); else
    None."""
    if not redact:
        return None
    from ..config import load
    from ..render.redact import Redactor, subjects_of

    cfg = load()
    found = api.report(
        data,
        since,
        until,
        tz,
        thresholds=cfg.thresholds,
        local_ips=list(local_ips) or list(cfg.local_ips),
        hosted_domains=list(hosted_domains) or list(cfg.hosted_domains),
        hosts=hosts,
        engine=engine,
        scheduler=scheduler,
    )
    return Redactor(subjects_of(found.incidents))


def masked(redactor, value):
    """A DataFrame or a string as it may leave: redacted when `redactor` is given."""
    if redactor is None or value is None:
        return value
    return redactor.text(value) if isinstance(value, str) else redactor.frame(value)


def save_chart(fig, path: str) -> None:
    """Write the chart (one self-contained HTML file) and say where."""
    from ..render.charts import write_chart

    write_chart(fig, path)
    note(f"chart written to {path}")


def window_text(since, until, tz) -> str:
    """The window as the title shows it (UTC)."""
    from ..clock import parse_zone
    from ..dataset.timewindow import window

    lo, hi = window(since, until, parse_zone(tz))
    start = lo.strftime("%Y-%m-%d %H:%M") if lo else "the beginning"
    end = hi.strftime("%Y-%m-%d %H:%M") if hi else "now"
    return f"{start} to {end} UTC"
