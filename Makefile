# Quick start on a fresh clone: `make site`, then `make test`.
PYTHON ?= python3
VENV ?= .venv
# torch first, pinned: this exact version is a local CPU build here; a looser
# spec downloads a multi-GB CUDA build. Override e.g. `make TORCH_SPEC=torch==2.9.1`.
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup site test check lint format bench bench-ref bench-wiki bench-verify bench-losses clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e '.[dev,ref,ray]'
	touch $(STAMP)

site: setup
	$(BIN)/wiki build
	@echo ""
	@echo "Site built in ./site/ -- open site/index.html in a browser,"
	@echo "or serve it: $(BIN)/python -m http.server -d site 8000  (then http://localhost:8000)"

# pytest exits 5 when it collected no tests: a broken suite, never a pass.
# One pytest worker per core (pytest-xdist), each test file whole in one worker, so a
# module's fixtures are made once; `make test TEST_WORKERS=0` runs in this process alone.
TEST_WORKERS ?= auto
test: setup
	@$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

check: setup
	$(BIN)/wiki check --strict

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .

# Speed and memory are measured here, not in tests; each writes benchmarks/<name>.md.
bench: bench-losses bench-wiki bench-verify bench-ref

bench-ref: setup
	$(BIN)/python benchmarks/bench_ref.py

bench-wiki: setup
	$(BIN)/python benchmarks/bench_wiki.py

bench-verify: setup
	$(BIN)/python benchmarks/bench_verify.py

bench-losses: setup
	$(BIN)/python benchmarks/bench_losses.py

clean:
	rm -rf site .wiki-build .pytest_cache
