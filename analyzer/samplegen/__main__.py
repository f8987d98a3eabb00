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
    parser = argparse.ArgumentParser(
        prog="python -m analyzer.samplegen",
        description="Generate synthetic mail logs with ground truth.",
    )
    sub = parser.add_subparsers(dest="kind", required=True)
    p = sub.add_parser(
        "postfix",
        help="Postfix syslog traffic of a shared-hosting server",
        description="Write a Postfix syslog file and its truth JSON. Deterministic: "
        "the same arguments give byte-identical output.",
    )
    p.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    p.add_argument(
        "--start",
        type=_start,
        default=DEFAULT_START,
        help=f"first timestamp, naive UTC wall time (default {DEFAULT_START.isoformat()})",
    )
    p.add_argument("--days", type=float, default=1.0, help="length of the log in days (default 1)")
    p.add_argument("--host", default="mx1", help="syslog host name (default mx1)")
    volume = p.add_mutually_exclusive_group()
    volume.add_argument(
        "--lines",
        type=int,
        default=None,
        help="write about this many lines (benchmark mode, volume steered hour by hour)",
    )
    volume.add_argument(
        "--messages-per-day",
        type=int,
        default=None,
        help=f"background messages per day (default {DEFAULT_MESSAGES_PER_DAY})",
    )
    p.add_argument(
        "--no-incidents", action="store_true", help="do not plant the four abuse incidents"
    )
    p.add_argument("--out", required=True, help="log file to write")
    p.add_argument("--truth", default=None, help="truth JSON to write (default: OUT.truth.json)")
    p.add_argument("--quiet", action="store_true", help="no summary on stderr")

    for kind, what in (
        ("exim", "an Exim main log (cPanel style: own timestamps, U=, cwd=)"),
        ("sendmail", "Sendmail syslog (MSP -> MTA hops, AUTH=server lines)"),
    ):
        q = sub.add_parser(
            kind,
            help=f"the same server running {kind}: {what}",
            description=f"Write {what} of the simulated server, with the same four "
            "incidents, and its truth JSON. Deterministic.",
        )
        _common(q)
        q.add_argument(
            "--lines", type=int, default=None, help="write about this many lines (benchmark mode)"
        )
        q.add_argument(
            "--passwd",
            default=None,
            help="also write a passwd file of the simulated accounts (root, site1001..)",
        )
    q = sub.add_parser(
        "phpmail",
        help="PHP mail.log matching the Postfix sample's pickups",
        description="Write the PHP mail.log (file form) of the Postfix simulation with "
        "the same arguments, and its truth JSON; --maillog also writes "
        "that Postfix log (byte-identical to `postfix`).",
    )
    _common(q)
    q.add_argument(
        "--zone", default="Europe/Berlin", help="PHP's date.timezone (default Europe/Berlin)"
    )
    q.add_argument("--maillog", default=None, help="also write the Postfix log to this file")
    q = sub.add_parser(
        "journal",
        help="the Postfix server's day as a journalctl -o json export",
        description="Write the Postfix simulation as `journalctl -o json` lines "
        "(gzip when OUT ends in .gz) and its truth JSON.",
    )
    _common(q, messages_per_day=600)
    from .fleet_cli import add_fleet_parser

    add_fleet_parser(sub, _start)
    return parser


def _common(q, messages_per_day: int = DEFAULT_MESSAGES_PER_DAY) -> None:
    q.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    q.add_argument(
        "--start",
        type=_start,
        default=DEFAULT_START,
        help=f"first timestamp, naive UTC wall time (default {DEFAULT_START.isoformat()})",
    )
    q.add_argument("--days", type=float, default=1.0, help="length of the log in days (default 1)")
    q.add_argument("--host", default="mx1", help="host name (default mx1)")
    q.add_argument(
        "--messages-per-day",
        type=int,
        default=None,
        help=f"background messages per day (default {messages_per_day})",
    )
    q.add_argument(
        "--no-incidents", action="store_true", help="do not plant the four abuse incidents"
    )
    q.add_argument("--out", required=True, help="log file to write")
    q.add_argument("--truth", default=None, help="truth JSON to write (default: OUT.truth.json)")
    q.add_argument("--quiet", action="store_true", help="no summary on stderr")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.kind == "fleet":
        from .fleet_cli import run_fleet

        return run_fleet(args)
    truth_path = args.truth or f"{args.out}.truth.json"
    began = time.perf_counter()
    common = dict(
        days=args.days,
        seed=args.seed,
        start=args.start,
        host=args.host,
        incidents=not args.no_incidents,
    )
    try:
        if args.kind == "postfix":
            truth = write_postfix(
                args.out,
                target_lines=args.lines,
                messages_per_day=args.messages_per_day,
                truth_path=truth_path,
                **common,
            )
        elif args.kind in ("exim", "sendmail"):
            from .mta import write_mta, write_passwd

            truth = write_mta(
                args.kind,
                args.out,
                target_lines=args.lines,
                messages_per_day=args.messages_per_day,
                truth_path=truth_path,
                **common,
            )
            if args.passwd:
                write_passwd(args.passwd)
        elif args.kind == "phpmail":
            from .phpmail import write_phpmail

            truth = write_phpmail(
                args.maillog,
                args.out,
                php_truth_path=truth_path,
                zone=args.zone,
                messages_per_day=args.messages_per_day or DEFAULT_MESSAGES_PER_DAY,
                **common,
            )
        else:
            from .journal import DEFAULT_MESSAGES_PER_DAY as JOURNAL_PER_DAY
            from .journal import write_journal

            truth = write_journal(
                args.out,
                truth_path,
                messages_per_day=args.messages_per_day or JOURNAL_PER_DAY,
                **common,
            )
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - began
    if not args.quiet:
        print(
            f"wrote {truth['lines']} lines to {args.out} and truth to {truth_path} "
            f"in {elapsed:.2f} s ({truth['lines'] / elapsed:,.0f} lines/s)",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
