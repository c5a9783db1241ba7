"""The question log: every route's answers are logged with what the keeper needs (and no IP address),
ratings are linked to their answer, entries past the retention are deleted, `RA_QUESTION_LOG=off` logs
nothing, and a log folder that is read-only, full or unusable never fails an answer (the failure is
counted in /metrics)."""
from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import time

import httpx
import pytest

from api.app import create_app
from api.questionlog import replica_name
from settings import Settings
from tests.logs import AUTH, ask, ask_stream, chat, insights, metric, own_index, rate, rows
from tests.servers import serve

ANSWERABLE = "What is a model registry and how are its versions numbered?"
MISSING = "How do I configure Salesforce validation rules?"
FOLLOW_UP = "and how do I promote one to production?"


def test_every_route_logs_its_answers_and_ratings_without_an_ip(fixture_index, tmp_path):
    """/ask, /ask/stream and /v1 (whole and streamed) each leave one row: time, question as asked (and a
    follow-up's standalone query), week asked and searched, grounded, confidence, citations, mode, latency,
    channel and session; a rating names its
    answer by id, or (an API client's) by question and session. No IP address is stored anywhere."""
    settings = own_index(fixture_index, tmp_path / "data")
    t0 = time.time()
    with serve(create_app(settings)) as url:
        a = ask(url, ANSWERABLE, session="browser-1")
        b = ask_stream(url, "In week 2, how do I start a container from an image?", session="browser-1")
        chat(url, "What does the finally clause do in Python?", session="client-2")
        chat(url, "How does endpoint autoscaling decide how many instances to run?", stream=True, week=3)
        m = ask(url, MISSING)
        follow = ask(url, FOLLOW_UP, session="browser-1", history=[{"role": "user", "content": ANSWERABLE},
                                                                  {"role": "assistant", "content": a["answer"]}])
        rate(url, ANSWERABLE, "up", answer_id=a["id"], session="browser-1")
        rate(url, MISSING, "down")  # no id: linked by question (and no session)
        insights(url)  # flushes the writer
    log = rows(settings)
    assert [e.channel for e in log] == ["ask", "stream", "v1", "v1-stream", "ask", "ask"]
    assert [e.session for e in log] == ["browser-1", "browser-1", "client-2", None, None, "browser-1"]
    assert all(t0 <= e.created_at <= time.time() and e.latency_ms > 0 and 0 <= e.confidence <= 1 for e in log)
    first, second, third, fourth, missing, followed = log
    assert first.id == a["id"] and second.id == b["id"] and missing.id == m["id"]
    assert first.question == ANSWERABLE and first.week_asked is None and first.week_searched is None
    assert first.grounded and first.mode == "extractive" and first.rating == "up"
    assert [c["url"] for c in first.citations] == [c["url"] for c in a["citations"]]
    assert all({"url", "title", "section", "weeks"} <= set(c) for c in first.citations)
    assert second.week_asked == 2 and second.week_searched == (2 if b["scope"] == "week" else None)
    assert fourth.week_asked == 3 and third.rating is None
    assert not missing.grounded and missing.mode == "none" and missing.citations == [] and missing.rating == "down"
    assert missing.suggested == m["suggested"]
    assert followed.question == FOLLOW_UP and follow["query"] != FOLLOW_UP and followed.query == follow["query"]
    assert first.query is None  # searched as asked
    files = list((settings.data_dir / "questions").iterdir())
    assert (settings.data_dir / "questions" / f"{replica_name()}.sqlite3") in files
    for path in files:
        assert b"127.0.0.1" not in path.read_bytes()
    with sqlite3.connect(settings.data_dir / "questions" / f"{replica_name()}.sqlite3") as db:
        columns = {r[1] for table in ("questions", "ratings") for r in db.execute(f"PRAGMA table_info({table})")}
    assert not {"ip", "client", "host", "address", "user_agent"} & columns


def test_replicas_files_are_merged_when_read(fixture_index, tmp_path):
    """A second replica's file in the same folder is read with this one's."""
    settings = own_index(fixture_index, tmp_path / "data")
    with serve(create_app(settings)) as url:
        ask(url, ANSWERABLE)
    folder = settings.data_dir / "questions"
    shutil.copy(folder / f"{replica_name()}.sqlite3", folder / "other-replica.sqlite3")
    with serve(create_app(settings)) as url:
        ask(url, MISSING)
        body = insights(url)
    assert sorted(body["log"]["files"]) == sorted([f"{replica_name()}.sqlite3", "other-replica.sqlite3"])
    assert body["totals"]["questions"] == 3


def _age(path, question: str, days: float) -> None:
    """Make an entry `days` old (closing the connection checkpoints the change into the file)."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE questions SET created_at = ? WHERE question = ?", (time.time() - days * 86400, question))


def test_entries_past_the_retention_are_deleted_and_never_read(fixture_index, tmp_path):
    """With the default 90 days, an entry 100 days old is deleted when the service starts and one 60 days old
    is kept; with RA_QUESTION_LOG_DAYS=30 that one goes too. Another replica's old rows are not read."""
    settings = own_index(fixture_index, tmp_path / "data")
    assert settings.question_log_days == 90
    with serve(create_app(settings)) as url:
        for q in ("old question about docker images", "older question about python modules",
                  "new question about endpoints"):
            ask(url, q)
    path = settings.data_dir / "questions" / f"{replica_name()}.sqlite3"
    _age(path, "older question about python modules", 100)
    _age(path, "old question about docker images", 60)
    shutil.copy(path, settings.data_dir / "questions" / "gone-replica.sqlite3")  # nobody prunes this one
    with serve(create_app(settings)) as url:
        seen = insights(url)
    with sqlite3.connect(path) as db:
        kept = sorted(r[0] for r in db.execute("SELECT question FROM questions"))
    assert kept == ["new question about endpoints", "old question about docker images"]
    assert seen["totals"]["questions"] == 4  # two here, two in the other replica's file; not the 100-day one
    with serve(create_app(settings.model_copy(update={"question_log_days": 30}))) as url:
        seen = insights(url)
    with sqlite3.connect(path) as db:
        kept = [r[0] for r in db.execute("SELECT question FROM questions")]
    assert kept == ["new question about endpoints"]
    assert seen["totals"]["questions"] == 2


def test_question_log_off_logs_nothing(fixture_index, tmp_path, monkeypatch):
    """RA_QUESTION_LOG=off: answers carry no id, nothing is written, feedback still works."""
    monkeypatch.setenv("RA_QUESTION_LOG", "off")
    assert Settings(_env_file=None).question_log is False
    settings = own_index(fixture_index, tmp_path / "data", question_log=False)
    with serve(create_app(settings)) as url:
        a = ask(url, ANSWERABLE)
        ask_stream(url, MISSING)
        chat(url, ANSWERABLE)
        rate(url, ANSWERABLE, "down")
        body = insights(url)
        assert metric(url, "ra_question_log_entries_total", outcome="written") == 0
    assert a["id"] is None
    assert not (settings.data_dir / "questions").exists()
    assert body["log"]["enabled"] is False and body["totals"]["questions"] == 0


# ---------------------------------------------------------------- a log disk that refuses writes
def _sh(cmd: str) -> bool:
    return subprocess.run(cmd, shell=True, capture_output=True).returncode == 0


@contextlib.contextmanager
def tmpfs(path, size: str = "1m"):
    """A small tmpfs mounted at `path` (needs root and mount rights; the test is skipped without them)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not _sh(f"mount -t tmpfs -o size={size} tmpfs {path}"):
        pytest.skip("needs root and the right to mount a tmpfs")
    try:
        yield path
    finally:
        _sh(f"umount {path}") or _sh(f"umount -l {path}")


def _answers_are_served_and_failures_counted(settings, questions: int = 4) -> dict:
    with serve(create_app(settings)) as url:
        answers = [ask(url, ANSWERABLE if i % 2 else MISSING) for i in range(questions)]
        rate(url, ANSWERABLE, "up")
        stream = ask_stream(url, ANSWERABLE)
        chat(url, ANSWERABLE)
        assert httpx.get(f"{url}/admin/insights", headers=AUTH, timeout=60).status_code == 200  # flushes
        failed = metric(url, "ra_question_log_entries_total", outcome="failed")
        errors = metric(url, "ra_question_log_errors_total")
        written = metric(url, "ra_question_log_entries_total", outcome="written")
    assert all(a["answer"] for a in answers) and stream["answer"]
    return {"failed": failed, "errors": errors, "written": written, "rows": questions + 3}


def test_a_read_only_log_folder_never_fails_an_answer(fixture_index, tmp_path):
    """The log's folder is mounted read-only (with last run's file in it): every answer is served, the lost
    rows are counted as failed in /metrics."""
    settings = own_index(fixture_index, tmp_path / "data")
    with tmpfs(settings.data_dir / "questions") as folder:
        with serve(create_app(settings)) as url:
            ask(url, ANSWERABLE)
        assert (folder / f"{replica_name()}.sqlite3").exists()
        assert _sh(f"mount -o remount,ro {folder}")
        seen = _answers_are_served_and_failures_counted(settings)
    assert seen["failed"] == seen["rows"] and seen["written"] == 0 and seen["errors"] >= 1


def test_a_full_log_disk_never_fails_an_answer_and_logging_resumes(fixture_index, tmp_path):
    """The log's disk fills up: answers are served and the lost rows counted; once space is freed, the next
    answers are written again."""
    settings = own_index(fixture_index, tmp_path / "data")
    with tmpfs(settings.data_dir / "questions", size="256k") as folder:
        with serve(create_app(settings)) as url:
            ask(url, ANSWERABLE)
            insights(url)
            filler = folder / "filler"
            with filler.open("wb", buffering=0) as f, contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * 4096)
            failed_before = metric(url, "ra_question_log_entries_total", outcome="failed")
            answers = [ask(url, f"{ANSWERABLE} ({i} " + "padding " * 150 + ")") for i in range(30)]
            insights(url)
            failed = metric(url, "ra_question_log_entries_total", outcome="failed")
            assert all(a["answer"] for a in answers)
            assert failed > failed_before and metric(url, "ra_question_log_errors_total") >= 1
            filler.unlink()
            ask(url, "after the disk was freed: what is a container image?")
            insights(url)
        assert rows(settings)[-1].question == "after the disk was freed: what is a container image?"


def test_an_unusable_log_path_never_fails_an_answer(fixture_index, tmp_path):
    """Without root tricks: the log's folder name is taken by a plain file, so the log cannot be created."""
    settings = own_index(fixture_index, tmp_path / "data")
    (settings.data_dir / "questions").write_text("not a folder")
    seen = _answers_are_served_and_failures_counted(settings)
    assert seen["failed"] == seen["rows"] and seen["written"] == 0 and seen["errors"] >= 1
