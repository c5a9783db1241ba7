"""Learners' feedback on answers, kept durably in one SQLite file (stdlib sqlite3, WAL journal): each row
holds the question, the answer, its citations (JSON), the rating (up/down) and an optional comment.
One connection per call (`api.sqlitedb`), so the store is safe to use from the server's worker threads and
processes, and survives restarts (it is just the file).
"""
from __future__ import annotations

import json
import sqlite3
import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from api import sqlitedb

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT
);
CREATE INDEX IF NOT EXISTS feedback_created ON feedback (created_at DESC);
"""


@dataclass
class Feedback:
    id: str
    created_at: float
    question: str
    answer: str
    citations: list[Any]
    rating: str
    comment: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        sqlitedb.create(self.path, _SCHEMA)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlitedb.connect(self.path)

    def add(self, question: str, answer: str, citations: list[Any], rating: str, comment: str | None = None) -> str:
        """Store one piece of feedback; returns its id."""
        fid = uuid.uuid4().hex
        with self._connect() as db:
            db.execute("INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (fid, time.time(), question, answer, json.dumps(citations), rating, comment))
        return fid

    def recent(self, limit: int = 100, offset: int = 0, rating: str | None = None) -> list[Feedback]:
        """Newest first."""
        where, args = ("WHERE rating = ?", [rating]) if rating else ("", [])
        with self._connect() as db:
            rows = db.execute(f"SELECT * FROM feedback {where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                              (*args, limit, offset)).fetchall()
        return [Feedback(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])
