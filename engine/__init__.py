"""REM database engine."""
