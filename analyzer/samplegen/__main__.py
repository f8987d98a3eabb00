"""Command line for the sample generators: ``python -m analyzer.samplegen postfix --help``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

from .postfix import DEFAULT_MESSAGES_PER_DAY, DEFAULT_SEED, DEFAULT_START, write_postfix


def _start(value: str) -> datetime:
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {value!r}") from None
    if start.tzinfo is not None:
        raise argparse.ArgumentTypeError("give a naive date/time (it is read as UTC wall time)")
    return start


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analyzer.samplegen",
                                     description="Generate synthetic mail logs with ground truth.")
    sub = parser.add_subparsers(dest="kind", required=True)
    p = sub.add_parser("postfix", help="Postfix syslog traffic of a shared-hosting server",
                       description="Write a Postfix syslog file and its truth JSON. Deterministic: "
                                   "the same arguments give byte-identical output.")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--start", type=_start, default=DEFAULT_START,
                   help=f"first timestamp, naive UTC wall time (default {DEFAULT_START.isoformat()})")
    p.add_argument("--days", type=float, default=1.0, help="length of the log in days (default 1)")
    p.add_argument("--host", default="mx1", help="syslog host name (default mx1)")
    volume = p.add_mutually_exclusive_group()
    volume.add_argument("--lines", type=int, default=None,
                        help="write about this many lines (benchmark mode, volume steered hour by hour)")
    volume.add_argument("--messages-per-day", type=int, default=None,
                        help=f"background messages per day (default {DEFAULT_MESSAGES_PER_DAY})")
    p.add_argument("--no-incidents", action="store_true", help="do not plant the four abuse incidents")
    p.add_argument("--out", required=True, help="log file to write")
    p.add_argument("--truth", default=None, help="truth JSON to write (default: OUT.truth.json)")
    p.add_argument("--quiet", action="store_true", help="no summary on stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    truth_path = args.truth or f"{args.out}.truth.json"
    began = time.perf_counter()
    try:
        truth = write_postfix(args.out, target_lines=args.lines, days=args.days, seed=args.seed,
                              start=args.start, host=args.host, incidents=not args.no_incidents,
                              messages_per_day=args.messages_per_day, truth_path=truth_path)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - began
    if not args.quiet:
        print(f"wrote {truth['lines']} lines to {args.out} and truth to {truth_path} "
              f"in {elapsed:.2f} s ({truth['lines'] / elapsed:,.0f} lines/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
