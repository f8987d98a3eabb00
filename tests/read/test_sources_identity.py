"""A source's identity: two different files never share a checkpoint, whatever they
start with; every rotation style is followed; syslog's copies of mail.log lines are not
read twice; a journal on stdin resumes after its cursor; old checkpoints still work."""

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime

import pytest
from helpers import assert_same_dataset, ingest, table

from analyzer.dataset.store import Dataset
from analyzer.samplegen.postfix import generate_postfix

BANNER = (
    'Nov 26 00:00:00 mx1 rsyslogd: [origin software="rsyslogd" swVersion="8.2302.0" '
    'x-pid="601" x-info="https://www.rsyslog.com"] rsyslogd was HUPed'
)
MTIME = datetime(2026, 11, 27, 12, 0).timestamp()


@pytest.fixture(scope="module")
def lines():
    return generate_postfix(seed=23, days=0.1, messages_per_day=6000)[0]


def _text(lines) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def _write(path, data: bytes, gz=False):
    path.write_bytes(gzip.compress(data) if gz else data)
    os.utime(path, (MTIME, MTIME))


def _failure(i: int, second: int = 0) -> str:
    return (
        f"Nov 26 10:{i // 60 % 60:02d}:{i % 60:02d} mx1 postfix/smtpd[{100 + i}]: warning: "
        f"unknown[198.51.100.{i % 250 + 1}]: SASL LOGIN authentication failed: "
        f"UGFzc3dvcmQ6{'' if not second else second}"
    )


def _generations(lines, n):
    """`lines` cut into n generations, each starting with the same restart banner."""
    size = len(lines) // n
    return [
        [BANNER] + lines[i * size : (i + 1) * size if i < n - 1 else len(lines)] for i in range(n)
    ]


def _rotate(logdir, style: str, generation: int) -> None:
    """What logrotate does to `maillog` at the end of a generation."""
    log = logdir / "maillog"
    if style == "rename+gzip":  # maillog -> maillog.1.gz at once
        for n in sorted(
            (int(p.name.split(".")[1]) for p in logdir.glob("maillog.*.gz")), reverse=True
        ):
            os.rename(logdir / f"maillog.{n}.gz", logdir / f"maillog.{n + 1}.gz")
        _write(logdir / "maillog.1.gz", log.read_bytes(), gz=True)
        os.remove(log)
    elif style == "delaycompress":  # maillog.1 -> maillog.2.gz, maillog -> maillog.1
        for n in sorted(
            (int(p.name.split(".")[1]) for p in logdir.glob("maillog.*.gz")), reverse=True
        ):
            os.rename(logdir / f"maillog.{n}.gz", logdir / f"maillog.{n + 1}.gz")
        if (logdir / "maillog.1").exists():
            _write(logdir / "maillog.2.gz", (logdir / "maillog.1").read_bytes(), gz=True)
            os.remove(logdir / "maillog.1")
        os.rename(log, logdir / "maillog.1")
    elif style == "dateext":  # maillog -> maillog-2026112N, compressed one rotation later
        for old in logdir.glob("maillog-*[0-9]"):
            _write(old.with_name(old.name + ".gz"), old.read_bytes(), gz=True)
            os.remove(old)
        os.rename(log, logdir / f"maillog-202611{20 + generation:02d}")
    elif style == "copytruncate":  # copied to maillog.1 (older copies gzipped), maillog emptied
        for n in sorted(
            (int(p.name.split(".")[1]) for p in logdir.glob("maillog.*.gz")), reverse=True
        ):
            os.rename(logdir / f"maillog.{n}.gz", logdir / f"maillog.{n + 1}.gz")
        if (logdir / "maillog.1").exists():
            _write(logdir / "maillog.2.gz", (logdir / "maillog.1").read_bytes(), gz=True)
        shutil.copyfile(log, logdir / "maillog.1")
        with open(log, "r+b") as f:  # same inode
            f.truncate(0)
    else:
        raise AssertionError(style)


@pytest.mark.parametrize("style", ["rename+gzip", "delaycompress", "dateext", "copytruncate"])
def test_every_rotation_style_with_files_that_start_alike(tmp_path, lines, style):
    """Every generation starts with the same line; a run reads each half-written
    generation, then again after the rotation: the dataset is the one-shot dataset."""
    gens = _generations(lines, 4)
    logdir = tmp_path / "log"
    logdir.mkdir()
    data = tmp_path / "d"
    read = 0
    for g, gen in enumerate(gens):
        half = len(gen) // 2
        log = logdir / "maillog"
        nuls = b""
        if style == "copytruncate" and g:  # the writer carries on at its old offset
            nuls = b"\0" * os.path.getsize(logdir / "maillog.1")
        with open(log, "ab") as f:
            f.write(nuls + _text(gen[:half]))
        os.utime(log, (MTIME, MTIME))
        read += ingest([f"{logdir}/maillog*"], data, year=2026).lines
        with open(log, "ab") as f:
            f.write(_text(gen[half:]))
        os.utime(log, (MTIME, MTIME))
        if g < len(gens) - 1:
            _rotate(logdir, style, g)
        summary = ingest([f"{logdir}/maillog*"], data, year=2026)
        read += summary.lines
        assert sum(s.lines for s in summary.sources if s.status.startswith("truncated")) == 0
    assert read == sum(len(g) for g in gens)
    assert ingest([f"{logdir}/maillog*"], data, year=2026).lines == 0
    whole = tmp_path / "whole"
    _write(whole, b"".join(_text(g) for g in gens))
    ingest([whole], tmp_path / "ref", year=2026)
    assert_same_dataset(data, tmp_path / "ref")


def test_files_sharing_their_first_lines_keep_separate_checkpoints(tmp_path):
    """syslog writes an error to mail.warn and mail.err: both start with the same lines.
    Each keeps its own checkpoint through growth and through a rename of one of them."""
    shared = [_failure(i) for i in range(3)]
    warn, err = tmp_path / "mail.warn", tmp_path / "mail.err"
    _write(err, _text(shared))
    _write(warn, _text(shared + [_failure(i, 1) for i in range(3, 40)]))
    data = tmp_path / "d"
    first = ingest([warn, err], data, year=2026)
    assert first.lines == 43
    assert len(Dataset(data).state()["sources"]) == 2
    # both grow; the short one alone, then both
    _write(err, _text(shared + [_failure(i, 2) for i in range(3, 10)]))
    assert ingest([err], data, year=2026).lines == 7
    _write(warn, _text(shared + [_failure(i, 1) for i in range(3, 60)]))
    assert ingest([warn, err], data, year=2026).lines == 20
    # mail.warn is rotated by rename; the new mail.warn starts with the same lines again
    os.rename(warn, tmp_path / "mail.warn.1")
    _write(warn, _text(shared))
    summary = ingest([tmp_path / "mail.warn.1", warn, err], data, year=2026)
    assert summary.lines == 3  # the new mail.warn only
    assert len(table(data, "auth_failures")) == 43 + 7 + 20 + 3
    assert len(Dataset(data).state()["sources"]) == 3


def test_a_new_file_that_starts_like_a_checkpointed_one_is_read_whole(tmp_path):
    """A file that starts like a checkpointed file still in place is another file (here:
    the first run sees only mail.err; mail.warn starts with its lines and is longer)."""
    shared = [_failure(i) for i in range(5)]
    err, warn = tmp_path / "mail.err", tmp_path / "mail.warn"
    _write(err, _text(shared))
    data = tmp_path / "d"
    ingest([err], data, year=2026)
    _write(warn, _text(shared + [_failure(i, 1) for i in range(5, 30)]))
    summary = ingest([warn], data, year=2026)
    assert summary.lines == 30 and summary.sources[0].status == "new"
    # the same content under a new name, with mail.err gone, is mail.err rotated
    os.remove(err)
    _write(tmp_path / "mail.err.1.gz", _text(shared), gz=True)
    assert ingest([tmp_path / "mail.err.1.gz"], data, year=2026).lines == 0


def test_one_file_named_twice_is_read_once(tmp_path, lines):
    log = tmp_path / "maillog"
    _write(log, _text(lines[:300]))
    os.link(log, tmp_path / "maillog.link")
    summary = ingest(
        [log, tmp_path / "maillog.link", f"{tmp_path}/../{tmp_path.name}/maillog"],
        tmp_path / "d",
        year=2026,
    )
    assert summary.lines == 300 and len(summary.sources) == 1


def test_syslog_copies_of_mail_log_are_read_once(tmp_path):
    """Debian's rsyslog writes warnings to mail.log and mail.warn, errors to mail.err too."""
    logdir = tmp_path / "log"
    logdir.mkdir()
    everything = [_failure(i) for i in range(50)]
    _write(logdir / "mail.log", _text(everything))
    _write(logdir / "mail.warn", _text(everything[::2]))
    _write(logdir / "mail.err", _text(everything[::5]))
    data = tmp_path / "d"
    summary = ingest([logdir], data, year=2026)
    assert summary.lines == 50
    assert len(table(data, "auth_failures")) == 50
    skipped = [w for w in summary.warnings if "not read" in w]
    assert len(skipped) == 2 and all("mail.log" in w and "twice" in w for w in skipped)
    # mail.warn alone, later: mail.log of its directory was read, so it still is not
    later = ingest([logdir / "mail.warn"], data, year=2026)
    assert later.lines == 0 and later.sources[0].status.startswith("not read")


def test_mail_log_after_its_copies_warns_they_count_twice(tmp_path):
    logdir = tmp_path / "log"
    logdir.mkdir()
    everything = [_failure(i) for i in range(20)]
    _write(logdir / "mail.warn", _text(everything[::2]))
    data = tmp_path / "d"
    assert ingest([logdir / "mail.warn"], data, year=2026).lines == 10
    _write(logdir / "mail.log", _text(everything))
    summary = ingest([logdir / "mail.log"], data, year=2026)
    assert any("counted twice" in w and "mail.warn" in w for w in summary.warnings)


def test_old_checkpoints_keyed_by_first_line_are_migrated(tmp_path, lines):
    """A dataset written before identity by content: its checkpoints are keyed by a hash
    of the first line. After the upgrade a grown file resumes, a rotated and compressed
    one is recognised, and the checkpoints take the new form."""
    logdir = tmp_path / "log"
    logdir.mkdir()
    a, b = lines[:1500], lines[1500:]
    log = logdir / "maillog"
    _write(log, _text(a[:1000]))
    data = tmp_path / "d"
    ingest([log], data, year=2026)
    ds = Dataset(data)
    state = ds.state()
    ((key, cp),) = state["sources"].items()
    first_line = a[0].encode()
    old = {k: v for k, v in cp.items() if k != "prefix"}  # the fields the old form had
    state["sources"] = {hashlib.sha1(first_line).hexdigest()[:20]: old}
    # edited in place, as the older version left it (same commit: the open state stays)
    (data / "_state" / "state.json").write_text(json.dumps(state))
    # the file grew, then was rotated and compressed; a new maillog began
    _write(logdir / "maillog.1.gz", _text(a), gz=True)
    os.remove(log)
    _write(log, _text(b))
    summary = ingest([f"{logdir}/maillog*"], data, year=2026)
    assert summary.lines == 500 + len(b)
    assert {os.path.basename(s.path): s.status for s in summary.sources}["maillog.1.gz"].startswith(
        "rotated"
    )
    sources = ds.state()["sources"]
    assert len(sources) == 2 and all("prefix" in cp for cp in sources.values())
    assert ingest([f"{logdir}/maillog*"], data, year=2026).lines == 0
    _write(tmp_path / "all", _text(lines))
    ingest([tmp_path / "all"], tmp_path / "ref", year=2026)
    assert_same_dataset(data, tmp_path / "ref")


# --- stdin ---------------------------------------------------------------------------------


def _cli(args, stdin: bytes, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *map(str, args)],
        input=stdin,
        capture_output=True,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def journal():
    from analyzer.samplegen import generate_journal

    return generate_journal(days=0.05, messages_per_day=4000)[0]


def test_overlapping_journal_exports_are_read_once(tmp_path, journal):
    data, cursor_file = tmp_path / "d", tmp_path / "cursor"
    third = len(journal) // 3
    exports = [journal[: 2 * third], journal[third:], journal[2 * third - 5 :]]
    for export in exports:
        out = _cli(
            ["ingest", "-", "--data", data, "--tz", "UTC", "--cursor-file", cursor_file],
            _text(export),
        )
        assert out.returncode == 0, out.stderr.decode()
    assert "entries read before skipped" in out.stderr.decode()
    last = json.loads(journal[-1])["__CURSOR"]
    assert cursor_file.read_text().strip() == last
    state = Dataset(data).state()["sources"]
    assert [cp["cursor"] for cp in state.values()] == [last]
    _write(tmp_path / "whole.json", _text(journal))
    ingest([tmp_path / "whole.json"], tmp_path / "ref")
    for name in ("messages", "deliveries", "rejects", "auth_failures", "connections"):
        assert len(table(data, name)) == len(table(tmp_path / "ref", name)), name


def test_cursor_file_needs_a_journal_on_stdin(tmp_path, lines):
    data = tmp_path / "d"
    out = _cli(
        ["ingest", "-", "--data", data, "--tz", "UTC", "--cursor-file", tmp_path / "c"],
        _text(lines[:100]),
    )
    assert out.returncode == 1 and "__CURSOR" in out.stderr.decode()
    assert not (tmp_path / "c").exists()
    assert not any((data / "messages").rglob("*.parquet"))
    _write(tmp_path / "maillog", _text(lines[:100]))
    out = _cli(
        ["ingest", tmp_path / "maillog", "--data", data, "--cursor-file", tmp_path / "c"], b""
    )
    assert out.returncode == 1 and "stdin" in out.stderr.decode()


def test_plain_stdin_says_it_has_no_checkpoint(tmp_path, lines):
    out = _cli(
        ["ingest", "-", "--data", tmp_path / "d", "--tz", "UTC", "--year", "2026"],
        _text(lines[:100]),
    )
    assert out.returncode == 0
    assert "-: stdin: no checkpoint" in out.stderr.decode()


def test_real_scenario_files_that_share_first_lines_are_each_read_once(tmp_path, corpora):
    """lightmeter's scenario files: 36 small Postfix logs in one directory, several of
    them starting with the same line. Each is read whole once, then not again."""
    directory = corpora / "lightmeter" / "individual_files"
    files = sorted(directory.glob("*.log"))
    firsts = [f.read_bytes().split(b"\n", 1)[0] for f in files]
    assert len(set(firsts)) < len(firsts)  # what made the first-line key confuse them
    expected = sum(
        1 for f in files for line in f.read_bytes().split(b"\n") if line.replace(b"\0", b"")
    )
    data = tmp_path / "d"
    first = ingest([directory], data, year=2020)
    assert first.lines == expected
    assert len(Dataset(data).state()["sources"]) == len(files)
    again = ingest([directory], data, year=2020)
    assert again.lines == 0 and {s.status for s in again.sources} == {"unchanged"}
