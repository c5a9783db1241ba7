"""Insights from questions posted through the real API (answerable and not, with feedback): the per-week
numbers, coverage-gap clusters, cited and never-cited pages, failing links that answers cited, the JSON
endpoint's guards, and the `python -m api.insights` command (tables, --json, --csv, a progress bar on a
terminal)."""
from __future__ import annotations

import asyncio
import csv
import json
import os
import pty
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.insights import parse_since
from tests.conftest import make_settings
from tests.logs import AUTH, TOKEN, ask, ask_stream, insights, own_index, rate, rows
from tests.servers import serve
from tests.sites import Site, page, roadmap

ROOT = Path(__file__).resolve().parents[1]

# Two topics the fixture site does not cover, each asked three ways, and two unrelated one-off questions.
TERRAFORM = ["How do I lock Terraform state so two people can't apply at once?",
             "terraform remote state locking with DynamoDB",
             "What stops concurrent terraform apply runs from corrupting the state file?"]
GRAFANA = ["How do I set up alerts in Grafana?",
           "configuring grafana alert rules and notifications",
           "grafana alerting to slack, how?"]
SINGLES = ["What is the capital of Australia?", "How do I bake sourdough bread at home?"]
REASKED = "how do I set up alerts in grafana"  # GRAFANA[0] again, case and punctuation aside


@pytest.fixture(scope="module")
def world(fixture_index, tmp_path_factory):
    """One service on a private copy of the fixture index, asked a known set of questions."""
    settings = own_index(fixture_index, tmp_path_factory.mktemp("insights") / "data")
    with serve(create_app(settings)) as url:
        asked = []  # (week asked, response)

        def q(question, week=None, via=ask, **body):
            r = via(url, question, week=week, session="learner-a", **body)
            asked.append((week if week is not None else r["week"], r))
            return r

        q("How do I import a module in Python?", week=1)
        q("In week 1, how do I configure Salesforce validation rules?")
        q("What does the finally clause do in Python?", via=ask_stream)
        container = q("How do I start a container from an image?", week=2)
        registry = q("What is a model registry and how are its versions numbered?")
        for question in TERRAFORM + GRAFANA + SINGLES + [REASKED]:
            q(question)
        rate(url, "How do I start a container from an image?", "down", answer_id=container["id"], session="learner-a")
        rate(url, "What is a model registry and how are its versions numbered?", "up", answer_id=registry["id"])
        body = insights(url)
        yield {"url": url, "settings": settings, "asked": asked, "insights": body}


def _week_of(week_asked, response) -> int | None:
    if week_asked is not None:
        return week_asked
    return response["citations"][0]["weeks"][0] if response["citations"] and response["citations"][0]["weeks"] else None


def test_per_week_numbers(world):
    """Each week's questions, abstentions, ratings and median latency match what was asked and answered."""
    body, log = world["insights"], rows(world["settings"])
    by_id = {e.id: e for e in log}
    expected: dict = {}
    for week, r in world["asked"]:
        w = expected.setdefault(_week_of(week, r),
                                {"questions": 0, "abstained": 0, "rated": 0, "thumbs_down": 0, "lat": []})
        w["questions"] += 1
        w["abstained"] += not r["grounded"]
        rating = by_id[r["id"]].rating
        w["rated"] += rating is not None
        w["thumbs_down"] += rating == "down"
        w["lat"].append(by_id[r["id"]].latency_ms)
    got = {row["week"]: row for row in body["weeks"]}
    assert [row["week"] for row in body["weeks"]][:3] == [1, 2, 3] and got[1]["title"] == "Python Basics"
    for week, want in expected.items():
        row = got[week]
        assert {k: row[k] for k in ("questions", "abstained", "rated", "thumbs_down")} == \
               {k: want[k] for k in ("questions", "abstained", "rated", "thumbs_down")}, week
        assert row["abstention_rate"] == round(want["abstained"] / want["questions"], 4)
        assert row["median_latency_ms"] == round(statistics.median(want["lat"]), 1)
    assert got[2]["thumbs_down"] == 1 and got[2]["thumbs_down_rate"] == 1.0
    assert got[1]["questions"] >= 3 and got[1]["abstained"] >= 1  # the Salesforce question was asked of week 1
    assert body["totals"]["questions"] == len(world["asked"]) and body["totals"]["sessions"] == 1


def test_gap_clustering_groups_paraphrases_and_keeps_unrelated_ones_apart(world):
    """The three Terraform paraphrases form one cluster, the three Grafana ones another (one asked twice: counted
    twice, shown once, as last asked), and each unrelated question stays alone; every cluster has a label of its
    terms, examples as asked and a closest page."""
    log = {e.question: e for e in rows(world["settings"])}
    for question in TERRAFORM + GRAFANA + SINGLES:  # the premise: the sources don't answer these
        assert not log[question].grounded or log[question].confidence < 0.5, question
    gaps = world["insights"]["gaps"]
    cluster_of = {q: i for i, g in enumerate(gaps) for q in g["examples"]}
    for topic, word, size in ((TERRAFORM, "terraform", 3), ([REASKED] + GRAFANA[1:], "grafana", 4)):
        cluster = gaps[cluster_of[topic[0]]]
        assert sorted(cluster["examples"]) == sorted(topic) and cluster["size"] == size
        assert word in cluster["label"].split(", ")
        assert cluster["sessions"] == 1 and cluster["closest"]["url"] and cluster["closest"]["week"] in (1, 2, 3)
    assert GRAFANA[0] not in cluster_of and cluster_of[TERRAFORM[0]] != cluster_of[REASKED]
    for question in SINGLES:
        assert gaps[cluster_of[question]]["examples"] == [question]
    assert [g["size"] for g in gaps] == sorted((g["size"] for g in gaps), reverse=True)
    settings = world["insights"]["gap_settings"]
    assert settings["distinct"] == settings["clustered"] == sum(len(g["examples"]) for g in gaps)


def test_insights_endpoint_guards_and_window(world, fixture_index):
    """No token: 401; a bad `since`: 422 naming the formats; a window starting tomorrow holds nothing, one of
    the last hour everything; with no admin token configured the endpoint does not exist."""
    url = world["url"]
    assert httpx.get(f"{url}/admin/insights").status_code == 401
    assert httpx.get(f"{url}/admin/insights", headers={"Authorization": "Bearer nope"}).status_code == 401
    bad = httpx.get(f"{url}/admin/insights", params={"since": "last tuesday"}, headers=AUTH)
    assert bad.status_code == 422 and "30d" in bad.json()["error"]["message"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert insights(url, since=tomorrow)["totals"]["questions"] == 0
    assert insights(url, since="1h")["totals"]["questions"] == len(world["asked"])
    with serve(create_app(fixture_index)) as other:  # the shared fixture: no admin token
        assert httpx.get(f"{other}/admin/insights").status_code == 404


def test_parse_since():
    now = 1_800_000_000.0
    assert parse_since("30d", 90, now) == now - 30 * 86400
    assert parse_since("12h", 90, now) == now - 12 * 3600
    assert parse_since(None, 90, now) == now - 90 * 86400
    assert parse_since("2026-11-01", 90, now) == datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    assert parse_since("2026-11-01T10:00:00+02:00", 90, now) == datetime(2026, 11, 1, 8, tzinfo=UTC).timestamp()
    with pytest.raises(ValueError, match="neither a duration"):
        parse_since("soon", 90, now)


# ---------------------------------------------------------------- cited pages and failing links
DOCKER = page("Docker Basics",
              ("Images", "An image is a read-only template with instructions for creating a container."),
              ("Run", "docker run starts a container from an image and keeps it isolated from the host."))
REGISTRY = page("Model Registry",
                ("Versions", "Each registered model keeps numbered versions; a new version is created "
                             "on every registration."))
QUOTAS = page("Service Quotas", ("Limits", "Each account has a default quota of concurrent training jobs per region."))


def test_cited_never_cited_and_failing_links(tmp_path):
    """Pages are counted by the answers citing them; pages no answer cited are listed; a roadmap link that
    fails on the next ingest after answers cited it is listed with that count."""
    from ingest.job import run_job
    from vectorstore.client import open_client
    from vectorstore.embeddings import make_embedder
    from vectorstore.store import IndexStore

    site = Site(pages={"/docs/docker.html": DOCKER, "/docs/registry.html": REGISTRY, "/docs/quotas.html": QUOTAS})
    with serve(site.app()) as base:
        (tmp_path / "roadmap.md").write_text(roadmap(base, {1: [("Docker Basics", "/docs/docker.html")],
                                                            2: [("Model Registry", "/docs/registry.html"),
                                                                ("Service Quotas", "/docs/quotas.html")]}))
        settings = make_settings(tmp_path / "data", tmp_path / "roadmap.md", None, admin_token=TOKEN)
        store = IndexStore(open_client(settings.data_dir), settings.collection)
        embedder = make_embedder(settings)
        assert asyncio.run(run_job(settings, store, embedder)).published
        docker_url = f"{base}/docs/docker.html"
        with serve(create_app(settings)) as url:
            answers = [ask(url, q) for q in ("What is a Docker image?", "How does docker run start a container?",
                                             "How are model versions numbered in the registry?")]
            site.status["/docs/docker.html"] = 404
            asyncio.run(run_job(settings, store, embedder))
            body = insights(url)
    cited: dict[str, int] = {}
    for a in answers:
        for u in {c["url"] for c in a["citations"]}:
            cited[u] = cited.get(u, 0) + 1
    assert cited.get(docker_url, 0) >= 1  # the premise: answers cited the page whose link now fails
    assert {p["url"]: p["cited"] for p in body["cited_pages"]} == cited
    indexed = {p["url"] for p in body["cited_pages"]} | {p["url"] for p in body["never_cited"]}
    assert f"{base}/docs/quotas.html" in indexed and f"{base}/docs/quotas.html" not in cited
    assert not {p["url"] for p in body["never_cited"]} & set(cited)
    [link] = body["failing_links"]
    assert link["url"] == docker_url and link["cited"] == cited[docker_url] and link["status"] == 404
    assert link["weeks"] == [1] and link["last_cited"]


# ---------------------------------------------------------------- the command line
def _cli_env(settings) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "RA_DATA_DIR": str(settings.data_dir),
            "RA_ROADMAP": str(settings.roadmap), "RA_EMBEDDING_MODEL_DIR": str(settings.embedding_model_dir),
            "COLUMNS": "160"}


def test_cli_json_csv_and_tables(world, tmp_path):
    """--json gives the endpoint's numbers; --csv writes one file per table; plain output is tables."""
    env, cwd = _cli_env(world["settings"]), tmp_path
    out = subprocess.run([sys.executable, "-m", "api.insights", "--json"], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    api = world["insights"]
    assert body["weeks"] == api["weeks"] and body["totals"] == api["totals"]
    assert [sorted(g["examples"]) for g in body["gaps"]] == [sorted(g["examples"]) for g in api["gaps"]]
    out = subprocess.run([sys.executable, "-m", "api.insights", "--csv", str(tmp_path / "csv")], env=env, cwd=cwd,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    with (tmp_path / "csv" / "weeks.csv").open() as f:
        weeks = list(csv.DictReader(f))
    assert [int(r["week"]) if r["week"] else None for r in weeks] == [r["week"] for r in api["weeks"]]
    with (tmp_path / "csv" / "gaps.csv").open() as f:
        gaps = list(csv.DictReader(f))
    assert any(set(r["examples"].split(" | ")) == set(TERRAFORM) for r in gaps)
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "cited_pages.csv", "failing_links.csv", "gaps.csv", "never_cited.csv", "weeks.csv"]
    out = subprocess.run([sys.executable, "-m", "api.insights", "--since", "1d"], env=env, cwd=cwd,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "per week" in out.stdout and "coverage gaps" in out.stdout
    assert "Python Basics" in out.stdout and "terraform" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "api.insights", "--since", "soon"], env=env, cwd=cwd,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("error: since:")


def test_cli_shows_a_progress_bar_on_a_terminal(world, tmp_path):
    """With stderr on a terminal the CLI draws a progress bar while it embeds the gap questions."""
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "api.insights"], env=_cli_env(world["settings"]), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=child, close_fds=True)
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    assert proc.wait(timeout=300) == 0
    assert b"embedding questions" in seen


def test_cli_names_a_bad_setting_by_its_variable(tmp_path):
    """A setting that cannot be read is one `error: RA_X: ...` line and exit 2, worded as the other commands."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RA_DATA_DIR": str(tmp_path), "RA_TOP_K": "abc"}
    out = subprocess.run([sys.executable, "-m", "api.insights", "--json"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("error: RA_TOP_K: input should be a valid integer") and "(got 'abc')" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
