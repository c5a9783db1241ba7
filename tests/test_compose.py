"""The deployment files agree with the code: `docker-compose.yml`, `Dockerfile`, `.env.example` and
`.dockerignore` name only real settings (and every setting is documented with its default), their ports,
paths and health checks point at what the code serves, the Chroma image matches the pinned client, and the
Dockerfile's own build steps (dependency list, model download) work when run from the files it copies.
No Docker engine is needed: the files are parsed and their commands run here.
"""
from __future__ import annotations

import fnmatch
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SERVICES = COMPOSE["services"]
ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    out, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = pending + line
        pending = ""
        word, _, rest = full.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


DOCKERFILE = dockerfile()


def instructions(name: str) -> list[str]:
    return [args for word, args in DOCKERFILE if word == name]


def docker_env() -> dict[str, str]:
    env = {}
    for args in instructions("ENV"):
        env.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
    return env


def env_names() -> dict[str, str]:
    """Environment variable -> Settings field: `RA_` + the upper-cased name, or the field's alias choices."""
    names = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None) or ([alias] if alias else [f"RA_{name.upper()}"])
        names.update({str(choice): name for choice in choices})
    return names


def env_example_entries() -> dict[str, str]:
    return {m.group(1): m.group(2) for line in ENV_EXAMPLE.splitlines() if (m := ENV_LINE.match(line.strip()))}


def python_c(argv: list[str]) -> str:
    """The code of the first `python -c CODE` in a command's words."""
    i = next(i for i, w in enumerate(argv) if w == "python" and argv[i + 1] == "-c")
    return argv[i + 2]


def cmd_port() -> int:
    cmd = json.loads(instructions("CMD")[-1])
    return int(cmd[cmd.index("--port") + 1])


def route_paths(routes, prefix: str = "") -> set[str]:
    """Every path an app serves: plain routes, and the routes of included routers (FastAPI >= 0.165 keeps
    those behind `_IncludedRouter` objects with their `original_router`)."""
    paths = set()
    for route in routes:
        if getattr(route, "path", None) is not None:
            paths.add(prefix + route.path)
        if getattr(route, "original_router", None) is not None:
            paths |= route_paths(route.original_router.routes, prefix + route.include_context.prefix)
    return paths


def health_url(test: list[str]) -> str:
    found = re.search(r"['\"](http://[^'\"]+)['\"]", python_c(test))
    assert found, test
    return found.group(1)


def test_every_ra_variable_in_compose_and_env_example_is_a_setting():
    """Each RA_* / OPENAI_* name in docker-compose.yml, .env.example and the Dockerfile's ENV is a Settings field."""
    known = env_names()
    for where, text in (("docker-compose.yml", COMPOSE_TEXT), (".env.example", ENV_EXAMPLE)):
        named = set(re.findall(r"\b(?:RA|OPENAI)_[A-Z0-9_]+\b", text))
        assert named, where
        assert named <= set(known), f"{where} names unknown settings: {sorted(named - set(known))}"
    assert {n for n in docker_env() if n.startswith("RA_")} <= set(known)


def test_env_example_lists_every_setting_with_its_default(monkeypatch):
    """.env.example has a `NAME=default` line for every Settings field, and each default is the code's default."""
    entries = env_example_entries()
    by_field = {field: env for env, field in env_names().items() if env in entries}
    assert set(by_field) == set(Settings.model_fields), f"missing: {sorted(set(Settings.model_fields) - set(by_field))}"
    for var in [v for v in os.environ if v.startswith(("RA_", "OPENAI_"))]:
        monkeypatch.delenv(var)
    for field, env in by_field.items():
        default = Settings.model_fields[field].get_default(call_default_factory=True)
        value = entries[env]
        if value == "":
            assert default is None, f"{env} is documented as unset but defaults to {default!r}"
            continue
        monkeypatch.setenv(env, value)
        parsed = getattr(Settings(_env_file=None), field)
        monkeypatch.delenv(env)
        if isinstance(parsed, Path):
            parsed = parsed.expanduser()
        assert parsed == default, f"{env}={value} in .env.example, but the default is {default!r}"


def test_secrets_are_never_baked_into_the_image():
    """The Dockerfile sets no secret, no ENV/ARG names one, and .dockerignore keeps .env out of the context."""
    secrets = ("OPENAI_API_KEY", "RA_OPENAI_API_KEY", "RA_ADMIN_TOKEN")
    for word in ("ENV", "ARG"):
        for args in instructions(word):
            assert not any(s in args for s in secrets), f"{word} {args}"
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    ignored = [line for line in lines if line and not line.startswith("#")]
    assert any(fnmatch.fnmatch(".env", p) for p in ignored)
    for needed in ("pyproject.toml", "settings.py", "errors.py", "roadmap.md", "api", "ingest", "vectorstore"):
        assert not any(fnmatch.fnmatch(needed, p) for p in ignored), f".dockerignore drops {needed}"
    api_env = SERVICES["api"].get("environment", {})
    assert not set(secrets) & set(api_env), "compose must take secrets from .env at run time"


def test_dockerfile_is_slim_non_root_and_installs_no_test_extra():
    """python:3.11-slim base, the last USER is not root, no `[test]` extra, the project is installed with --no-deps."""
    assert instructions("FROM") == ["python:3.11-slim"]
    user = instructions("USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    assert [w for w, _ in DOCKERFILE].index("USER") < [w for w, _ in DOCKERFILE].index("CMD")
    runs = " ".join(instructions("RUN"))
    assert "[test]" not in runs and "optional-dependencies" not in runs
    assert "pip install --no-deps ." in runs
    assert not re.search(r"apt-get|build-essential|\bgcc\b|\bcurl\b|\bgit\b", runs), "no dev tools in the image"


def test_dependency_layer_installs_exactly_the_runtime_dependencies(tmp_path):
    """The Dockerfile's requirements step, run on pyproject.toml, lists `[project] dependencies` and no test extra."""
    step = next(r for r in instructions("RUN") if "tomllib" in r)
    assert instructions("COPY")[0] == "pyproject.toml ./", "pyproject.toml alone first: its own cached layer"
    assert DOCKERFILE.index(("RUN", step)) < DOCKERFILE.index(("COPY", ". .")), "dependencies before the code"
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    out = subprocess.run([sys.executable, "-c", python_c(shlex.split(step))], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == PYPROJECT["project"]["dependencies"]
    test_extra = {re.split(r"[<>=\[ ]", r)[0].lower() for r in PYPROJECT["project"]["optional-dependencies"]["test"]}
    assert not test_extra & {re.split(r"[<>=\[ ]", r)[0].lower() for r in out}


def test_model_step_runs_ensure_model_from_the_files_it_copies(tmp_path):
    """The model build step runs our ensure_model from only the files COPY'd for it, on RA_EMBEDDING_MODEL_DIR."""
    from vectorstore.embeddings import MODEL_FILES

    stage = "/tmp/model-fetch"
    for args in instructions("COPY"):
        *sources, dest = args.split()
        if dest.startswith(stage):
            target = tmp_path / "stage" / dest[len(stage):].strip("/")
            target.mkdir(parents=True, exist_ok=True)
            for src in sources:
                shutil.copy(ROOT / src, target)
    step = next(r for r in instructions("RUN") if "ensure_model" in r)
    code = python_c(shlex.split(step))
    model_src = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR", ROOT.parent / "shared/models/all-MiniLM-L6-v2/onnx"))
    model_dir = tmp_path / "models" / "onnx"
    model_dir.mkdir(parents=True)
    for name in MODEL_FILES:  # present already, so ensure_model returns without downloading
        (model_dir / name).symlink_to(model_src / name)
    probe = code + "; import errors, vectorstore.embeddings as e; print(errors.__file__); print(e.__file__)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path / "stage", capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "RA_EMBEDDING_MODEL_DIR": str(model_dir)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert str(model_dir) in lines[0]
    assert all(line.startswith(str(tmp_path / "stage")) for line in lines[1:]), "imported from outside the copied files"
    assert Path(docker_env()["RA_EMBEDDING_MODEL_DIR"]).is_absolute()
    assert DOCKERFILE.index(("RUN", step)) < DOCKERFILE.index(("COPY", ". .")), "code changes must not re-download"


def test_api_port_mapping_targets_the_port_the_image_serves():
    """Compose publishes ${RA_PORT:-8000} to the container port of the Dockerfile's CMD, which the CLI accepts."""
    from api.cli import parse_args

    cmd = json.loads(instructions("CMD")[-1])
    assert cmd[:3] == ["python", "-m", "api"]
    args = parse_args(cmd[3:], "127.0.0.1", 1)
    assert (args.host, args.port) == ("0.0.0.0", cmd_port())
    assert str(cmd_port()) in instructions("EXPOSE")[0].split()
    (mapping,) = SERVICES["api"]["ports"]
    host, container = mapping.rsplit(":", 1)
    assert int(container) == cmd_port()
    assert host == "${RA_PORT:-8000}"


def test_health_checks_hit_real_endpoints():
    """The image's and compose's API health checks GET /readyz (a route of create_app) on the served port."""
    from api.app import create_app

    app = create_app(Settings(_env_file=None, rate_limit_per_minute=0))
    paths = route_paths(app.routes)
    assert "/ask" in paths  # the walk reaches the included routers
    docker_check = json.loads(instructions("HEALTHCHECK")[0].split("CMD", 1)[1])
    for test in (docker_check, SERVICES["api"]["healthcheck"]["test"]):
        url = urlsplit(health_url(test))
        assert url.path == "/readyz" and url.path in paths
        assert url.port == cmd_port()


def test_chroma_health_check_uses_the_clients_heartbeat_path():
    """Chroma's health check GETs the heartbeat path the pinned chromadb client itself calls."""
    from chromadb.api.fastapi import FastAPI as ChromaHttpApi
    from chromadb.config import Settings as ChromaSettings

    source = inspect.getsource(ChromaHttpApi.heartbeat)
    (endpoint,) = re.findall(r"[\"'](/heartbeat)[\"']", source)
    prefix = ChromaSettings().chroma_server_api_default_path
    path = getattr(prefix, "value", prefix) + endpoint
    assert path == "/api/v2/heartbeat"
    test = " ".join(SERVICES["chroma"]["healthcheck"]["test"])
    assert f"GET {path} " in test


def test_chroma_image_matches_the_pinned_client_and_persists_to_a_volume():
    """chromadb/chroma's tag equals the chromadb pin (and the installed client); a named volume holds /data."""
    import chromadb

    pin = next(d for d in PYPROJECT["project"]["dependencies"] if re.match(r"chromadb\s*==", d)).split("==")[1].strip()
    image, tag = SERVICES["chroma"]["image"].rsplit(":", 1)
    assert image == "chromadb/chroma" and tag == pin == chromadb.__version__
    volumes = dict(v.split(":")[:2][::-1] for v in SERVICES["chroma"]["volumes"])
    assert volumes["/data"] in COMPOSE["volumes"]


def test_services_are_wired_to_chroma_and_the_data_volume():
    """api, ingest and the cron example use the chroma service, wait for it to be healthy, and share RA_DATA_DIR."""
    data_dir = docker_env()["RA_DATA_DIR"]
    for name in ("api", "ingest", "reindex-cron"):
        svc = SERVICES[name]
        assert svc["depends_on"]["chroma"]["condition"] == "service_healthy"
        url = re.search(r"http://[^}]+", svc["environment"]["RA_CHROMA_URL"]).group(0)
        assert urlsplit(url).hostname in SERVICES and urlsplit(url).port == 8000
        targets = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
        assert targets[data_dir] in COMPOSE["volumes"]
        assert str(Path(instructions("WORKDIR")[-1]) / Settings.model_fields["roadmap"].default) in targets
        assert svc["build"] == "."
        assert svc["env_file"] == [{"path": ".env", "required": False}]
    ingest = SERVICES["ingest"]
    assert ingest["profiles"] == ["ingest"] and ingest["restart"] == "no"
    assert ingest["command"] == ["python", "-m", "ingest"]
    assert "profiles" in SERVICES["reindex-cron"] and "profiles" not in SERVICES["api"]

