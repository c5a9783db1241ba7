# syntax=docker/dockerfile:1
# roadmap-assistant: one image for the API (the default command) and the ingest job (`python -m ingest`).
#
#   docker build -t roadmap-assistant .                        # bakes the embedding model in (checksum-verified)
#   docker build --build-arg BAKE_MODEL=0 -t roadmap-assistant .   # no model inside: mount one (docs/deploy.md)
#
# Secrets (OPENAI_API_KEY, RA_ADMIN_TOKEN) are never part of the image: pass them at run time
# (`docker run -e`, compose `env_file: .env`); `.dockerignore` keeps `.env` out of the build context.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RA_DATA_DIR=/var/lib/roadmap-assistant \
    RA_EMBEDDING_MODEL_DIR=/opt/models/all-MiniLM-L6-v2/onnx

# An unprivileged user; the data folder (ingest lock, run reports, feedback) is the only place it writes.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/app app \
 && mkdir -p "$RA_DATA_DIR" \
 && chown app:app "$RA_DATA_DIR"

WORKDIR /app

# 1. Third-party dependencies only: `[project] dependencies` of pyproject.toml (not the `test` extra).
#    Every one of them ships binary wheels for linux x86_64 and aarch64, so no compiler is installed.
#    This layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# 2. The embedding model (all-MiniLM-L6-v2, ONNX): our own `ensure_model` downloads the archive Chroma uses
#    (same URL, same SHA-256, verified before unpacking) into RA_EMBEDDING_MODEL_DIR. Only the two files it
#    needs (and the CPU count it imports) are copied first, so code changes elsewhere do not download it again.
#    With BAKE_MODEL=0 the folder stays empty: mount a folder holding model.onnx + tokenizer.json there.
ARG BAKE_MODEL=1
COPY errors.py /tmp/model-fetch/
COPY vectorstore/__init__.py vectorstore/embeddings.py vectorstore/cpus.py /tmp/model-fetch/vectorstore/
RUN if [ "$BAKE_MODEL" = "1" ]; then \
        cd /tmp/model-fetch \
        && python -c 'import os, pathlib; from vectorstore.embeddings import ensure_model; print("embedding model in", ensure_model(pathlib.Path(os.environ["RA_EMBEDDING_MODEL_DIR"])))' \
        && chmod -R a+rX /opt/models; \
    else \
        mkdir -p "$RA_EMBEDDING_MODEL_DIR"; \
    fi \
 && rm -rf /tmp/model-fetch

# 3. The project itself, without touching the dependencies installed above. roadmap.md is baked in at
#    /app/roadmap.md (RA_ROADMAP's default, relative to the working directory); compose mounts a newer one.
COPY . .
RUN pip install --no-deps . \
 && rm -rf build ./*.egg-info

USER 10001:10001

EXPOSE 8000

# /readyz answers 200 once an index is loaded (503 before the first ingest); slim has no curl, so Python.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]

CMD ["python", "-m", "api", "--host", "0.0.0.0", "--port", "8000"]
