"""The API follows whatever roadmap its keeper writes (issue 11), end to end: a 20-week roadmap with mixed link
syntaxes and plain and decorated headings is indexed through `POST /admin/reindex`, every week (17-20 too)
answers week-scoped questions, and rewriting the file as a 12-week roadmap and re-indexing switches `/weeks`,
week validation and the prompt's title without a restart. Real service, real ingest, fixture pages on 127.0.0.1.
"""
from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from api.app import create_app
from ingest.roadmap import load_roadmap
from tests.conftest import make_settings
from tests.servers import serve
from tests.sites import Site, page

VARIANTS = Path(__file__).parent / "data" / "roadmaps"
TWENTY, TWELVE = VARIANTS / "twenty_weeks.md", VARIANTS / "twelve_weeks.md"
TOKEN = "t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ANIMALS = ("aardvark bluebird cormorant dolphin egret flamingo gazelle heron ibis jackal kestrel lemur marmot "
           "narwhal ocelot pelican quokka raven salamander tapir").split()
GLOSSARY = "https://ml.example.org/glossary/"


def pages_for(roadmap_file: Path) -> dict[str, str]:
    """A page for every link of a roadmap, at its mirror path; week N's pages explain the '<animal N> method'.
    The ml.example.org pages all link to one glossary page, reached from many weeks."""
    out = {}
    for r in load_roadmap(roadmap_file).resources:
        p = urlsplit(r.url)
        animal = ANIMALS[(r.week or 1) - 1]
        links = ["/ml.example.org/glossary/"] if p.netloc == "ml.example.org" else []
        out[f"/{p.netloc}{p.path}"] = page(r.label, ("Method", f"The {animal} method is how {r.label} is practised: "
                                                                f"plan the {animal} steps, apply them, then review."),
                                           links=links)
    out["/ml.example.org/glossary/"] = page("Glossary", ("Terms", "A glossary of platform terms: drift, serving, "
                                                                  "registry, feature, batch and capstone."))
    return out


def wait_for(check, seconds: float = 120.0):
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.2)
    return result


def reindex(client: httpx.Client, **body) -> dict:
    run_id = client.post("/admin/reindex", json=body).json()["id"]
    return wait_for(lambda: (s := client.get(f"/admin/reindex/{run_id}").json())["status"] != "running" and s)


@pytest.fixture(scope="module")
def service(tmp_path_factory, fake_server):
    """The service over an empty store, with the 20-week roadmap file and a fake chat model; yields
    (client, roadmap file, fake)."""
    site = Site(pages={**pages_for(TWENTY), **pages_for(TWELVE)})
    tmp = tmp_path_factory.mktemp("variants")
    roadmap = tmp / "roadmap.md"
    roadmap.write_text(TWENTY.read_text())
    with serve(site.app()) as mirror:
        settings = make_settings(tmp / "data", roadmap, mirror, crawl_depth=1, admin_token=TOKEN, llm_model="fake",
                                 openai_api_key="k", openai_base_url=fake_server.base, llm_timeout=10)
        with serve(create_app(settings)) as url, httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:
            done = reindex(client)
            assert done["status"] == "succeeded", done
            wait_for(lambda: client.get("/readyz").status_code == 200)
            yield client, roadmap, fake_server
    fake_server.reset()


def test_twenty_weeks_are_listed_and_each_answers_its_own_question(service):
    """/weeks lists the roadmap's own title, phases and 20 weeks; a question about week N's material, asked with
    week N, is answered from week N's page, for every N including 17-20."""
    client, _, fake = service
    weeks = client.get("/weeks").json()
    assert weeks["title"] == "Platform Engineering Roadmap"
    assert [w["number"] for w in weeks["weeks"]] == list(range(1, 21))
    assert [(p["first_week"], p["last_week"]) for p in weeks["phases"]] == [(1, 8), (9, 20)]
    assert weeks["weeks"][16]["title"] == "GPU scheduling" and weeks["weeks"][16]["chunks"] > 0
    fake.reply = lambda messages: "It is a plan, apply and review method [1]."
    for n in range(1, 21):
        body = client.post("/ask", json={"question": f"How does the {ANIMALS[n - 1]} method work?", "week": n}).json()
        assert (body["week"], body["scope"], body["grounded"]) == (n, "week", True), (n, body)
        assert body["citations"] and all(n in c["weeks"] for c in body["citations"]), (n, body["citations"])
    system = fake.requests[-1]["body"]["messages"][0]["content"]
    assert system.startswith('You are the study assistant of the learning roadmap "Platform Engineering Roadmap".')


def test_weeks_past_16_are_detected_in_the_question(service):
    """'in week 18' scopes the search to week 18; a week the roadmap lacks is a 422 naming its weeks (not a
    search of the whole roadmap in silence)."""
    client, _, _ = service
    body = client.post("/ask", json={"question": "In week 18, how does the raven method work?"}).json()
    assert body["week"] == 18 and body["scope"] == "week" and body["citations"]
    r = client.post("/ask", json={"question": "In week 23, how does the raven method work?"})
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "invalid request: the question names week 23, but the roadmap has weeks 1-20"


@pytest.mark.parametrize("path", ["/ask", "/ask/stream", "/v1/chat/completions"])
def test_a_week_the_roadmap_lacks_is_a_422_naming_its_range(service, path):
    client, _, _ = service
    body = {"week": 21, **({"messages": [{"role": "user", "content": "What is drift?"}]} if path.startswith("/v1")
                           else {"question": "What is drift?"})}
    r = client.post(path, json=body)
    assert r.status_code == 422 and r.json()["error"]["message"] == "invalid request: week must be between 1 and 20"


def test_sources_put_the_scope_week_first_and_collapse_the_others(service):
    """The glossary, reached from nine weeks' links, lists the asked week first with a '+8' badge."""
    client, _, _ = service
    body = client.get("/sources", params={"week": 12}).json()
    glossary = next(s for s in body["sources"] if s["url"] == GLOSSARY)
    assert glossary["weeks"][0] == 12 and sorted(glossary["weeks"]) == [9, 10, 11, 12, 13, 14, 15, 16, 20]
    assert glossary["badge"] == "Week 12 +8"
    assert client.get("/sources", params={"week": 21}).status_code == 422
    everything = client.get("/sources").json()["sources"]
    assert next(s for s in everything if s["url"] == GLOSSARY)["badge"] == "Week 9 +8"


def test_rewriting_the_roadmap_and_reindexing_switches_everything_without_a_restart(service):
    """The keeper replaces the file with a 12-week roadmap: the re-index would drop most pages, so it fails
    until forced; then /weeks, validation and the prompt follow the new version, and the old weeks are gone."""
    client, roadmap, fake = service
    before = client.get("/weeks").json()
    roadmap.write_text(TWELVE.read_text())
    refused = reindex(client)
    assert refused["status"] == "failed" and "--force" in refused["error"] and refused["summary"]["published"] is False
    assert client.get("/weeks").json()["version"] == before["version"]
    assert reindex(client, force=True)["status"] == "succeeded"
    weeks = wait_for(lambda: (w := client.get("/weeks").json())["version"] != before["version"] and w)
    assert weeks["title"] == "Data Engineering in 12 Weeks"
    assert [w["number"] for w in weeks["weeks"]] == list(range(1, 13))
    r = client.post("/ask", json={"question": "What is drift?", "week": 13})
    assert r.status_code == 422 and r.json()["error"]["message"] == "invalid request: week must be between 1 and 12"
    fake.reply = lambda messages: "Plan, apply, review [1]."
    for n in range(1, 13):
        body = client.post("/ask", json={"question": f"How does the {ANIMALS[n - 1]} method work?", "week": n}).json()
        assert (body["week"], body["scope"], body["grounded"]) == (n, "week", True), (n, body)
        assert body["citations"] and all(n in c["weeks"] for c in body["citations"]), (n, body["citations"])
    assert "https://ops.example.org/capstone/" in [c["url"] for c in body["citations"]]
    system = fake.requests[-1]["body"]["messages"][0]["content"]
    assert system.startswith('You are the study assistant of the learning roadmap "Data Engineering in 12 Weeks".')
    page = client.get("/roadmap").text  # where roadmap citations open: the new version's roadmap, its anchors
    assert "<title>Data Engineering in 12 Weeks</title>" in page
    assert 'id="week-12"' in page and 'id="week-13"' not in page
