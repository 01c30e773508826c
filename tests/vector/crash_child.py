"""Child process of the vector crash test: batch inserts with real embeddings, forever, until SIGKILLed.

Usage: python -m tests.vector.crash_child DATA_DIR START. Opens the database (vector service attached), prints
"ready", then after each committed batch the row keys it inserted, space separated. Every 5th batch it also
saves the vector indexes, so a restart exercises both load + WAL replay and plain replay.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from engine.database import open_database
from engine.settings import Settings

SCHEMA = {"title": "Note", "properties": {"k": {"type": "string"}, "body": {"type": "string"}},
          "json_schema_extra": {"name": "notes", "key_field": "k", "embedding_fields": ["body"]}}
WORDS = "vector database search index crash recovery graph table query row commit embedding".split()


def main() -> None:
    path, start = Path(sys.argv[1]), int(sys.argv[2])
    db = open_database(Settings(data_dir=path, embedding_batch_size=16))
    t = db.store.registry.get("notes") or db.store.registry.register_json_schema(SCHEMA)
    rnd = random.Random(start)
    print("ready", flush=True)
    k, batch = start, 0
    while True:
        n = rnd.randint(1, 24)
        keys = list(range(k, k + n))
        tx = db.store.begin()
        tx.insert(t, [{"k": str(i), "body": " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 12)))}
                      for i in keys])
        tx.commit()
        print(" ".join(map(str, keys)), flush=True)
        k += n
        batch += 1
        if batch % 5 == 0:
            db.vectors.save_all()
        if rnd.random() < 0.3:  # churn: update and delete a few rows of this batch
            tx = db.store.begin()
            rows = tx.lookup(t, "k", [str(keys[0])])
            if rows:
                [r] = tx.get(t, rows)
                tx.update(t, [dict(r, body="updated " + r["body"])])
            tx.commit()


if __name__ == "__main__":
    main()
