"""REM wire face: PostgreSQL protocol server, sessions, CLI."""
