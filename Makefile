# `make run`: set up and serve the app with demo campaigns on SQLite (PORT=5000 by default).
# `make test`: set up (Python packages and Debian's chromium) and run the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# Both cores (pytest-xdist; tests/conftest.py gives each worker its own databases). loadgroup keeps the tests
# marked xdist_group("...") together on one worker, in order: they share one module- or session-wide site.
# `make test PYTEST_ARGS="-n 0 tests/test_api.py"` runs in one process.
PYTEST_ARGS ?= -n auto --dist loadgroup
export FLASK_APP := citizen

.PHONY: run serve-prod test bench chromium clean translations

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

run: $(BIN)/.installed
	$(BIN)/pybabel -q compile -d citizen/translations
	$(BIN)/flask init-db
	$(BIN)/flask demo
	@# A job worker beside the dev server (its queue: instance/jobs-queue.db), stopped with it.
	$(BIN)/flask jobs work --threads 2 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Production mode: gunicorn workers on PostgreSQL, rate limits in Redis (see README, "Production mode"). Jobs run in
# `flask jobs work` processes started beside it (deploy/compose.yaml, deploy/citizen-worker.service).
serve-prod: export CITIZEN_PRODUCTION := true
serve-prod: export CITIZEN_RATELIMIT_STORAGE_URI ?= redis://127.0.0.1:6379/0
serve-prod: $(BIN)/.installed
	@test -n "$$CITIZEN_DATABASE_URL" || { echo "Set CITIZEN_DATABASE_URL (postgresql+psycopg://...) first"; exit 2; }
	$(BIN)/pybabel -q compile -d citizen/translations
	$(BIN)/flask init-db
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py citizen.wsgi:app

test: $(BIN)/.installed-dev chromium
	$(BIN)/lint-imports  # the layering (.importlinter): no new import against it
	$(BIN)/pybabel -q compile -d citizen/translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(BIN)/.installed-dev
	$(BIN)/python -m benchmarks.serve

# Refresh the message catalogues after changing texts: extract, merge into es/fr (then translate the new
# entries in citizen/translations/<lang>/LC_MESSAGES/messages.po), compile. The .mo files are kept in the repo.
translations: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext --no-location --sort-output \
	  --project citizen --copyright-holder "citizen contributors" --ignore-dirs '.* __pycache__' -o citizen/translations/messages.pot .
	$(BIN)/pybabel update -i citizen/translations/messages.pot -d citizen/translations -w 120 --no-fuzzy-matching
	$(BIN)/pybabel compile -d citizen/translations

clean:
	rm -rf $(VENV) instance .pytest_cache
