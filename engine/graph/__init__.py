"""The graph: adjacency index, traversal, key lookup and fuzzy search over the entities' edges (docs/graph.md)."""

from __future__ import annotations

from typing import Any


def attach(db: Any) -> Any:
    """Start the graph service of an open database (called by engine.database.RemDatabase)."""
    from engine.graph import functions, rem_edges  # noqa: F401  (register the SQL functions and rem_edges)
    from engine.graph.service import GraphService

    return GraphService(db.store, db.registry)
