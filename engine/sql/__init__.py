"""REM's SQL layer: dialect, utility statements, planner and executor (see engine.session for the entry point)."""
