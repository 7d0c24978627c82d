# Two commands for a fresh machine: `make run` and `make test` (see README).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=
STAMP := $(VENV)/.installed

.PHONY: run test install lock bench clean

$(STAMP): requirements-dev.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# The lock is a complete, hashed closure (pip-compile made it), so pip's resolver
	@# is kept out of it with --no-deps: with the resolver on, pip 23.2.1 (Python 3.11.7's
	@# own) looked past the locked httpx for litellm's `httpx[http2]` extra as soon as a
	@# newer httpx was published, and refused the install. `pip check` proves nothing is missing.
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/debrief migrate --noinput
	$(BIN)/debrief demo
	$(BIN)/debrief serve --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# Re-resolve the locked dependencies (needs network access to the package index).
lock:
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

# Every benchmark, then one table of their headline figures (bench/_table.py).
bench: install
	@summary=$$(mktemp); trap 'rm -f $$summary' EXIT; status=0; \
	for script in bench/[!_]*.py; do echo "== $$script"; BENCH_SUMMARY=$$summary $(BIN)/python $$script || status=1; done; \
	BENCH_SUMMARY=$$summary $(BIN)/python bench/_table.py; exit $$status

clean:
	rm -rf $(VENV) var
