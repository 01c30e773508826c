"""The golden graph: people, meetings and documents, with cycles, several relation types and a node
(``spec``) reachable from ``alice`` by paths of length 2 and 4."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("6f1c1b7e-2d53-4f59-9f0e-7a4c1b2e3d40")

NODES: dict[str, str] = {
    "alice": "people", "bob": "people", "carol": "people", "dave": "people",
    "standup": "meetings", "retro": "meetings",
    "spec": "documents", "notes": "documents", "roadmap": "documents",
}

# (src, dst, rel_type, weight)
EDGES: list[tuple[str, str, str, float]] = [
    ("alice", "standup", "attended", 1.0),
    ("bob", "standup", "attended", 1.0),
    ("carol", "retro", "attended", 0.7),
    ("standup", "spec", "discussed", 0.8),
    ("standup", "notes", "produced", 0.9),
    ("retro", "roadmap", "discussed", 0.5),
    ("spec", "alice", "authored_by", 1.0),
    ("notes", "bob", "authored_by", 1.0),
    ("roadmap", "spec", "mentions", 0.3),
    ("alice", "carol", "manages", 1.0),
    ("dave", "alice", "knows", 0.6),
    ("bob", "carol", "knows", 0.4),
]


def nid(name: str) -> uuid.UUID:
    """The (deterministic) id of a golden node."""
    return uuid.uuid5(NAMESPACE, name)


NAMES = {nid(n): n for n in NODES}

# expected rows (name, depth, path names, rel_type, weight) per (start, direction, depth, types)
EXPECTED: dict[tuple[str, str, int, tuple[str, ...] | None], list[tuple[str, int, list[str], str, float]]] = {
    ("alice", "out", 1, None): [
        ("standup", 1, ["alice", "standup"], "attended", 1.0),
        ("carol", 1, ["alice", "carol"], "manages", 1.0),
    ],
    ("alice", "out", 3, None): [
        ("standup", 1, ["alice", "standup"], "attended", 1.0),
        ("carol", 1, ["alice", "carol"], "manages", 1.0),
        ("spec", 2, ["alice", "standup", "spec"], "discussed", 0.8),
        ("notes", 2, ["alice", "standup", "notes"], "produced", 0.9),
        ("retro", 2, ["alice", "carol", "retro"], "attended", 0.7),
        ("bob", 3, ["alice", "standup", "notes", "bob"], "authored_by", 1.0),
        ("roadmap", 3, ["alice", "carol", "retro", "roadmap"], "discussed", 0.5),
    ],
    ("alice", "in", 10, None): [
        ("spec", 1, ["alice", "spec"], "authored_by", 1.0),
        ("dave", 1, ["alice", "dave"], "knows", 0.6),
        ("standup", 2, ["alice", "spec", "standup"], "discussed", 0.8),
        ("roadmap", 2, ["alice", "spec", "roadmap"], "mentions", 0.3),
        ("bob", 3, ["alice", "spec", "standup", "bob"], "attended", 1.0),
        ("retro", 3, ["alice", "spec", "roadmap", "retro"], "discussed", 0.5),
        ("notes", 4, ["alice", "spec", "standup", "bob", "notes"], "authored_by", 1.0),
        ("carol", 4, ["alice", "spec", "roadmap", "retro", "carol"], "attended", 0.7),
    ],
    ("retro", "both", 2, None): [
        ("roadmap", 1, ["retro", "roadmap"], "discussed", 0.5),
        ("carol", 1, ["retro", "carol"], "attended", 0.7),
        ("spec", 2, ["retro", "roadmap", "spec"], "mentions", 0.3),
        ("bob", 2, ["retro", "carol", "bob"], "knows", 0.4),
        ("alice", 2, ["retro", "carol", "alice"], "manages", 1.0),
    ],
    ("alice", "out", 3, ("attended", "discussed")): [
        ("standup", 1, ["alice", "standup"], "attended", 1.0),
        ("spec", 2, ["alice", "standup", "spec"], "discussed", 0.8),
    ],
    ("dave", "out", 2, ("knows",)): [
        ("alice", 1, ["dave", "alice"], "knows", 0.6),
    ],
    ("notes", "out", 10, None): [
        ("bob", 1, ["notes", "bob"], "authored_by", 1.0),
        ("standup", 2, ["notes", "bob", "standup"], "attended", 1.0),
        ("carol", 2, ["notes", "bob", "carol"], "knows", 0.4),
        ("spec", 3, ["notes", "bob", "standup", "spec"], "discussed", 0.8),
        ("retro", 3, ["notes", "bob", "carol", "retro"], "attended", 0.7),
        ("alice", 4, ["notes", "bob", "standup", "spec", "alice"], "authored_by", 1.0),
        ("roadmap", 4, ["notes", "bob", "carol", "retro", "roadmap"], "discussed", 0.5),
    ],
}

# with "standup" soft-deleted: alice out depth 4 goes round through carol
EXPECTED_STANDUP_DELETED = [
    ("carol", 1, ["alice", "carol"], "manages", 1.0),
    ("retro", 2, ["alice", "carol", "retro"], "attended", 0.7),
    ("roadmap", 3, ["alice", "carol", "retro", "roadmap"], "discussed", 0.5),
    ("spec", 4, ["alice", "carol", "retro", "roadmap", "spec"], "mentions", 0.3),
]
