"""`GET /weeks` and `GET /sources` over the fixture index: the roadmap's structure with what is indexed."""
from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from tests.servers import serve

PAGES = {1: "https://docs.example.org/python/tutorial/", 2: "https://docs.example.org/docker/get-started/",
         3: "https://mlops.example.org/registry/"}


@pytest.fixture(scope="module")
def api(fixture_index):
    with serve(create_app(fixture_index)) as url:
        yield url


def test_weeks_lists_phases_weeks_goals_and_resources(api):
    """/weeks gives both phases and the three weeks with their titles, goals and linked resources."""
    body = httpx.get(f"{api}/weeks").json()
    assert body["title"] == "Test MLOps Roadmap" and body["indexed"] is True and isinstance(body["version"], int)
    assert [(p["number"], p["first_week"], p["last_week"]) for p in body["phases"]] == [(1, 1, 2), (2, 3, 3)]
    assert [(w["number"], w["title"]) for w in body["weeks"]] == [(1, "Python Basics"), (2, "Containers"),
                                                                  (3, "Model Deployment")]
    assert body["weeks"][1]["goals"] == ["Package an application as a Docker image"]
    week3 = body["weeks"][2]
    assert [(r["label"], r["url"]) for r in week3["resources"]] == [
        ("Model Registry", "https://mlops.example.org/registry/"),
        ("SageMaker Endpoints", "https://aws.example.org/sagemaker/endpoints.html")]


def test_weeks_counts_what_is_indexed(api):
    """Each resource and week reports its indexed chunks, matching the per-week /sources totals."""
    weeks = httpx.get(f"{api}/weeks").json()["weeks"]
    for week in weeks:
        sources = httpx.get(f"{api}/sources", params={"week": week["number"]}).json()["sources"]
        assert week["chunks"] == sum(s["chunks"] for s in sources) > 0
        assert week["pages"] == len(sources)
        for r in week["resources"]:
            assert r["chunks"] >= 1 and r["pages"] == 1 and r["status"] == "indexed"


def test_sources_filters_by_week(api):
    """/sources?week=3 lists week 3's pages (and the roadmap's own week-3 text), nothing from other weeks."""
    body = httpx.get(f"{api}/sources", params={"week": 3}).json()
    urls = {s["url"] for s in body["sources"]}
    assert urls == {"https://mlops.example.org/registry/", "https://aws.example.org/sagemaker/endpoints.html",
                    "roadmap.md#week-3"}
    assert body["week"] == 3 and body["count"] == 3 and all(3 in s["weeks"] for s in body["sources"])
    registry = next(s for s in body["sources"] if s["url"] == PAGES[3])
    assert registry["title"] == "Model Registry" and registry["chunks"] >= 1 and registry["stale"] is False


def test_sources_without_a_week_lists_every_indexed_page(api):
    """Without a week, /sources lists all four fixture pages and the roadmap's three week sections."""
    body = httpx.get(f"{api}/sources").json()
    assert body["count"] == 7 and set(PAGES.values()) <= {s["url"] for s in body["sources"]}


@pytest.mark.parametrize("week", ["0", "4", "17", "two"])
def test_sources_refuses_a_week_out_of_range(api, week):
    """A week that is not one of the roadmap's (1..3 here) is a 422 JSON error; one past its end says its range."""
    r = httpx.get(f"{api}/sources", params={"week": week})
    assert r.status_code == 422 and r.json()["error"]["status"] == 422
    if week in ("4", "17"):
        assert r.json()["error"]["message"] == "invalid request: week must be between 1 and 3"
