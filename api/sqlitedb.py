"""One SQLite file shared by the service's worker processes: WAL journal (readers never block the writer),
a 10 s busy timeout, and a safe first creation when several processes open a new file at the same moment.
Used by the feedback store and the question log.
"""
from __future__ import annotations

import contextlib
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

BUSY_TIMEOUT = 10.0


def open_connection(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT, check_same_thread=check_same_thread)


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection for one unit of work: committed on success, rolled back on error, always closed."""
    db = open_connection(path)
    try:
        with db:
            yield db
    finally:
        db.close()


def create(path: Path, schema: str) -> None:
    """Create the folder and the file if needed, switch it to WAL and apply `schema` (idempotent DDL)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Replicas sharing a data folder may create the file at the same moment. Switching to WAL takes an
    # exclusive lock that SQLite refuses at once (no busy wait) while another connection is setting up, so
    # retry briefly; once one process has switched, the mode is stored in the file and the rest skip it.
    for attempt in range(50):
        try:
            with connect(path) as db:
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
                db.executescript(schema)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.05 + 0.05 * random.random())
