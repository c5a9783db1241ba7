"""The benchmark scripts' own rules, run as the README runs them: `bench/study_bench.py` measures with the rate
limit off whatever the environment says, and `bench/load.py --conversations` sends only the split asked for
(dev by default). Real processes against real services on the fixture indexes; no test data is read."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import create_app
from tests.servers import serve

ROOT = Path(__file__).resolve().parents[1]


def env_for(settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    env.update(RA_DATA_DIR=str(settings.data_dir), RA_ROADMAP=str(settings.roadmap),
               RA_EMBEDDING_MODEL_DIR=str(settings.embedding_model_dir), RA_MIRROR_BASE=settings.mirror_base or "",
               RA_CHUNK_TOKENS=str(settings.chunk_tokens), RA_CHUNK_OVERLAP_TOKENS=str(settings.chunk_overlap_tokens),
               RA_QUESTION_LOG="off", PYTHONPATH=str(ROOT), **extra)
    return env


def test_study_bench_runs_under_a_strict_rate_limit_and_says_it_turned_it_off(study_index):
    """With RA_RATE_LIMIT_PER_MINUTE=3 in the environment (a round of 4 weeks sends 12 requests), the bench still
    measures every endpoint: its own service runs without the limit, and its first line says so."""
    run = subprocess.run([sys.executable, "bench/study_bench.py", "--rounds", "1"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, env=env_for(study_index, RA_RATE_LIMIT_PER_MINUTE="3"))
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert lines[0].startswith("the service below runs with the rate limit off") and "environment's: 3" in lines[0]
    for name in ("first briefing per week", "briefing", "quiz (5 questions)", "check"):
        assert any(line.startswith(name) and " n=" in line for line in lines), (name, run.stdout)


@pytest.fixture(scope="module")
def api(fixture_index):
    with serve(create_app(fixture_index.model_copy(update={"rate_limit_per_minute": 0}))) as url:
        yield url


def conversations(path: Path) -> Path:
    """A conversations file of each kind of line: two dev, one test, one with no split (belongs to any)."""
    rows = [{"split": "dev", "turns": ["What is a model registry?", "how are its versions numbered?"]},
            {"split": "dev", "turns": ["What is Docker?", "and in week 2?"]},
            {"split": "test", "turns": ["What is a SageMaker endpoint?", "how do I start one?"]},
            {"turns": ["What does the finally clause do?", "and in week 1?"]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def load(api: str, *args: str) -> subprocess.CompletedProcess:
    """`bench/load.py` against `api` (a client: it needs no setting of the service's)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RA_")}, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "bench/load.py", "--url", api, "-n", "6", "--warmup", "0", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def test_load_sends_the_dev_conversations_by_default(api, tmp_path):
    """`--conversations FILE` alone sends the dev lines (and lines of no split), never the test line;
    `--split all` sends every line; a file with no line of the split asked is refused before any request."""
    path = conversations(tmp_path / "conversations.jsonl")
    run = load(api, "--conversations", str(path))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "and 3 follow-ups with history" in run.stdout and json.loads(run.stdout.splitlines()[-1])["errors"] == 0
    assert "and 4 follow-ups with history" in load(api, "--conversations", str(path), "--split", "all").stdout
    only_test = tmp_path / "test_only.jsonl"
    only_test.write_text(path.read_text(encoding="utf-8").splitlines()[2] + "\n", encoding="utf-8")
    refused = load(api, "--conversations", str(only_test))
    assert refused.returncode == 2 and "holds no conversation of split 'dev'" in refused.stderr


def test_load_compare_sends_the_conversations_too(api, tmp_path):
    """`--compare` mixes the dev conversations' follow-ups in as a single run does (it used to drop them)."""
    path = conversations(tmp_path / "conversations.jsonl")
    run = load(api, "--compare", api, "--blocks", "2", "--conversations", str(path))
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["errors"] == 0 and result["followups"] == 6, result  # 3 of the 6 requests to each


def _dev_ids(kind: str, n: int) -> list[dict]:
    lines = (Path(__file__).resolve().parents[1] / "eval/questions.jsonl").read_text().splitlines()
    return [q for q in map(json.loads, filter(str.strip, lines)) if q["kind"] == kind][:n]


def test_abstention_errors_groups_wrong_abstentions_by_mechanism(tmp_path):
    """Rows as `evaluate --json` writes them: each wrong abstention under the mechanism that decided it, right ones
    under none; `--compare` names what changed and counts it per file."""
    ans, una = _dev_ids("answerable", 3), _dev_ids("unanswerable", 2)

    def row(q, grounded, route="search", gap=None, question=None):
        return {"id": q["id"], "kind": q["kind"], "question": question or q["question"], "route": route,
                "grounded": grounded, "gap": gap, "evidence": 0.1 if gap else None, "confidence": 0.2}

    before = [row(ans[0], False, gap="price"), row(ans[1], False), row(ans[2], True),
              row(una[0], True, route="plan"), row(una[1], True, question="translate good morning pls")]
    after = [dict(r) for r in before]
    after[1]["grounded"] = True     # fixed
    after[2]["grounded"] = False    # broken, by the logistic
    paths = []
    for name, rows in (("before", before), ("after", after)):
        (path := tmp_path / f"{name}.json").write_text(json.dumps({"runs": {"dev": {"questions": rows}}}))
        paths.append(path)
    script = str(Path(__file__).resolve().parents[1] / "bench/abstention_errors.py")
    out = subprocess.run([sys.executable, script, str(paths[0])], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}).stdout
    assert "answerable   evidence       1" in out and "answerable   confidence     1" in out
    assert "unanswerable plan           1" in out and "unanswerable kind           1" in out
    assert "answerable wrong: 2 of 3" in out and "unanswerable wrong: 2 of 2" in out
    out = subprocess.run([sys.executable, script, str(paths[1]), "--compare", str(paths[0])], capture_output=True,
                         text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}).stdout
    assert f"fixed  {ans[1]['id']:>6}" in out and f"BROKEN {ans[2]['id']:>6}" in out
    assert "questions            fixed 1, broken 1" in out


def test_abstention_errors_per_file_prints_each_files_rates(tmp_path):
    """`--per-file`: each dev file's abstentions over its unanswerable and answerable questions, counted from the
    rows (a file with no rows on a side shows a dash)."""
    ans, una = _dev_ids("answerable", 3), _dev_ids("unanswerable", 2)
    rows = [{"id": q["id"], "kind": q["kind"], "question": q["question"], "route": "search", "grounded": g,
             "gap": None, "evidence": None, "confidence": 0.5}
            for q, g in ((ans[0], False), (ans[1], True), (ans[2], True), (una[0], False), (una[1], True))]
    (path := tmp_path / "rows.json").write_text(json.dumps({"runs": {"dev": {"questions": rows}}}))
    script = str(Path(__file__).resolve().parents[1] / "bench/abstention_errors.py")
    out = subprocess.run([sys.executable, script, str(path), "--per-file"], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}).stdout
    assert "questions            unanswerable abstain 1/2 (50.0%), answerable abstain 1/3 (33.3%)" in out
    assert "test7                unanswerable abstain –, answerable abstain –" in out


def test_abstention_errors_unchecked_counts_what_the_evidence_check_never_saw(tmp_path):
    """`--unchecked`: per file and side, the questions whose recorded answer kind the evidence check does not cover
    (`other` apart), split into answered and abstained; plan-route rows are not searched and not counted."""
    ans, una = _dev_ids("answerable", 3), _dev_ids("unanswerable", 2)
    rows = [{"id": q["id"], "kind": q["kind"], "question": q["question"], "route": route, "grounded": g,
             "gap": None, "evidence": None, "confidence": 0.5, "answer_kind": k}
            for q, g, k, route in ((ans[0], True, "other", "search"), (ans[1], False, "yesno", "search"),
                                   (ans[2], True, "other", "plan"), (una[0], True, "other", "search"),
                                   (una[1], False, "price", "search"))]
    (path := tmp_path / "rows.json").write_text(json.dumps({"runs": {"dev": {"questions": rows}}}))
    script = str(Path(__file__).resolve().parents[1] / "bench/abstention_errors.py")
    out = subprocess.run([sys.executable, script, str(path), "--unchecked"], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}).stdout
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "questions unanswerable 2 1 ( 1/ 0) 1 ( 1/ 0)" in lines
    assert "questions answerable 2 1 ( 1/ 0) 2 ( 1/ 1)" in lines
    # the recorded kind decides the group: an unanswerable `other` answered is a `kind` miss
    assert "unanswerable kind 1 (test7 0; others 1)" in " ".join(out.split())


def test_rank1_misses_puts_each_miss_under_one_cause_and_counts_both_lists(tmp_path):
    """`bench/rank1_misses.py --dev FILE` over the tiny on-disk index (real embedder): the question answered from
    its page is no miss; the same question with another indexed page as its gold is one, under exactly one cause and
    one single-list outcome; the unanswerable question (no gold page) is not searched; the JSON holds the counts."""
    from tests.test_evaluate import MODEL_DIR, QUESTIONS, publish_tiny_index

    publish_tiny_index(tmp_path / "data", chunking="test")
    right = QUESTIONS[1]  # "What does dvc add do with my dataset?": the DVC page
    wrong = {**right, "gold_urls": QUESTIONS[0]["gold_urls"]}  # the boto3 paginators page: ranked below
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(q) + "\n" for q in (right, wrong, QUESTIONS[4])))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    env.update(RA_DATA_DIR=str(tmp_path / "data"), RA_EMBEDDING_MODEL_DIR=str(MODEL_DIR), RA_QUESTION_LOG="off",
               PYTHONPATH=str(ROOT))
    out = tmp_path / "misses.json"
    subprocess.run([sys.executable, str(ROOT / "bench/rank1_misses.py"), "--dev", str(dev), "--json", str(out)],
                   capture_output=True, text=True, check=True, env=env)
    report = json.loads(out.read_text())
    assert report["dev.jsonl"]["searched"] == 2
    assert sum(report["all"]["cause"].values()) == 1 and set(report["all"]["cause"]) <= {
        "other week", "hub", "broader page", "sibling", "other"}
    assert sum(report["all"]["list"].values()) == 1 and sum(report["all"]["list_all"].values()) == 2
    assert sum(report["all"]["depth"].values()) == 1 and sum(report["all"]["title"].values()) == 1
    assert report["all"]["rare"]["searched"] == 2 and sum(report["all"]["rare_cause"].values()) == 1


def test_evidence_context_weighs_the_terms_no_hit_holds_by_whether_the_index_knows_them():
    """`bench/evidence_context.py`: a key term no hit holds is weighed by the context factor when the index knows it
    and by the unknown factor when no chunk does; dropping both lets the stated fact's sentence cover the question,
    and the keep rule counts answerable refusals saved against unanswerable ones lost (3 to 1)."""
    import numpy as np

    from tests import bench_scripts
    from vectorstore.question_asks import fact_terms

    bench = bench_scripts.load("evidence_context")
    decisions, kept, weights = bench.decisions, bench.kept, bench.weights

    query = "kinesis stream left untouched: records vanish after how long?"
    text = "Kinesis > Data retention\n\nA Kinesis data stream keeps records for 24 hours by default."
    terms = fact_terms(query)
    unknown = {t for t in terms if t.startswith("untouch")}
    row = {"file": "f", "unanswerable": False, "signals": (0.5,) * 5, "query": query, "texts": [text],
           "mention": False, "idf": dict.fromkeys(terms, 2.0), "known": {t: t not in unknown for t in terms}}
    w = weights(row, 0.5, 0.0)
    assert unknown and all(w[t] == 0.0 for t in unknown)
    assert w["kinesi"] == w["record"] == w["stream"] == 2.0  # held by the passage: full weight
    assert {t for t, v in w.items() if v == 1.0} == {t for t in terms if t not in unknown} - {"kinesi", "record",
                                                                                               "stream"}
    served, dropped = decisions([row], 1.0, 1.0)[0], decisions([row], 0.0, 0.0)[0]
    assert served.kind == dropped.kind == "duration"
    assert served.share is not None and served.share < 0.6 and dropped.share == 1.0
    un = np.array([False, False, False, False, True])
    before = np.array([True, True, True, False, False])
    every = np.ones(5, dtype=bool)
    assert kept(np.array([False, False, False, False, False]), before, un, every) == (True, 3)  # 3 saved, none lost
    assert kept(np.array([False, False, False, False, False]), np.array([True, True, True, False, True]), un,
                every) == (True, 0)                                                              # 3 saved, 1 lost
    assert kept(np.array([False, True, True, False, False]), np.array([True, True, True, False, True]), un,
                every)[0] is False                                                               # 1 saved, 1 lost
