"""The question log: one row per answer, whichever route gave it, for the roadmap keeper's insights.

A row holds the time, the question as asked and the query searched (a follow-up's standalone form), the week asked
(from the request or the text) and the week searched (none when all weeks were), whether the answer was grounded and
the retrieval's confidence, the citations (url, title, section, weeks), the closest page suggested when it
abstained, the answer mode, the latency, the channel (`ask`, `stream`, `v1`, `v1-stream`, `mcp`) and the random
session id the widget sends. Ratings (thumbs up/down) are rows of their own that name the answer's id. No IP
address, no answer text.

Storage: SQLite in WAL mode (`api.sqlitedb`), one file per replica, `DATA_DIR/questions/HOST.sqlite3`, shared
by that host's worker processes; `read()` merges every file in the folder. Answering never waits for the disk
and never fails because of it: `log()` and `rate()` only put a row on a bounded queue, and one background
thread writes the rows in batches. A write that fails (disk full, read-only folder, ...) loses those rows and
is counted in `/metrics` (`ra_question_log_entries_total{outcome="failed"}`, and `dropped` when the queue is
full); the next batch tries again. Rows older than the retention (`RA_QUESTION_LOG_DAYS`) are deleted when the
writer starts and hourly after, and never read.
"""
from __future__ import annotations

import contextlib
import json
import logging
import queue
import re
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api import sqlitedb

if TYPE_CHECKING:
    from api.answer import Answer
    from api.metrics import Metrics

log = logging.getLogger("api.questionlog")

DAY = 86400.0
PRUNE_EVERY = 3600.0
BATCH = 500
WARN_EVERY = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    question TEXT NOT NULL,
    session TEXT,
    channel TEXT NOT NULL,
    week_asked INTEGER,
    week_searched INTEGER,
    widened INTEGER NOT NULL,
    grounded INTEGER NOT NULL,
    confidence REAL,
    mode TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    citations TEXT NOT NULL,
    suggested TEXT,
    version INTEGER,
    query TEXT
);
CREATE INDEX IF NOT EXISTS questions_created ON questions (created_at);
CREATE TABLE IF NOT EXISTS ratings (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    answer_id TEXT,
    question TEXT NOT NULL,
    session TEXT,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down'))
);
CREATE INDEX IF NOT EXISTS ratings_created ON ratings (created_at);
"""
_COLUMNS = ("id, created_at, question, session, channel, week_asked, week_searched, widened, grounded, confidence, "
            "mode, latency_ms, citations, suggested, version, query")
_INSERT_QUESTION = f"INSERT OR IGNORE INTO questions ({_COLUMNS}) VALUES ({', '.join('?' * 16)})"
_INSERT_RATING = "INSERT OR IGNORE INTO ratings VALUES (?, ?, ?, ?, ?, ?)"
_PRUNE = object()  # queue item: delete rows past the retention
_STOP = object()   # queue item: write what is queued, then end the writer
Row = tuple[Any, ...]            # a row's values, as sqlite3 reads and writes them
Item = tuple[str, Row] | object  # queue item: ("q", question row), ("r", rating row), _PRUNE or _STOP


def replica_name() -> str:
    """This replica's file name: the host name (a container's own), reduced to safe characters."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", socket.gethostname())[:64] or "replica"


@dataclass
class Entry:
    """One logged answer, as read back (with its latest rating, when one was given)."""

    id: str
    created_at: float
    question: str
    session: str | None
    channel: str
    week_asked: int | None
    week_searched: int | None
    widened: bool
    grounded: bool
    confidence: float | None
    mode: str
    latency_ms: float
    citations: list[dict[str, Any]]
    suggested: dict[str, Any] | None
    version: int | None
    query: str | None = None    # what was searched, when it differs from the question (a follow-up)
    rating: str | None = None

    @property
    def week(self) -> int | None:
        """The week the question belongs to: the week asked, else its top source's first week (an unanswered
        question asked of no week belongs to none: the closest page of an off-topic question says little)."""
        if self.week_asked is not None:
            return self.week_asked
        weeks = self.citations[0].get("weeks") if self.citations else None
        return int(weeks[0]) if weeks else None


@dataclass
class LogRead:
    entries: list[Entry] = field(default_factory=list)
    files: list[str] = field(default_factory=list)        # replica files read
    unreadable: list[str] = field(default_factory=list)   # "file: reason"


class QuestionLog:
    """The writing side, one per app: `start()`, then `log()` / `rate()` from any thread, `close()` at exit."""

    def __init__(self, folder: Path, days: int, metrics: Metrics | None = None, replica: str | None = None,
                 queue_size: int = 10_000) -> None:
        self.folder = Path(folder)
        self.path = self.folder / f"{replica or replica_name()}.sqlite3"
        self.days = days
        self.metrics = metrics
        self._queue: queue.Queue[Item] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._db: sqlite3.Connection | None = None
        self._pruned_at = float("-inf")
        self._warned_at = float("-inf")

    # ---- the answering side (never blocks, never raises)
    def log(self, question: str, answer: Answer, retrieval: object, latency_ms: float, session: str | None = None,
            channel: str = "ask", version: int | None = None, query: str | None = None) -> str | None:
        """Queue one answer's row; returns its id (the answer's `id`, which feedback names), None if it failed."""
        try:
            entry_id = uuid.uuid4().hex
            scope_week = answer.week if answer.scope == "week" else None
            citations = [{"url": c.url, "title": c.title, "section": c.section, "weeks": list(c.weeks)}
                         for c in answer.citations]
            confidence = getattr(retrieval, "confidence", None)
            row = (entry_id, time.time(), question, session, channel, answer.week, scope_week,
                   int(bool(answer.widened)), int(bool(answer.grounded)),
                   None if confidence is None else round(float(confidence), 4), answer.mode,
                   round(latency_ms, 2), json.dumps(citations, ensure_ascii=False),
                   json.dumps(answer.suggested, ensure_ascii=False) if answer.suggested else None, version,
                   query if query and query != question else None)
        except Exception:  # never let the log fail an answer
            log.exception("question log: could not make a row")
            self._count("failed", 1)
            return None
        return entry_id if self._put(("q", row)) else None

    def rate(self, answer_id: str | None, question: str, session: str | None, rating: str) -> None:
        """Queue a rating of an answer (linked by the answer's id, else by its question and session)."""
        self._put(("r", (uuid.uuid4().hex, time.time(), answer_id, question, session, rating)))

    def _put(self, item: Item) -> bool:
        try:
            self._queue.put_nowait(item)
            return True
        except queue.Full:
            self._count("dropped", 1)
            return False

    # ---- life cycle
    def start(self) -> QuestionLog:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="question-log", daemon=True)
            self._thread.start()
            self._queue.put(_PRUNE)  # opens (creates) the file and applies the retention at once
        return self

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every row queued so far has been written (or failed); False on timeout."""
        q, deadline = self._queue, time.monotonic() + timeout
        with q.all_tasks_done:
            while q.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                q.all_tasks_done.wait(left)
        return True

    def close(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put(_STOP, timeout=timeout)
            self._thread.join(timeout)
            self._thread = None

    # ---- the writer thread
    def _run(self) -> None:
        stop = False
        while not stop:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = _STOP in batch
            try:
                self._write([b for b in batch if b is not _STOP], force_prune=_PRUNE in batch)
            finally:
                for _ in batch:
                    self._queue.task_done()
        if self._db is not None:
            self._db.close()
            self._db = None

    def _write(self, batch: list[Item], force_prune: bool) -> None:
        rows = [b for b in batch if isinstance(b, tuple)]  # not the _PRUNE / _STOP markers
        questions = [row for kind, row in rows if kind == "q"]
        ratings = [row for kind, row in rows if kind == "r"]
        try:
            db = self._open()
            with db:
                if questions:
                    db.executemany(_INSERT_QUESTION, questions)
                if ratings:
                    db.executemany(_INSERT_RATING, ratings)
                if force_prune or time.monotonic() - self._pruned_at > PRUNE_EVERY:
                    cutoff = time.time() - self.days * DAY
                    db.execute("DELETE FROM questions WHERE created_at < ?", (cutoff,))
                    db.execute("DELETE FROM ratings WHERE created_at < ?", (cutoff,))
                    self._pruned_at = time.monotonic()
        except Exception as exc:  # disk full, read-only, corrupt file, ...: the rows are lost, the answers were served
            self._fail(exc, len(questions) + len(ratings))
            return
        self._count("written", len(questions) + len(ratings))

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            sqlitedb.create(self.path, _SCHEMA)
            self._db = sqlitedb.open_connection(self.path, check_same_thread=False)
        return self._db

    def _fail(self, exc: Exception, rows: int) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None  # reopen on the next batch: the disk may have come back
        self._count("failed", rows)
        if self.metrics is not None:
            self.metrics.question_log_errors.inc()
        if time.monotonic() - self._warned_at > WARN_EVERY:
            self._warned_at = time.monotonic()
            log.warning("question log %s: write failed, %d rows lost (%s: %s)", self.path, rows, type(exc).__name__,
                        exc)

    def _count(self, outcome: str, n: int) -> None:
        if self.metrics is not None and n:
            self.metrics.question_log_entries.labels(outcome=outcome).inc(n)


# ---------------------------------------------------------------- reading (every replica's file, merged)
def read(folder: Path, since: float, days: int, until: float | None = None) -> LogRead:
    """Every entry asked in [since, until) and within the retention, oldest first, with its latest rating."""
    now = time.time()
    since = max(since, now - days * DAY)
    until = now + 1.0 if until is None else until
    out, ratings = LogRead(), []
    for path in sorted(Path(folder).glob("*.sqlite3")):
        try:
            with sqlitedb.connect(path) as db:
                q = db.execute(f"SELECT {_COLUMNS} FROM questions WHERE created_at >= ? AND created_at < ?",
                               (since, until)).fetchall()
                r = db.execute("SELECT answer_id, question, session, rating, created_at FROM ratings "
                               "WHERE created_at >= ?", (since,)).fetchall()
        except sqlite3.Error as exc:
            out.unreadable.append(f"{path.name}: {exc}")
            continue
        out.files.append(path.name)
        out.entries += [_entry(row) for row in q]
        ratings += r
    out.entries.sort(key=lambda e: (e.created_at, e.id))
    _attach_ratings(out.entries, ratings)
    return out


def _entry(r: Row) -> Entry:
    return Entry(id=r[0], created_at=r[1], question=r[2], session=r[3], channel=r[4], week_asked=r[5],
                 week_searched=r[6], widened=bool(r[7]), grounded=bool(r[8]), confidence=r[9], mode=r[10],
                 latency_ms=r[11], citations=json.loads(r[12] or "[]"), suggested=json.loads(r[13]) if r[13] else None,
                 version=r[14], query=r[15])


def _attach_ratings(entries: list[Entry], ratings: list[Row]) -> None:
    """A rating names its answer's id; one without (an API client's) goes to the latest earlier answer to the
    same question in the same session. The latest rating of an answer wins."""
    by_id = {e.id: e for e in entries}
    by_question: dict[tuple[str, str | None], list[Entry]] = {}
    for e in entries:
        by_question.setdefault((e.question, e.session), []).append(e)
    for answer_id, question, session, rating, at in sorted(ratings, key=lambda r: r[4]):
        target = by_id.get(answer_id) if answer_id else None
        if target is None and not answer_id:
            earlier = [e for e in by_question.get((question, session), []) if e.created_at <= at]
            target = earlier[-1] if earlier else None
        if target is not None:
            target.rating = rating
