# The two commands of the README: `make run` and `make test`.
# Everything else here is what they are made of.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install requirements lint format check clean bench loadtest messages

# Create the virtual environment and install the pinned requirements (compiled,
# with hashes: requirements-dev.txt holds the runtime set too); redone only when
# a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Partnership CMS needs Python 3.11 or newer; set PYTHON=python3.x")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## make requirements: recompile requirements.txt and requirements-dev.txt (pinned, with hashes)
## from the short requirements.in and requirements-dev.in, with pip-tools
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links
requirements:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip-tools==7.6.2
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# The French interface strings, compiled from the catalogue in the repository (the .mo is not committed;
# compilemessages needs GNU gettext's msgfmt). Only the project's locale/ is compiled, not .venv's packages.
MESSAGES := locale/fr/LC_MESSAGES/django.mo
$(MESSAGES): locale/fr/LC_MESSAGES/django.po $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=tests --ignore=bench --locale=fr

## make messages: extract the interface strings into locale/fr/LC_MESSAGES/django.po (then translate the new ones)
messages: install
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=node_modules --ignore=tests --ignore=bench --no-obsolete --add-location=file

## make run: install, migrate, load the fixtures, create a local admin, serve http://127.0.0.1:8000
run: install $(MESSAGES)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_fixtures
	$(PY) manage.py create_local_admin
	@echo "Serving http://$(HOST):$(PORT)/ (admin at http://$(HOST):$(PORT)/admin/). Stop with Ctrl+C."
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: install, then run the whole test suite (SQLite, or DATABASE_URL if set), one process per core
test: install $(MESSAGES)
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

## make bench: the site under gunicorn at three sizes, SQLite (and PostgreSQL with DATABASE_URL); writes bench/RESULTS.md
bench: install
	$(PY) bench/run.py --write

# The npm tools (package.json: the browser tests' axe-core, stylelint, …), as the lock file pins them.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

## make lint: Python (ruff), templates (djLint: formatting and rules, pyproject.toml), CSS (stylelint, .stylelintrc.json)
lint: install node_modules/.package-lock.json
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/djlint templates --check
	$(VENV)/bin/djlint templates --lint
	npx --no-install stylelint "static/**/*.css"

format: install node_modules/.package-lock.json
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djlint templates --reformat
	npx --no-install stylelint --fix "static/**/*.css"

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var db.sqlite3 $(MESSAGES)
