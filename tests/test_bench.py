"""The benchmark scripts' own rules, run as the README runs them: `bench/study_bench.py` measures with the rate
limit off whatever the environment says, and `bench/load.py --conversations` sends only the split asked for
(dev by default). Real processes against real services on the fixture indexes; no test data is read."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
