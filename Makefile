# Two entry points: `make demo` (the main job) and `make test` (every test and check).
# Both build their own virtual environment from nothing, with only Python 3.10+ and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
PROMPT ?= a lighthouse on a cliff at sunset, watercolor
OUT    ?= out/demo.png

.PHONY: demo test lint typecheck unit unasync bench bench-compare bench-smoke docs docs-serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python pyproject.toml
	$(PIP) install -e .
	touch $@

$(VENV)/.dev: $(BIN)/python pyproject.toml
	$(PIP) install -e '.[dev]'
	touch $@ $(VENV)/.runtime

$(VENV)/.docs: $(VENV)/.dev pyproject.toml
	$(PIP) install -e '.[dev,docs]'
	touch $@

# Generates an image through the CLI and the full HTTP stack: against Azure when
# AZURE_AI_PROJECT_ENDPOINT or AZURE_OPENAI_ENDPOINT is set, else against the built-in emulator.
demo: $(VENV)/.runtime
	$(BIN)/foundry-imagegen generate "$(PROMPT)" -o $(OUT) --emulator-if-unconfigured --overwrite

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests examples benchmarks scripts
	$(BIN)/ruff format --check src tests examples benchmarks scripts
	$(BIN)/python scripts/unasync.py --check
	$(BIN)/python scripts/twins.py --max 60

# The sync shell is generated from the async one: edit _shell/_async/, then run this.
unasync: $(VENV)/.dev
	$(BIN)/python scripts/unasync.py

typecheck: $(VENV)/.dev
	$(BIN)/mypy --strict src tests

unit: $(VENV)/.dev
	$(BIN)/pytest -q

# The benchmarks run once with tiny inputs: a check that they still work, not a timing.
bench-smoke: $(VENV)/.dev
	$(BIN)/python benchmarks/streaming.py --smoke
	$(BIN)/python benchmarks/compare.py --smoke
	$(BIN)/python benchmarks/import_time.py --runs 1
	$(BIN)/python benchmarks/emulator_images.py --runs 1
	$(BIN)/python benchmarks/image_check.py --smoke
	$(BIN)/python benchmarks/hostile_memory.py --smoke
	$(BIN)/python benchmarks/batch.py --smoke
	$(BIN)/python benchmarks/tracing.py --smoke

# The docs site into site/, strict: a broken link, anchor or API reference fails the build.
docs: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

test: lint typecheck unit bench-smoke docs

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/import_time.py
	$(BIN)/python benchmarks/streaming.py
	$(BIN)/python benchmarks/emulator_images.py
	$(BIN)/python benchmarks/image_check.py
	$(BIN)/python benchmarks/hostile_memory.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/tracing.py

# The side-by-side comparison (docs/performance.md), in an environment a user has: the package with its
# runtime dependencies and openai, and nothing of the dev tools (their click makes httpx import its own
# command line, rich and pygments, in every process).
BENCH_VENV ?= .bench-venv
bench-compare:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip --disable-pip-version-check -q install . openai
	$(BENCH_VENV)/bin/python benchmarks/compare.py $(ARGS)

clean:
	rm -rf $(VENV) $(BENCH_VENV) out site .mypy_cache .ruff_cache .pytest_cache .hypothesis
