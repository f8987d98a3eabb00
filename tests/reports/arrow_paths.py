"""What the tests of the Arrow report paths share: the windows they compare, `same` (a
pandas report and its Arrow twin as the output shows them) and `run_cli` (the `analyzer`
command in a fresh process that reports, on stderr as `HEAVY=...`, which of pandas,
plotly and dask it imported: the CLI's Arrow paths import none; `run_lean` checks it)."""

import os
import subprocess
import sys

from analyzer.render.output import records

WINDOWS = [
    (None, None),  # the whole dataset
    ("2026-11-26T06:00", "2026-11-26T12:00"),
    ("2026-11-26T23:30", None),
    ("2030-01-01", None),  # after the data: empty
]


def same(pandas_frame, arrow_table) -> None:
    """Equal as the output shows them: columns, then every row's JSON-ready values."""
    assert list(pandas_frame.columns) == arrow_table.column_names
    assert records(pandas_frame) == records(arrow_table)


PROBE = """
import atexit, sys
heavy = lambda: sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'plotly', 'dask'})
atexit.register(lambda: print('HEAVY=' + ','.join(heavy()), file=sys.stderr))
sys.argv = ['analyzer'] + sys.argv[1:]
from analyzer.cli.app import main
main()
"""


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120
    )


def run_lean(command: str, data, args: list[str], since: str):
    """`analyzer COMMAND --data DATA --tz UTC --since SINCE ARGS` (ARGS may give their own
    `--since`) in a fresh process, checked to import neither pandas nor plotly (nor dask).
    A window after the data (`--since 2030-01-01`) is checked to be an error naming what
    the dataset covers (exit 1) and gives None; any other run is checked to exit 0."""
    cmd = [command, "--data", str(data), "--tz", "UTC"]
    if "--since" not in args:
        cmd += ["--since", since]
    done = run_cli(*cmd, *args)
    assert "HEAVY=\n" in done.stderr, done.stderr
    if "2030-01-01" in args:
        assert done.returncode == 1 and "the dataset covers" in done.stderr
        return None
    assert done.returncode == 0, done.stderr
    return done
