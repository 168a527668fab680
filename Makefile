# Vínculo — the two commands: `make run` and `make test`.
# Another Python gets a venv of its own: make test PYTHON=/root/.pyenv/versions/3.13.0/bin/python3 VENV=.venv-3.13
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VINCULO := $(BIN)/vinculo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test fuzz install install-test lint messages compilemessages bench demo-large mutate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Catalogs are committed compiled too, so a machine without gettext still runs; with it, they are rebuilt.
compilemessages: install
	@if command -v msgfmt >/dev/null 2>&1; then cd src/vinculo && ../../$(VINCULO) compilemessages --ignore=.venv -v0; fi

# English msgids are the English text: the English catalog is rebuilt from them each time (msgen),
# dropping merge guesses that makemessages marks fuzzy.
EN_PO := src/vinculo/locale/en/LC_MESSAGES/django.po
messages: install
	cd src/vinculo && ../../$(VINCULO) makemessages -l es -l en --no-obsolete --ignore="*/tests/*" -v0
	msgfilter --keep-header -i $(EN_PO) -o $(EN_PO).tmp sed -e d
	msgen -o $(EN_PO).tmp $(EN_PO).tmp
	msgattrib --clear-fuzzy --clear-previous -o $(EN_PO) $(EN_PO).tmp
	rm -f $(EN_PO).tmp
	cd src/vinculo && ../../$(VINCULO) compilemessages -v0
	@msgfmt --statistics -o /dev/null src/vinculo/locale/es/LC_MESSAGES/django.po

run: install compilemessages
	$(VINCULO) migrate --no-input -v0
	$(VINCULO) demo --size small
	@echo ""
	@echo "  Vínculo is running on http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password: demo): admin, director, gerente.norte, vendedor.norte, vendedor.sur, finanzas, catalogo"
	@echo ""
	@# The worker runs the event handlers (search index, ...) beside the server and stops with it.
	DEBUG=1 $(VINCULO) worker -v0 & trap "kill $$! 2>/dev/null" EXIT INT TERM; DEBUG=1 $(VINCULO) runserver $(HOST):$(PORT)

# Two workers (pytest-xdist), each with its own test database; a file's tests stay on one worker, so a
# demo test file loads the demo once. The order is random (pytest-randomly prints its seed): replay one
# serially with PYTEST_ARGS="--randomly-seed=N"; PYTEST_ARGS="-p no:randomly" runs serially in file order.
PYTEST_ARGS ?= -n 2 --dist loadfile
test: install-test compilemessages
	$(BIN)/ruff check src bench
	$(VINCULO) makemigrations --check --dry-run -v0
	$(BIN)/pytest $(PYTEST_ARGS)

# Schemathesis over every operation of the API, as a rep and as an admin of the small demo, with a fixed
# seed (src/vinculo/api/tests/test_fuzz.py): fails on a 5xx, an undocumented status or content type, or an
# answer that does not match the OpenAPI document. FUZZ_EXAMPLES sets the requests per operation and user.
FUZZ_ARGS ?= -n 2
fuzz: install-test compilemessages
	$(BIN)/pytest -m fuzz -p no:randomly $(FUZZ_ARGS) src/vinculo/api/tests/test_fuzz.py

lint: install-test
	$(BIN)/ruff check src bench

# The benchmark dataset lives in its own database (var/bench) so the demo database stays small.
BENCH_ENV := VINCULO_DATA_DIR=$(CURDIR)/var/bench

demo-large: install
	$(BENCH_ENV) $(VINCULO) migrate --no-input -v0
	$(BENCH_ENV) $(VINCULO) demo --size large

# DEBUG is off, as in production: the pages name the collected (hashed) static files.
bench: install
	@$(MAKE) --no-print-directory demo-large
	$(BENCH_ENV) $(VINCULO) migrate --no-input -v0
	$(BENCH_ENV) $(VINCULO) collectstatic --no-input -v0
	$(BENCH_ENV) $(BIN)/python bench/run.py
	$(BENCH_ENV) $(BIN)/python bench/run.py --serve
	$(BENCH_ENV) $(BIN)/python bench/reports.py
	$(BENCH_ENV) $(BIN)/python bench/imports.py
	$(BENCH_ENV) $(BIN)/python bench/exports.py --report --deals 50000 200000
	$(BENCH_ENV) $(BIN)/python bench/writes.py

# Mutation testing of the rule modules listed under [tool.mutmut] in pyproject.toml (minutes, not in CI):
# prints the score per module and writes docs/mutation-report.md. Each run starts afresh: mutmut would not
# re-test a surviving mutant against tests written since.
mutate: install-test
	$(BIN)/pip install --quiet -e ".[test,mutate]"
	rm -rf mutants && mkdir -p var
	$(BIN)/mutmut run --max-children 2 >var/mutmut.log 2>&1 || (tail -40 var/mutmut.log; exit 1)
	$(BIN)/python tools/mutation_report.py

clean:
	rm -rf $(VENV) .venv-* var mutants
