"""Micro-benchmark of the parse stage alone: µs of CPU per input line of the Python
`parse_batch` and of the compiled core's, on the same generated log.

    .venv/bin/python benchmarks/bench_parse_core.py [--lines 500000] [--repeat 3] [--iso]
    .venv/bin/python benchmarks/bench_parse_core.py --format exim      # or sendmail
    .venv/bin/python benchmarks/bench_parse_core.py --year 2026        # BSD years by --year

The log (the project's generator, `write_postfix` or `write_mta`, 30 days) is cached
under benchmarks/out/; `--iso` rewrites a Postfix log's headers as RFC 3339
(`2026-11-26T00:01:01+00:00`); Exim's is its own log format.
Both parsers read it in 1 MiB batches, as ingest does, in this one process (no worker
processes, no correlation, no writing). CPU time (`time.process_time`) is the figure: on a
shared machine wall time mostly says how busy the other core was. Best of `--repeat`.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
START = datetime(2026, 11, 1)
BATCH = 1 << 20

sys.path.insert(0, str(ROOT))

from analyzer.clock import MONTHS  # noqa: E402
from analyzer.parse import rust_batch  # noqa: E402
from analyzer.parse.batch import BatchJob as Job  # noqa: E402
from analyzer.parse.batch import parse_batch  # noqa: E402
from analyzer.parse.core import compiled  # noqa: E402
from analyzer.samplegen.mta import write_mta  # noqa: E402
from analyzer.samplegen.postfix import write_postfix  # noqa: E402


def log(lines: int, iso: bool, format: str = "postfix") -> bytes:
    path = OUT / (
        f"parse-core-{lines}.log" if format == "postfix" else f"parse-core-{format}-{lines}.log"
    )
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        if format == "postfix":
            write_postfix(path, target_lines=lines, days=30, start=START)
        else:
            write_mta(format, path, target_lines=lines, days=30, start=START)
    data = path.read_bytes()
    if iso:
        data = b"\n".join(_iso(line) for line in data.split(b"\n"))
    return data


def _iso(line: bytes) -> bytes:
    if len(line) < 15:
        return line
    text = line[:15].decode()
    day, clock = int(text[4:6]), text[7:15]
    return f"{START.year}-{MONTHS[text[:3]]:02d}-{day:02d}T{clock}+00:00".encode() + line[15:]


def batches(data: bytes) -> list[tuple[int, bytes]]:
    out, start = [], 0
    while start < len(data):
        cut = data.rfind(b"\n", start, start + BATCH)
        end = len(data) if cut <= start or start + BATCH >= len(data) else cut + 1
        out.append((start, data[start:end]))
        start = end
    return out


def job(offset: int, chunk: bytes, format: str = "postfix", year: int | None = None):
    body = chunk[:-1] if chunk.endswith(b"\n") else chunk
    j = Job(body, offset, offset + len(chunk), "maillog", UTC, date(2026, 12, 31), year, 0)
    j.format, j.host, j.native = format, "mx1", format == "exim"
    return j


def run(parse, jobs: list) -> tuple[float, float, int, int]:
    """(CPU seconds, wall seconds, lines, lines the core handed to Python) of one pass."""
    rust_batch._cores.clear()
    cpu, wall, lines, python_lines = time.process_time(), time.perf_counter(), 0, 0
    for j in jobs:
        lines += parse(j).lines
        if rust_batch._cores:
            python_lines += rust_batch._core(j)[0].python_lines
    return time.process_time() - cpu, time.perf_counter() - wall, lines, python_lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--iso", action="store_true", help="RFC 3339 headers instead of BSD")
    ap.add_argument("--format", choices=("postfix", "exim", "sendmail"), default="postfix")
    ap.add_argument("--year", type=int, help="date BSD lines by this year (as --year)")
    args = ap.parse_args()
    if compiled() is None:
        print("the compiled core (analyzer._core) is not built", file=sys.stderr)
        return 1
    chunks = batches(log(args.lines, args.iso, args.format))
    jobs = [job(offset, chunk, args.format, args.year) for offset, chunk in chunks]
    print(f"{sum(len(c) for _, c in chunks):,} bytes in {len(chunks)} batches")
    results = {}
    for name, parse in (("python", parse_batch), ("rust", rust_batch.parse_batch)):
        best = min((run(parse, jobs) for _ in range(args.repeat)), key=lambda r: r[0])
        results[name] = best
        cpu, wall, lines, python_lines = best
        print(
            f"{name:6} {lines:,} lines: {cpu * 1e6 / lines:.2f} µs/line CPU "
            f"({lines / cpu:,.0f} lines/s), wall {wall:.2f} s"
            + (f"; {python_lines:,} lines handed to Python" if name == "rust" else "")
        )
    print(f"speed-up (CPU): {results['python'][0] / results['rust'][0]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
