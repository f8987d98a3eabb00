"""The ``fleet`` subcommand of ``python -m analyzer.samplegen``: its options and its run."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime

from .core import DEFAULT_MESSAGES_PER_DAY, DEFAULT_SEED, DEFAULT_START
from .fleet import DEFAULT_HOSTS, DEFAULT_MAX_SKEW, MTAS, write_fleet


def _mtas(value: str) -> tuple[str, ...]:
    mtas = tuple(m.strip() for m in value.split(",") if m.strip())
    if not mtas or any(m not in MTAS for m in mtas):
        raise argparse.ArgumentTypeError(f"a comma-separated list of {', '.join(MTAS)}")
    return mtas


def add_fleet_parser(sub, start: Callable[[str], datetime]) -> None:
    """The `fleet` subcommand's parser; `start` reads --start as the other subcommands do."""
    q = sub.add_parser(
        "fleet",
        help="N mail servers' rotated logs (Postfix and Exim), one truth",
        description="Write OUT/<host>/ for each host of a fleet (mx1, mx2, ...): its own "
        "traffic, queue ids and clock skew, its log rotated per day (older days gzipped), "
        "the incidents on the first hosts (one stolen account used on all of them), and "
        "the truth JSON (per host and fleet-wide). Deterministic.",
    )
    q.add_argument(
        "--hosts", type=int, default=DEFAULT_HOSTS, help=f"servers (default {DEFAULT_HOSTS})"
    )
    q.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    q.add_argument(
        "--start",
        type=start,
        default=DEFAULT_START,
        help=f"first timestamp of mx1, naive UTC (default {DEFAULT_START.isoformat()})",
    )
    q.add_argument("--days", type=float, default=1.0, help="days of logs (default 1)")
    q.add_argument(
        "--messages-per-day",
        type=int,
        default=DEFAULT_MESSAGES_PER_DAY,
        help="mean background messages per day and host; each host gets 0.5-1.5 times "
        f"this (default {DEFAULT_MESSAGES_PER_DAY})",
    )
    q.add_argument(
        "--mtas",
        type=_mtas,
        default=MTAS,
        help="the hosts' MTAs, in turn (default postfix,exim)",
    )
    q.add_argument(
        "--max-skew",
        type=int,
        default=DEFAULT_MAX_SKEW,
        help=f"largest clock skew from mx1, seconds either way (default {DEFAULT_MAX_SKEW})",
    )
    q.add_argument(
        "--incident-hosts",
        type=int,
        default=None,
        help="the first this many hosts get the planted incidents (default: 3, or all when fewer)",
    )
    q.add_argument("--out", required=True, help="directory to write (one folder per host)")
    q.add_argument("--truth", default=None, help="truth JSON to write (default: OUT.truth.json)")
    q.add_argument("--quiet", action="store_true", help="no summary on stderr")


def run_fleet(args: argparse.Namespace) -> int:
    out = args.out.rstrip("/") or "/"
    truth_path = args.truth or f"{out}.truth.json"
    began = time.perf_counter()

    def progress(host: str, truth: dict) -> None:
        if not args.quiet:
            print(f"{host}: {truth['lines']} lines", file=sys.stderr)

    try:
        truth = write_fleet(
            out,
            hosts=args.hosts,
            seed=args.seed,
            start=args.start,
            days=args.days,
            messages_per_day=args.messages_per_day,
            mtas=args.mtas,
            max_skew=args.max_skew,
            incident_hosts=args.incident_hosts,
            truth_path=truth_path,
            progress=progress,
        )
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - began
    if not args.quiet:
        lines = truth["fleet"]["lines"]
        print(
            f"wrote {lines} lines of {args.hosts} hosts to {out}/ and truth to {truth_path} "
            f"in {elapsed:.2f} s ({lines / elapsed:,.0f} lines/s)",
            file=sys.stderr,
        )
    return 0
