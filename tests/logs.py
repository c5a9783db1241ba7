"""Helpers for the question-log and insights tests: a private copy of the shared fixture index (so the log
those tests read holds only their own questions), and small clients for the routes that answer."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx

from api import questionlog

TOKEN = "insights-admin"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def own_index(fixture_index, dest: Path, **overrides):
    """Settings of a copy of the fixture index in `dest` (without any question log), admin token set."""
    shutil.copytree(fixture_index.data_dir, dest, ignore=shutil.ignore_patterns("questions", "feedback.sqlite3*"))
    return fixture_index.model_copy(update={"data_dir": dest, "admin_token": TOKEN, **overrides})


def rows(settings) -> list[questionlog.Entry]:
    """Every entry in the log's files, oldest first (read as the insights read them)."""
    return questionlog.read(settings.data_dir / "questions", 0.0, settings.question_log_days).entries


def ask(url: str, question: str, **body) -> dict:
    r = httpx.post(f"{url}/ask", json={"question": question, **body}, timeout=60)
    r.raise_for_status()
    return r.json()


def ask_stream(url: str, question: str, **body) -> dict:
    """The `answer` event of /ask/stream."""
    with httpx.stream("POST", f"{url}/ask/stream", json={"question": question, **body}, timeout=60) as r:
        r.raise_for_status()
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "answer":
                return json.loads(line[6:])
    raise AssertionError("the stream had no answer event")


def chat(url: str, question: str, stream: bool = False, **extra) -> str:
    """The text of a /v1/chat/completions answer (streamed or not)."""
    body = {"model": "roadmap-assistant", "messages": [{"role": "user", "content": question}], "stream": stream,
            **extra}
    if not stream:
        r = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60)
        r.raise_for_status()
        return r.json()["choices"][0]["message"]["content"]
    text = []
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=60) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith("data: {"):
                text.append(json.loads(line[6:])["choices"][0]["delta"].get("content") or "")
    return "".join(text)


def rate(url: str, question: str, rating: str, **extra) -> None:
    r = httpx.post(f"{url}/feedback", json={"question": question, "answer": "", "rating": rating, **extra}, timeout=30)
    r.raise_for_status()


def insights(url: str, **params) -> dict:
    r = httpx.get(f"{url}/admin/insights", params=params, headers=AUTH, timeout=120)
    r.raise_for_status()
    return r.json()


def metric(url: str, name: str, **labels) -> float:
    """One sample of the service's /metrics (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith(f"{name}{{{want}}} " if want else f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
