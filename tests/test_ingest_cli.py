"""The keeper's command line as a keeper runs it: `python -m ingest` in a subprocess with its output piped (as
into `tee`, a log or CI), its reports drawn on a terminal, `--help`, and `--status` on a read-only folder."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from ingest.progress import print_summary
from ingest.report import IngestReport, PageOutcome
from ingest.status import index_status, print_links, print_status
from vectorstore.client import open_client
from vectorstore.store import IndexStore

ROOT = Path(__file__).resolve().parents[1]
LONG = "https://docs.example.org/" + "/".join(["a-rather-long-folder-name"] * 5) + "/missing-page.html"
BOX = set("┏┃┡│└━─┳╇┓┩┛┗")


def env_for(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    env.update(RA_DATA_DIR=str(settings.data_dir), RA_ROADMAP=str(settings.roadmap),
               RA_MIRROR_BASE=settings.mirror_base, RA_EMBEDDING_MODEL_DIR=str(settings.embedding_model_dir),
               RA_CRAWL_DEPTH="0", RA_FETCH_RETRIES="0", PYTHONPATH=str(ROOT), COLUMNS="")
    return env


def ingest(settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest", *args], cwd=ROOT, env=env_for(settings),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def run(tmp_path_factory, fixture_index):
    """A first build of the fixture roadmap plus one link with a long URL that answers 404, output piped."""
    tmp = tmp_path_factory.mktemp("cli")
    roadmap = tmp / "roadmap.md"
    roadmap.write_text(fixture_index.roadmap.read_text() + f"- [ ] **Long one**: {LONG}\n")
    settings = fixture_index.model_copy(update={"data_dir": tmp / "data", "roadmap": roadmap})
    return settings, ingest(settings)


def drawn(text: str) -> list[str]:
    return [line for line in text.splitlines() if BOX & set(line)]


def test_a_piped_run_draws_80_columns_and_prints_full_urls(run):
    """Off a terminal the counts table fits 80 columns, a first build reports 0 metadata updates, and the failed
    link is printed whole on a plain line, not cut."""
    _settings, done = run
    assert done.returncode == 0, done.stderr
    assert drawn(done.stdout) and all(len(line) <= 80 for line in drawn(done.stdout))
    assert "published" in done.stdout.splitlines()[0]
    assert ["metadata", "updated", "0"] in [line.replace("│", " ").split() for line in done.stdout.splitlines()]
    assert f"  {LONG}: HTTP 404 Not Found" in done.stdout.splitlines()


def test_piped_status_and_links_print_every_url_whole(run):
    """`--status` and `--links` piped: tables within 80 columns, every page and link URL on a line of its own."""
    settings, _ = run
    status, links = ingest(settings, "--status"), ingest(settings, "--links")
    assert status.returncode == links.returncode == 0, status.stderr + links.stderr
    for out in (status.stdout, links.stdout):
        assert all(len(line) <= 80 for line in drawn(out))
    for url in ("https://docs.example.org/python/tutorial/", "https://aws.example.org/sagemaker/endpoints.html"):
        assert any(line.split()[2] == url for line in status.stdout.splitlines() if url in line)
    long_line = next(line for line in links.stdout.splitlines() if LONG in line)
    assert long_line.split()[:3] == ["3", "404", "failed"] and long_line.endswith(f"{LONG} (HTTP 404 Not Found)")


def test_on_a_terminal_urls_are_cut_and_text_wraps(run):
    """Drawn for a 72-column terminal, every line fits, URLs are cut with '…' and reasons wrap, never cut."""
    settings, _ = run
    status = index_status(IndexStore(open_client(settings.data_dir, read_only=True), settings.collection))
    report = IngestReport(run_id="r1", started_at="now", pages=[PageOutcome(LONG, "failed", "HTTP 404 Not Found "
                          "after the server said so in a long and winding explanation", 0)])
    for show in (lambda c: print_links(status, c), lambda c: print_status(status, c),
                 lambda c: print_summary(report, c)):
        out = Console(force_terminal=True, width=72, color_system=None, record=True)
        show(out)
        text = out.export_text()
        assert all(len(line) <= 72 for line in text.splitlines()), text
        assert LONG not in text and any("https://docs.exa" in ln and "…" in ln for ln in text.splitlines())
    assert "winding" in text and "explanation" in text  # the reason wrapped onto another line, whole


def test_help_lists_the_exit_codes():
    done = subprocess.run([sys.executable, "-m", "ingest", "--help"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    codes = [line.split()[0] for line in done.stdout.split("exit codes:")[1].splitlines() if line[:5].strip()]
    assert done.returncode == 0 and codes == ["0", "1", "2", "3", "130"]
    assert "--force" in done.stdout


def test_status_creates_nothing_where_there_is_no_index(run, tmp_path):
    """`--status` on a folder without an index says so and creates no file or folder there."""
    settings, _ = run
    empty = settings.model_copy(update={"data_dir": tmp_path / "nothing"})
    done = ingest(empty, "--status")
    assert done.returncode == 0 and "no index yet" in done.stdout
    assert not (tmp_path / "nothing").exists()


def test_status_works_on_a_read_only_folder(run, tmp_path):
    """With the data folder mounted read-only (a private mount namespace), `--status` and `--links` still report."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare to mount a read-only folder")
    settings, _ = run
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data)
    env = env_for(settings.model_copy(update={"data_dir": data}))
    script = (f"mount --bind {data} {data} && mount -o remount,ro,bind {data} && touch {data}/probe 2>/dev/null "
              f"&& echo WRITABLE; {sys.executable} -m ingest --status && {sys.executable} -m ingest --links")
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    if "mount" in done.stderr and done.returncode != 0 and "index version" not in done.stdout:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    assert "WRITABLE" not in done.stdout and done.returncode == 0, done.stderr
    assert "index version 1" in done.stdout and f"{LONG} (HTTP 404 Not Found)" in done.stdout
