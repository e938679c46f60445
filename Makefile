# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The suite spreads over the machine's cores (pytest-xdist); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto

.PHONY: run test fuzz lint bench venv clean oidc-provider axe-core console-vendor

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	LIENTHONG_ENVIRONMENT=$${LIENTHONG_ENVIRONMENT:-development} \
	LIENTHONG_DEV_SIGNIN=$${LIENTHONG_DEV_SIGNIN:-$$([ "$${LIENTHONG_ENVIRONMENT:-development}" = development ] && echo 1 || echo 0)} \
	$(BIN)/lienthong serve --host $(HOST) --port $(PORT)

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

# The console's accessibility check runs axe-core (npm, pinned by its lock file) in the browser
# tests; installed here like the provider. Without npm, that check skips and says why.
AXE       := tests/console/axe
AXE_STAMP := $(AXE)/node_modules/.installed-stamp

$(AXE_STAMP): $(AXE)/package.json $(AXE)/package-lock.json
	cd $(AXE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

axe-core:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(AXE_STAMP); \
	else echo "npm not found: the console's accessibility check will skip"; fi

# Maintainers only: refresh the console's vendored browser files (htmx, ECharts) from the
# pinned npm packages. They are committed, so `make run` needs neither npm nor the network.
CONSOLE_VENDOR := src/lienthong/console/vendor
CONSOLE_STATIC := src/lienthong/console/static/vendor

console-vendor:
	cd $(CONSOLE_VENDOR) && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(CONSOLE_STATIC)
	cp $(CONSOLE_VENDOR)/node_modules/htmx.org/dist/htmx.min.js $(CONSOLE_STATIC)/htmx.min.js
	cp $(CONSOLE_VENDOR)/node_modules/htmx.org/LICENSE $(CONSOLE_STATIC)/htmx.LICENSE
	cp $(CONSOLE_VENDOR)/node_modules/echarts/dist/echarts.common.min.js $(CONSOLE_STATIC)/echarts.min.js
	cp $(CONSOLE_VENDOR)/node_modules/echarts/LICENSE $(CONSOLE_STATIC)/echarts.LICENSE
	cp $(CONSOLE_VENDOR)/node_modules/echarts/NOTICE $(CONSOLE_STATIC)/echarts.NOTICE
	cp $(CONSOLE_VENDOR)/node_modules/zrender/LICENSE $(CONSOLE_STATIC)/zrender.LICENSE
	cp $(CONSOLE_VENDOR)/node_modules/tslib/LICENSE.txt $(CONSOLE_STATIC)/tslib.LICENSE
	gzip -9 -k -n -f $(CONSOLE_STATIC)/htmx.min.js $(CONSOLE_STATIC)/echarts.min.js

test: $(STAMP) oidc-provider axe-core
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
	rm -rf $(VENV) data .pytest_cache .ruff_cache $(PROVIDER)/node_modules $(AXE)/node_modules \
		$(CONSOLE_VENDOR)/node_modules build
