"""The part writer's queue: a table's flushes one at a time and in the order queued,
different tables at once, bounded room, and a failure that stops what was not started."""

import random
import threading
import time

import pytest

from analyzer.dataset.flush_queue import FlushQueue


@pytest.mark.parametrize("seed", range(5))
def test_a_tables_jobs_run_alone_and_in_order(seed):
    rnd = random.Random(seed)
    lock = threading.Lock()
    running: set[str] = set()
    done: list[tuple[str, int]] = []
    overlaps: list[str] = []

    def work(table: str, n: int) -> None:
        with lock:
            if table in running:
                overlaps.append(table)
            running.add(table)
        time.sleep(rnd.random() / 2000)  # shake the interleavings
        with lock:
            running.discard(table)
            done.append((table, n))

    q: FlushQueue[int] = FlushQueue(work, threads=2, room=3)
    put = [(rnd.choice("abc"), n) for n in range(200)]
    for table, n in put:
        q.put(table, n)
    q.join()
    assert overlaps == []
    for table in "abc":
        assert [n for t, n in done if t == table] == [n for t, n in put if t == table]
    assert not q._threads


def test_different_tables_are_written_at_once():
    both = threading.Barrier(2)  # passes only when two jobs are in flight together
    q: FlushQueue[None] = FlushQueue(lambda table, job: both.wait(10), threads=2, room=3)
    q.put("messages", None)
    q.put("deliveries", None)
    q.join()  # a BrokenBarrierError (one at a time) would be raised here


def test_put_waits_for_room():
    gate = threading.Event()
    q: FlushQueue[None] = FlushQueue(lambda table, job: gate.wait(10), threads=1, room=2)
    for _ in range(3):  # one being written, two waiting
        q.put("messages", None)
    assert q.waiting == 2
    beyond = threading.Thread(target=q.put, args=("messages", None))
    beyond.start()
    beyond.join(0.3)
    assert beyond.is_alive()  # no room
    gate.set()
    beyond.join(10)
    q.join()
    assert q.waiting == 0


def test_a_failure_drops_the_jobs_not_started_and_is_raised_at_join():
    ran: list[int] = []
    gate = threading.Event()

    def work(table: str, n: int) -> None:
        if n == 0:
            gate.wait(10)  # the others queue behind it
            raise OSError(28, "No space left on device")
        ran.append(n)

    q: FlushQueue[int] = FlushQueue(work, threads=1, room=5)
    for n in range(4):
        q.put("messages", n)
    gate.set()
    with pytest.raises(OSError, match="No space"):
        q.join()
    assert ran == []
    q.put("messages", 9)  # usable again after join
    q.join()
    assert ran == [9]
