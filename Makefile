# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The suite spreads over the machine's cores (pytest-xdist); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto

.PHONY: run test fuzz lint bench venv clean oidc-provider

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	LIENTHONG_ENVIRONMENT=$${LIENTHONG_ENVIRONMENT:-development} $(BIN)/lienthong serve --host $(HOST) --port $(PORT)

# The sign-in tests' OpenID provider (npm package oidc-provider, pinned by its lock file),
# installed once here so that nothing downloads while the tests run. Without npm, those tests
# skip and say why.
PROVIDER       := tests/signin/provider
PROVIDER_STAMP := $(PROVIDER)/node_modules/.installed-stamp

$(PROVIDER_STAMP): $(PROVIDER)/package.json $(PROVIDER)/package-lock.json
	cd $(PROVIDER) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

oidc-provider:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(PROVIDER_STAMP); \
	else echo "node/npm not found: the sign-in tests against a real OpenID provider will skip"; fi

test: $(STAMP) oidc-provider
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The API fuzzing alone, longer than in `make test`: FUZZ_EXAMPLES, FUZZ_STEPS, FUZZ_SEED.
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} FUZZ_STEPS=$${FUZZ_STEPS:-40} $(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m fuzz -s $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy src

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b $(BENCH_ARGS) || exit 1; done

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache $(PROVIDER)/node_modules
