"""The property tests of `tests/parse/test_fuzz.py` with a large budget, outside the suite.

    .venv/bin/python tools/fuzz.py --examples 5000 --ingest-examples 300 [--seed N]

Damaged real lines (corpora in ../shared/corpora/ and sample_logs/; see tests/fuzzlines.py)
go through the line parser, the ingest batch parser and whole ingests. Prints how many
cases ran, how long, and the shrunk failing case if a property breaks (exit 1).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import test_fuzz  # noqa: E402
from conftest import CORPORA, SAMPLE_LOGS  # noqa: E402
from fuzzlines import cases, load_pools  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def run(prop, examples: int, seed: int, pools) -> tuple[int, float]:
    count = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def fuzz(data):
        nonlocal count
        count += 1
        if count % 100 == 0:
            print(f"  {count:,} cases, {time.monotonic() - started:.0f} s", flush=True)
        prop(data.draw(cases(pools)), data)

    fuzz = __import__("hypothesis").seed(seed)(fuzz)
    started = time.monotonic()
    fuzz()
    return count, time.monotonic() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=5000, help="line/batch cases")
    ap.add_argument("--ingest-examples", type=int, default=200, help="whole-ingest cases")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    if not CORPORA.is_dir():
        sys.exit(f"real-world corpora not found at {CORPORA} (set ANALYZER_SHARED)")
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    pools = load_pools(CORPORA, SAMPLE_LOGS)
    print(
        f"seed {seed}; {len(pools)} files of real lines, {sum(len(p.lines) for p in pools):,} lines"
    )
    n, secs = run(lambda case, data: test_fuzz.check_lines(case), args.examples, seed, pools)
    print(f"lines: {n:,} cases in {secs:.0f} s, no property broken")
    n, secs = run(
        lambda case, data: test_fuzz.check_ingest(case, data.draw(st.booleans())),
        args.ingest_examples,
        seed,
        pools,
    )
    print(f"ingest: {n:,} cases in {secs:.0f} s, no property broken")
    return 0


if __name__ == "__main__":
    sys.exit(main())
