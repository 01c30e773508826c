"""PostgreSQL protocol v3 messages and framing (pure; no I/O)."""
