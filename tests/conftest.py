import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ANALYZER_SHARED", ROOT.parent / "shared"))
CORPORA = SHARED / "corpora"
SAMPLE_LOGS = ROOT / "sample_logs"


# CI sets this (.ci/run) so the corpus tests can never be skipped silently there
REQUIRE_CORPORA = os.environ.get("ANALYZER_REQUIRE_CORPORA", "") not in ("", "0")
CORPORA_MISSING = (
    f"real-world corpora not found at {CORPORA} "
    "(set ANALYZER_SHARED to the directory holding corpora/)"
)


@pytest.fixture
def corpora() -> Path:
    """The real-world corpora; a fresh clone without ../shared/ skips their tests with one
    reason, unless ANALYZER_REQUIRE_CORPORA=1 makes their absence an error."""
    if not CORPORA.is_dir():
        if REQUIRE_CORPORA:
            pytest.fail(CORPORA_MISSING + "; ANALYZER_REQUIRE_CORPORA is set", pytrace=False)
        pytest.skip(CORPORA_MISSING)
    return CORPORA


def pytest_terminal_summary(terminalreporter):
    """One line with the count and the reason at the end of the run (also without `-ra`,
    which lists the skips one per test)."""
    skipped = [
        r
        for r in terminalreporter.stats.get("skipped", [])
        if isinstance(r.longrepr, tuple) and CORPORA_MISSING in str(r.longrepr[2])
    ]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} corpus tests skipped: {CORPORA_MISSING}", yellow=True
        )


# --- report tests: the one-day sample ingested once per session, tiny hand-written logs ---

import json  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402


@dataclass
class Sample:
    data: Path  # the ingested dataset
    truth: dict  # the generator's ground truth for it
    log: Path


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Sample:
    """sample_logs/maillog with its truth file when both are there, else the generator's
    output for its defaults (the same thing), ingested once (UTC, as the generator writes)."""
    from analyzer import api

    base = tmp_path_factory.mktemp("sample")
    log, truth_file = SAMPLE_LOGS / "maillog", SAMPLE_LOGS / "truth" / "maillog.json"
    if log.is_file() and truth_file.is_file():
        truth = json.loads(truth_file.read_text())
    else:
        from analyzer.samplegen import generate_postfix

        lines, truth = generate_postfix()
        log = base / "maillog"
        log.write_text("\n".join(lines) + "\n")
    data = base / "data"
    api.ingest([str(log)], data=str(data), tz="UTC", year=int(truth["start"][:4]))
    return Sample(data, truth, log)


class MiniLog:
    """Hand-written Postfix lines for edge cases (host mx1, year 2026, UTC)."""

    def __init__(self):
        self.lines: list[str] = []
        self.pid = 2000
        self.queue = 0x1A2B3C0000

    def _at(self, ts: datetime, program: str, pid: int, text: str) -> None:
        self.lines.append(f"{ts:%b} {ts.day:2d} {ts:%H:%M:%S} mx1 {program}[{pid}]: {text}")

    def _qid(self) -> str:
        self.queue += 0x1111
        return f"{self.queue:X}"

    def _deliver(self, ts, qid, recipients) -> None:
        for i, (rcpt, status) in enumerate(recipients):
            t = ts + timedelta(seconds=1 + i)
            if status == "sent":
                tail = "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)"
            else:
                tail = (
                    "dsn=5.1.1, status=bounced (host mx.dest.example[192.0.2.50] said: 550 "
                    "5.1.1 unknown user (in reply to RCPT TO command))"
                )
            self._at(
                t,
                "postfix/smtp",
                902,
                f"{qid}: to=<{rcpt}>, relay=mx.dest.example"
                f"[192.0.2.50]:25, delay=1, delays=0.1/0/0.5/0.4, {tail}",
            )
        self._at(
            ts + timedelta(seconds=2 + len(recipients)), "postfix/qmgr", 901, f"{qid}: removed"
        )

    def sasl_message(
        self, ts: datetime, user: str, ip: str, sender: str, recipients: list[tuple[str, str]]
    ) -> str:
        self.pid += 1
        qid = self._qid()
        prog = "postfix/submission/smtpd"
        self._at(ts, prog, self.pid, f"connect from client.example[{ip}]")
        self._at(
            ts,
            prog,
            self.pid,
            f"{qid}: client=client.example[{ip}], sasl_method=PLAIN, sasl_username={user}",
        )
        self._at(ts, "postfix/cleanup", 900, f"{qid}: message-id=<{qid}@client.example>")
        self._at(
            ts,
            "postfix/qmgr",
            901,
            f"{qid}: from=<{sender}>, size=1000, nrcpt={len(recipients)} (queue active)",
        )
        self._at(
            ts,
            prog,
            self.pid,
            f"disconnect from client.example[{ip}] ehlo=1 auth=1 "
            "mail=1 rcpt=1 data=1 quit=1 commands=6",
        )
        self._deliver(ts, qid, recipients)
        return qid

    def local_message(
        self, ts: datetime, uid: int, script: str, sender: str, recipients: list[tuple[str, str]]
    ) -> str:
        qid = self._qid()
        self._at(ts, "postfix/pickup", 903, f"{qid}: uid={uid} from=<site{uid}>")
        self._at(
            ts,
            "postfix/cleanup",
            900,
            f"{qid}: warning: header X-PHP-Originating-Script: "
            f"{uid}:{script} from local; from=<{sender}> to=<{recipients[0][0]}>",
        )
        self._at(
            ts,
            "postfix/qmgr",
            901,
            f"{qid}: from=<{sender}>, size=1000, nrcpt={len(recipients)} (queue active)",
        )
        self._deliver(ts, qid, recipients)
        return qid

    def relay_reject(
        self,
        ts: datetime,
        ip: str,
        sender: str,
        rcpt: str,
        helo: str = "client.example",
        name: str = "unknown",
    ) -> None:
        self.pid += 1
        self._at(
            ts,
            "postfix/smtpd",
            self.pid,
            f"NOQUEUE: reject: RCPT from {name}[{ip}]: 554 "
            f"5.7.1 <{rcpt}>: Relay access denied; from=<{sender}> to=<{rcpt}> "
            f"proto=ESMTP helo=<{helo}>",
        )

    def auth_failure(self, ts: datetime, ip: str, user: str | None = None) -> None:
        self.pid += 1
        tail = f", sasl_username={user}" if user else ""
        self._at(
            ts,
            "postfix/submission/smtpd",
            self.pid,
            f"warning: unknown[{ip}]: SASL LOGIN authentication failed: (reason unavailable){tail}",
        )

    def ingest(self, directory: Path) -> Path:
        """Write the lines (in time order) and ingest them; returns the dataset dir."""
        from analyzer import api

        directory.mkdir(parents=True, exist_ok=True)
        log = directory / "maillog"
        order = sorted(range(len(self.lines)), key=lambda i: (self.lines[i][:15], i))
        log.write_text("".join(self.lines[i] + "\n" for i in order))
        data = directory / "data"
        api.ingest([str(log)], data=str(data), tz="UTC", year=2026)
        return data


@pytest.fixture
def minilog() -> MiniLog:
    return MiniLog()
