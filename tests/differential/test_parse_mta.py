"""The compiled parse core against the Python parse stage on Exim and Sendmail: identical
`parse_batch` results on the sample logs, every Exim and Sendmail file of the corpora,
generated logs with incidents (Exim's own log and Exim under syslog, Sendmail syslog)
across a DST change, and hostile lines."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from both import compare, require_core, zone

from analyzer.parse.header import sniff_format
from analyzer.samplegen.mta import generate_mta

ROOT = Path(__file__).resolve().parents[2]
BERLIN = "Europe/Berlin"
SAMPLES = {"exim": ("exim/exim_mainlog", True), "sendmail": ("sendmail/maillog", False)}


@pytest.fixture(autouse=True)
def _core():
    require_core()


@pytest.mark.parametrize("tz", ["UTC", BERLIN])
@pytest.mark.parametrize("mta", sorted(SAMPLES))
def test_sample_logs(mta, tz):
    name, native = SAMPLES[mta]
    data = (ROOT / "sample_logs" / name).read_bytes()
    lines, python_lines = compare(
        data, batch_bytes=1 << 18, zone=zone(tz), format=mta, native=native
    )
    assert lines > 15_000
    assert python_lines == 0  # the core parses all of it itself


def _files(corpora: Path) -> dict[tuple[str | None, bool], list[Path]]:
    """The corpus files by what their first lines say they are (as ingest tells it)."""
    found: dict[tuple[str | None, bool], list[Path]] = {}
    for path in sorted(corpora.rglob("*")):
        if not path.is_file() or path.suffix in (".jsonl", ".tsv", ".txt", ".md", ".gz"):
            continue
        head = path.read_bytes()[:65536].decode("utf-8", "replace").split("\n")[:200]
        found.setdefault(sniff_format(head), []).append(path)
    return found


def test_corpora_exim_and_sendmail_files(corpora):
    files = _files(corpora)
    exim, sendmail = files.get(("exim", True), []), files.get(("sendmail", False), [])
    assert len(exim) >= 3 and len(sendmail) >= 2, files
    total = python_total = 0
    for fmt, native, paths in (("exim", True, exim), ("sendmail", False, sendmail)):
        for path in paths:
            for tz in ("UTC", BERLIN):
                lines, python_lines = compare(
                    path.read_bytes(),
                    path=str(path),
                    zone=zone(tz),
                    reference=date(2026, 3, 29),
                    format=fmt,
                    native=native,
                )
                total, python_total = total + lines, python_total + python_lines
    assert total > 30_000 and python_total < total // 50


@functools.cache
def _generated(mta: str) -> tuple[str, ...]:
    # over the night Europe/Berlin turns its clocks back, with the incidents planted
    lines, _ = generate_mta(mta, start=datetime(2026, 10, 24, 22), days=1.25, incidents=True)
    return tuple(lines)


@pytest.mark.parametrize("tz", ["UTC", BERLIN, "America/New_York"])
@pytest.mark.parametrize("mta", ["exim", "sendmail"])
def test_generated(mta, tz):
    data = "\n".join(_generated(mta)).encode()
    lines, python_lines = compare(
        data,
        batch_bytes=200_000,
        zone=zone(tz),
        format=mta,
        native=mta == "exim",
        reference=date(2026, 12, 31),
    )
    assert lines > 15_000 and python_lines == 0


_EXIM_LINE = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d:\d\d:\d\d) (?:\[(\d+)\] )?(.*)")
MONTH_NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _as_syslog(line: str, i: int) -> str:
    """Exim's own line as rsyslog writes Exim's syslog line, by turns with Exim's own
    time and `[pid]` repeated inside the message (which the parser steps over)."""
    m = _EXIM_LINE.match(line)
    assert m, line
    year, month, day, clock, pid, message = m.groups()
    head = f"{MONTH_NAMES[int(month) - 1]} {int(day):2d} {clock} mx1 exim[{pid or 2000}]: "
    inner = (
        "",
        f"{year}-{month}-{day} {clock} ",
        f"[{pid or 7}] ",
        f"{year}-{month}-{day} {clock} [1:2] ",
    )
    return head + inner[i % 4] + message


@pytest.mark.parametrize("tz", ["UTC", BERLIN])
def test_exim_under_syslog(tz):
    lines = [_as_syslog(line, i) for i, line in enumerate(_generated("exim"))]
    total, python_lines = compare(
        "\n".join(lines).encode(), batch_bytes=200_000, zone=zone(tz), format="exim"
    )
    assert total > 15_000 and python_lines == 0


HOSTILE = [
    # Exim's own lines: odd times, a zone, milliseconds, a pid too long for an int
    "2026-11-26 09:00:01.123 +0100 [2212] 1vAbCd-00000X-Q1 <= a@b H=(x) [198.18.4.7] P=esmtpa S=1",
    "2026-11-26 09:00:99 1vAbCd-00000X-Q1 Completed",
    "2026-02-30 09:00:01 1vAbCd-00000X-Q1 Completed",
    "2026-03-29 02:30:00 1vAbCd-00000X-Q1 Completed",
    "2026-11-26 09:00:01 [99999999999999999999999] 1vAbCd-00000X-Q1 Completed",
    '2026-11-26 09:00:01 1vAbCd-00000X-Q1 <= a@b H=x [1.2.3.4] P=smtp x="a P=b" S=5 T="q\\"uote"',
    "2026-11-26 09:00:01 1vAbCd-00000X-Q1 <= a@b H=x [1.2.3.4] P=smtp S=99999999999999999999999",
    '2026-11-26 09:00:01 1vAbCd-00000X-Q1 => a@b R=r T=t H=h [1.2.3.4]:x C="250 \\"ok\\" 2.0.0"',
    "2026-11-26 09:00:01 H=(x) [10.0.0.1] F=<a@b> rejected RCPT <c@d>: " + "=" * 3000,
    "2026-11-26 09:00:01 1vAbCd-00000X-Q1 authenticated Frozen",
    "2026-11-26 09:00:01 1vAbCd-00000X-Q1 == x@y R=d T=t defer (-44) H=h [1.2.3.4]: 451 4.7.1 x",
    "2026-11-26 09:00:01 something Exim never wrote",
    "2019-10-22 03:39:17 mx1 exim[29786]: 1vAbCd-00000X-Q1 Completed",
    "2019-10-22 03:39:17 mx1 dovecot[29786]: imap-login: x",
    "Nov 26 09:00:01 mx1 exim[1]: 2026-11-26 09:00:01 [1] 1vAbCd-00000X-Q1 Completed",
    "Nov 26 09:00:01 mx1 exim4-daemon-heavy[1]: [1:2] 1vAbCd-00000X-Q1 Completed",
    "Nov 26 09:00:01 mx1 exim[1]: 2026-11-26 1vAbCd-00000X-Q1 Completed",
    "Nov 26 09:00:01 mx1 exim[1]: 1vAbCd-00000X-Q1 <= a@b H=x [1.2.3.4] P=smtp S=5 for c@d e@f",
    # Sendmail
    "Nov 26 10:00:05 mx1 sm-mta[3001]: 5AQA04xF003000: to=<a@b>, delay=99999999999999999999:00:00, "
    "mailer=esmtp, pri=1, dsn=2.0.0, stat=Sent",
    "Nov 26 10:00:05 mx1 sm-mta[3001]: 5AQA04xF003000: to=a@b,c@d, delay=1+, mailer=local, pri=1, "
    "stat=queued",
    "Nov 26 10:00:04 mx1 sm-mta[3000]: 5AQA04xF003000: from=<a@b>, size=1, class=0, nrcpts=1, "
    "relay=apache@localhost, x=y",
    "Nov 26 10:00:04 mx1 sm-mta[3000]: 5AQA04xF003000: from=<a@b>, size=1, class=0, nrcpts=1, "
    "relay=apache@localhost",
    "Nov 26 10:00:04 mx1 sendmail[3000]: 5AQA04xF003000: Milter: to=<a@b>, reject=550 5.7.1 no",
    "Nov 26 10:00:04 mx1 sm-msp-queue[3000]: ruleset=check_mail, arg1=<a@b>, relay=[1.2.3.4], "
    "reject=451 4.1.8 Domain of sender address a@b does not resolve",
    "Nov 26 10:00:04 mx1 sm-mta[3000]: STARTTLS=client, relay=x, AUTH",
    "Nov 26 10:00:04 mx1 sm-mta[3000]: 5AQA04xF003000: unknown line",
    "Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: 55HIbcGI002794: <baduser@yourhost.com>... User unknown",
]


@pytest.mark.parametrize("native", [True, False])
def test_hostile_lines(native):
    data = (
        "\n".join(HOSTILE).encode() + b"\n2026-11-26 09:00:01 \xff\xfe 1vAbCd-00000X-Q1 Completed\n"
    )
    for fmt in ("exim", "sendmail"):
        if native and fmt != "exim":
            continue
        compare(data, zone=zone(BERLIN), reference=date(2026, 11, 30), format=fmt, native=native)
        for line in HOSTILE:  # and each alone (the core's state fresh)
            compare(line.encode(), zone=zone(BERLIN), format=fmt, native=native)
