"""A report reads one committed snapshot: the parts and the open rows of the same commit,
however its reads interleave with an ingest's commits."""

import hashlib
import threading
from datetime import datetime

import pytest
from helpers import ingest

from analyzer import api
from analyzer.dataset.store import Dataset
from analyzer.ingest import run as ingest_module
from analyzer.samplegen.postfix import generate_postfix

FILES = 8  # the log in as many files, read in name order: a commit after each


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    lines, _ = generate_postfix(
        seed=23, days=0.3, start=datetime(2026, 11, 26, 8), messages_per_day=4000
    )
    path = tmp_path_factory.mktemp("reads") / "maillog"
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.fixture(scope="module")
def pieces(log, tmp_path_factory):
    """The log cut into FILES consecutive files (a batch of the reader is a whole file)."""
    lines = log.read_text().splitlines(keepends=True)
    d = tmp_path_factory.mktemp("pieces")
    step = -(-len(lines) // FILES)
    for i in range(FILES):
        (d / f"maillog-{i:02d}").write_text("".join(lines[i * step : (i + 1) * step]))
    return sorted(d.iterdir())


def _digest(frame, keys) -> str:
    frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()[:16]


def _messages(data) -> str:
    """Every message, the open ones included (`api.table`)."""
    return _digest(api.table("messages", data=data), ["host", "queue_id", "first_seen"])


def _senders(data) -> str | None:
    """The top-senders report: messages and their deliveries."""
    if not Dataset(data).exists():
        return None
    return _digest(api.top_senders(data, by="identity", scope="all").astype(str), ["identity"])


CALLS = (_messages, _senders)


def _observe(data) -> tuple:
    return tuple(call(data) for call in CALLS)


def test_reads_overlapping_commits_each_see_one_committed_snapshot(pieces, tmp_path, monkeypatch):
    """An ingest runs in a thread and makes each of its commits in the middle of a read
    (the read's first part listing is the cue for the next commit, and the read goes on
    once the commit is done). Every result equals what some committed snapshot holds, and
    the reads see the snapshots in commit order."""
    monkeypatch.setattr(ingest_module, "COMMIT_LINES", 1)  # after every batch

    # the truth of every commit, taken right after it by a run that nobody disturbs
    truth_data = tmp_path / "truth"
    truths = [_observe(truth_data)]  # before the first commit: an empty dataset
    real_commit = Dataset.commit

    def commit_and_record(self, state):
        real_commit(self, state)
        if self.root == truth_data:
            truths.append(_observe(truth_data))

    monkeypatch.setattr(Dataset, "commit", commit_and_record)
    ingest(pieces, truth_data, year=2026)
    assert len(truths) == FILES + 2  # the empty dataset, a commit per file, the final one
    # messages that finish between two commits move from the open state to the parts:
    # a read mixing two commits would count them twice or not at all
    assert truths[-1] == truths[-2]  # the final commit had nothing left to write
    truths.pop()
    assert len({t[0] for t in truths}) == len(truths)

    data = tmp_path / "concurrent"
    commit_now = threading.Event()  # a read has started: commit
    committed = threading.Event()  # the commit is done (or the ingest has ended)
    finished = threading.Event()
    errors = []

    def paced_commit(self, state):
        if self.root == data:
            commit_now.wait()
            commit_now.clear()
            real_commit(self, state)
            committed.set()
        else:
            commit_and_record(self, state)

    def run_ingest():
        try:
            ingest(pieces, data, year=2026)
        except BaseException as e:  # noqa: BLE001 - reported by the test below
            errors.append(e)
        finally:
            finished.set()
            committed.set()

    monkeypatch.setattr(Dataset, "commit", paced_commit)
    real_parts = Dataset.parts
    reader = threading.current_thread()
    paced = {"read": False}

    def parts_with_a_commit_in_between(self, *args, **kwargs):
        out = real_parts(self, *args, **kwargs)
        if threading.current_thread() is reader and not paced["read"] and not finished.is_set():
            paced["read"] = True  # one commit inside each read, right after its first listing
            commit_now.set()
            committed.wait()
            committed.clear()
        return out

    monkeypatch.setattr(Dataset, "parts", parts_with_a_commit_in_between)
    writer = threading.Thread(target=run_ingest)
    writer.start()
    seen = []  # (call, result)
    while not finished.is_set():
        for i, call in enumerate(CALLS):
            paced["read"] = False
            seen.append((i, call(data)))
    writer.join()
    assert not errors, errors
    monkeypatch.setattr(Dataset, "parts", real_parts)
    seen.extend(enumerate(_observe(data)))

    for i, call in enumerate(CALLS):
        results = [result for j, result in seen if j == i]
        answers = [truth[i] for truth in truths]
        order = []
        for result in results:
            assert result in answers, (
                f"{call.__name__} read {len(order)} matches no committed snapshot"
            )
            order.append(answers.index(result))
        assert order == sorted(order), (call.__name__, order)
        assert order[-1] == len(truths) - 1
        # each read had a commit inside it; together they saw nearly every snapshot
        assert len(set(order)) >= len(truths) // 2, (call.__name__, order)


def test_one_snapshot_serves_several_calls(log, tmp_path):
    """A snapshot passed as `data` keeps reading its commit after later ingests."""
    data = tmp_path / "d"
    lines = log.read_text().splitlines(keepends=True)
    first = tmp_path / "first.log"
    first.write_text("".join(lines[: len(lines) // 2]))
    ingest([first], data, year=2026)
    snap = api.snapshot(data)
    before = api.table("messages", data=snap)
    status_before = api.status(snap)
    first.write_text("".join(lines))  # the log grows; the next ingest reads the rest
    ingest([first], data, year=2026)
    assert api.snapshot(data).commit > snap.commit
    assert len(api.table("messages", data=data)) > len(before)
    assert _digest(api.table("messages", data=snap), ["host", "queue_id", "first_seen"]) == _digest(
        before, ["host", "queue_id", "first_seen"]
    )
    assert api.status(snap) == status_before
