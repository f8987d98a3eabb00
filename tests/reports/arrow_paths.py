"""What the tests of the Arrow report paths share: the windows they compare, `same` (a
pandas report and its Arrow twin as the output shows them) and `run_cli` (the `analyzer`
command in a fresh process that reports, on stderr as `HEAVY=...`, which of pandas,
plotly and dask it imported: the CLI's Arrow paths import none)."""

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
