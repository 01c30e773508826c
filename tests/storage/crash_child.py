"""Child process of the crash test: inserts forever, printing each acknowledged commit's keys.

Usage: python -m tests.storage.crash_child DATA_DIR START SYNC(0|1). Prints "ready" then one line per
committed transaction: the integer keys it inserted, space separated, then ``D`` and the keys it deleted (some
commits also update a row). The parent kills it with SIGKILL.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from engine import types as T
from engine.schema.model import ColumnDef, TableDef
from engine.settings import Settings
from engine.storage import open_store


def main() -> None:
    path, start, sync = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    st = open_store(Settings(data_dir=path, synchronous_commit=sync))
    t = st.registry.create(TableDef(
        name="crash", columns=[ColumnDef("k", T.INT8), ColumnDef("tag", T.TEXT, indexed=True),
                               ColumnDef("v", T.TEXT)], primary_key=["k"]), if_not_exists=True)
    rnd = random.Random(start)
    print("ready", flush=True)
    k = start
    while True:
        n = rnd.randint(1, 20)
        tx = st.begin()
        keys = list(range(k, k + n))
        tx.insert(t, [{"k": i, "tag": f"t{i % 7}", "v": "x" * rnd.randint(0, 300),
                       "edges": [{"dst": f"{i - 1}", "rel_type": "prev"}] if i > start else []} for i in keys])
        gone: list[int] = []
        if k > start + 40 and rnd.random() < 0.3:  # also update and delete some older rows in the same commit
            old = rnd.sample(range(start, k), 3)
            rows = [r for r in tx.get(t, tx.lookup(t, "k", old)) if r is not None]
            if rows:
                tx.update(t, [dict(rows[0], tag="upd", v="u")])
                tx.delete(t, [r["id"] for r in rows[1:]])
                gone = [r["k"] for r in rows[1:]]
                print("W " + " ".join(map(str, gone)), flush=True)  # intent: may be durable without an ack
        tx.commit()
        print(" ".join(map(str, keys)) + ("" if not gone else " D " + " ".join(map(str, gone))), flush=True)
        k += n


if __name__ == "__main__":
    main()
