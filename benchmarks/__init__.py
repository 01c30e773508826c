"""``make bench``: one script per area, each printing REM next to its reference (see benchmarks/run.py)."""
