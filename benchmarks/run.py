"""Run every benchmark: each ``benchmarks/<name>.py`` module that defines ``main()`` (``make bench``).

    .venv/bin/python -m benchmarks.run [name ...]
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run", "__init__"}


def modules() -> list[str]:
    """Names of the benchmark modules that expose ``main``, in name order."""
    names = []
    for p in sorted(HERE.glob("*.py")):
        if p.stem in SKIP or p.stem.startswith("_"):
            continue
        if "\ndef main(" in p.read_text():
            names.append(p.stem)
    return names


def main(argv: list[str] | None = None) -> int:
    wanted = (sys.argv[1:] if argv is None else argv) or modules()
    failed = []
    for name in wanted:
        print(f"\n=== benchmarks/{name}.py ===", flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"benchmarks.{name}")
            mod.main([])
        except Exception:  # noqa: BLE001 - report and go on with the other benchmarks
            traceback.print_exc()
            failed.append(name)
        print(f"--- {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
