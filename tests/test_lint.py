"""`make lint` bites: mypy and ruff, with the project's own configuration (pyproject.toml), fail on a new
untyped function in api/ or vectorstore/ and on a new ruff finding, and pass the same code written cleanly.

The checks run on small probe files in a temporary folder laid out like the project (api/, vectorstore/ and
ingest/ packages), so the configuration's per-package strictness applies to them as it does to the real tree;
nothing in the repository is touched. Offline, a few seconds (mypy loads pydantic's plugin).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"

UNTYPED = "def first(items):\n    return items[0]\n"
TYPED = "def first(items: list[int]) -> int:\n    return items[0]\n"


def probe(root: Path, files: dict[str, str]) -> list[str]:
    """Write `files` (path -> source) under `root`, each folder a package; their paths, as given."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
    return list(files)


def run(tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The tool from this interpreter's environment (the versions pinned in the `lint` extra)."""
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=cwd, capture_output=True, text=True, timeout=240)


def test_mypy_fails_on_an_untyped_function_in_the_strict_packages_only(tmp_path: Path) -> None:
    """The same untyped function fails in api/ and vectorstore/ (strict), passes in ingest/ (default strictness),
    and its typed form passes in api/."""
    files = probe(tmp_path, {"api/_probe.py": UNTYPED, "vectorstore/_probe.py": UNTYPED,
                             "ingest/_probe.py": UNTYPED, "api/_typed.py": TYPED})
    r = run("mypy", "--config-file", str(CONFIG), "--cache-dir", os.devnull, "--no-warn-unused-configs", *files,
            cwd=tmp_path)
    errors = sorted(line for line in r.stdout.splitlines() if ": error:" in line)
    assert r.returncode == 1, r.stdout + r.stderr
    assert errors == [f"{name}:1: error: Function is missing a type annotation  [no-untyped-def]"
                      for name in ("api/_probe.py", "vectorstore/_probe.py")], r.stdout


def test_ruff_fails_on_a_new_finding_and_passes_clean_code(tmp_path: Path) -> None:
    """Unused and unsorted imports, zip() without strict= and a line over 120 columns are findings; the clean
    twin (a 120-column line, a word set written as one string: an ignore the configuration gives) passes."""
    long_line = "# " + "x" * 119  # 121 columns
    probe(tmp_path, {
        "api/_probe.py": "import sys\nimport os\n\n\ndef pairs(a: list[int], b: list[int]) -> list[tuple[int, int]]:\n"
                         f"    return list(zip(a, b))\n{long_line}\n",
        "api/_clean.py": 'WORDS = frozenset("a an the".split())\n\n\n'
                         "def pairs(a: list[int], b: list[int]) -> list[tuple[int, int]]:\n"
                         f"    return list(zip(a, b, strict=True))\n{long_line[:120]}\n",
    })
    r = run("ruff", "check", "--config", str(CONFIG), "--no-cache", "--output-format", "concise", ".", cwd=tmp_path)
    found = sorted(set(re.findall(r"^(\S+?):\d+:\d+: ([A-Z]+\d+)", r.stdout, flags=re.M)))
    assert r.returncode == 1, r.stdout + r.stderr
    assert found == [("api/_probe.py", code) for code in ("B905", "E501", "F401", "I001")], r.stdout
