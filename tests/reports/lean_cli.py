"""Run the `analyzer` command in a fresh process that reports, on stderr as `HEAVY=...`,
which of pandas, plotly and dask it imported (the CLI's Arrow paths import none)."""

import os
import subprocess
import sys

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
