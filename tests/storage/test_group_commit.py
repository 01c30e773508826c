"""Group commit: concurrent synchronous committers share fsyncs, and each returns only once it is durable."""

from __future__ import annotations

import threading

from engine.schema.model import TableDef
from engine.storage import RemStore

N = 8


def test_concurrent_sync_commits_share_one_fsync(store: RemStore, users: TableDef) -> None:
    group = store.writer.group
    real = store.rocks.flush_wal
    all_waiting = threading.Event()
    released: list[int] = []

    def gated_flush() -> None:
        # the first leader holds its fsync until every committer is waiting for durability
        all_waiting.wait(timeout=30)
        released.append(group.written)
        real()

    store.rocks.flush_wal = gated_flush  # type: ignore[method-assign]
    orig_wait = group.wait_durable
    entered = [0]
    lock = threading.Lock()

    def counting_wait(seq: int) -> None:
        with lock:
            entered[0] += 1
            if entered[0] == N:
                all_waiting.set()
        orig_wait(seq)

    group.wait_durable = counting_wait  # type: ignore[method-assign]
    errors: list[BaseException] = []
    seqs: list[int] = []

    def commit(i: int) -> None:
        try:
            tx = store.begin(synchronous_commit=True)
            tx.insert(users, [{"id": i, "name": f"n{i}"}])
            tx.commit()
            seqs.append(group.synced)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    before = group.fsyncs
    threads = [threading.Thread(target=commit, args=(i,)) for i in range(N)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert store.begin().count(users) == N
    assert group.fsyncs - before <= 2 < N  # one fsync for the early leader's batch, one for the rest at most
    assert group.synced == store.writer.seq and len(seqs) == N  # every committer returned durable


def test_async_commit_does_not_fsync(store: RemStore, users: TableDef) -> None:
    before = store.writer.group.fsyncs
    tx = store.begin()
    tx.insert(users, [{"id": 1, "name": "a"}])
    tx.commit()
    assert store.writer.group.fsyncs == before
    tx = store.begin(synchronous_commit=True)
    tx.insert(users, [{"id": 2, "name": "b"}])
    tx.commit()
    assert store.writer.group.fsyncs == before + 1 and store.writer.group.synced == store.writer.seq
