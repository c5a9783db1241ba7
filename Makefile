# One command to set up and run the main job, one to set up and run the tests.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup ingest serve test bench lint evaluate calibrate

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,lint]'
	touch $@

setup: $(VENV)/.installed

ingest: setup            ## build or update the index (embedded Chroma under ./data)
	$(BIN)/python -m ingest $(ARGS)

serve: setup             ## answer questions on http://127.0.0.1:8000
	$(BIN)/python -m api $(ARGS)

test: setup              ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest $(ARGS)

evaluate: setup          ## the evaluation on the dev set (README "Evaluation and benchmarks"); ARGS="--report FILE" etc.
	$(BIN)/python -m evaluation.evaluate --only dev $(ARGS)

calibrate: setup         ## refit the retrieval calibration on the dev set (5-fold CV); ARGS="--save" stores it
	$(BIN)/python -m evaluation.calibrate $(ARGS)

lint: setup              ## ruff and mypy with the pinned versions of the lint extra (CI runs it before the tests)
	$(BIN)/ruff check .
	$(BIN)/mypy
