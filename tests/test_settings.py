"""Settings as an operator meets them: a wrong value stops either command with one `error: RA_X: ...` line
and exit status 2 (never a pydantic traceback), list settings are JSON lists, and `to_env()` rebuilds the
same settings in a child process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from errors import ConfigError
from settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


@pytest.mark.parametrize("command", [["api", "--port", "1"], ["ingest", "--status"]], ids=["api", "ingest"])
@pytest.mark.parametrize("variable, value, expected", [
    ("RA_CHUNK_TOKENS", "abc", "RA_CHUNK_TOKENS: input should be a valid integer"),
    ("RA_CORS_ORIGINS", "https://x.org", "RA_CORS_ORIGINS: must be a JSON list of strings"),
    ("RA_TRUSTED_PROXIES", '["10.0.0.0/8", "proxy.local"]', "RA_TRUSTED_PROXIES: 'proxy.local' is not an IP"),
    ("RA_API_KEYS", "[1, 2]", "RA_API_KEYS: must be a JSON list of strings"),
])
def test_a_bad_setting_is_one_error_line_and_exit_2(tmp_path, command, variable, value, expected):
    """Both commands print exactly one line, `error: <VARIABLE>: <what is wrong>`, and exit with status 2."""
    done = subprocess.run([sys.executable, "-m", *command], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=clean_env(**{variable: value, "RA_DATA_DIR": str(tmp_path / "data")}))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {expected}"), done.stderr


def test_secrets_are_never_echoed_in_an_error():
    """A malformed key list is named, but its value is not printed."""
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None, api_keys="sk-live-secret-value")
    assert str(err.value).startswith("RA_API_KEYS:") and "sk-live" not in str(err.value)


def test_to_env_rebuilds_the_same_settings(tmp_path):
    """The variables of `to_env()` give a fresh process the very same settings, lists and paths included."""
    original = Settings(_env_file=None, data_dir=tmp_path / "d", api_keys=["k1", "k2"], cors_origins=["https://a.org"],
                        trusted_proxies=["10.0.0.0/8", "::1"], llm_timeout=2.5, openai_api_key="sk-x", onnx_threads=1)
    code = "import json; from settings import load_settings; print(load_settings().model_dump_json())"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=clean_env(**original.to_env()))
    assert done.returncode == 0, done.stderr
    assert Settings.model_validate_json(done.stdout) == original
