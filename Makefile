# `make run` starts the services with the demo data of the Roseraie network;
# `make test` runs every test layer (RabbitMQ and PostgreSQL must be up, see README.md).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# Each recipe runs in one shell, so `run` can keep the services' pid and trap Ctrl-C.
.ONESHELL:

# The services `make run` starts and `make migrate` migrates.
SERVICES := inventory booking notifications audit gateway

VENV := .venv
PY := $(VENV)/bin/python

.PHONY: venv run test lint bench migrate deadletters catalogues clean

venv: $(VENV)/.installed

# Reinstalled only when what it is installed from changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt -e .
	touch $@

run: venv
	@$(PY) -m partanum.run $(SERVICES) &
	services=$$!
	# Background jobs ignore the terminal's Ctrl-C: pass it on as SIGTERM, on
	# which partanum.run stops its services cleanly; the same when a step fails.
	trap 'kill -TERM $$services $${demo-} 2>/dev/null; wait' EXIT
	trap 'exit 130' INT TERM
	# The demo waits for the inventory to answer. Should the services stop
	# first, partanum.run has said why (RabbitMQ not answering, say).
	# Then the demo accounts of the gateway, one per partner (a fresh password each run),
	# and a few residents in several languages, each holding a device; then months of
	# made-up history for the managers' dashboard (services/audit/demo.py).
	accounts=$$(mktemp)
	( $(PY) -m services.inventory.demo && $(PY) -m services.gateway.demo > $$accounts \
	  && $(PY) -m services.booking.demo >> $$accounts \
	  && $(PY) -m services.audit.demo >> $$accounts ) &
	demo=$$!
	wait -n $$services $$demo
	kill -0 $$services 2>/dev/null || exit 1
	echo
	echo "Partanum is running ($(SERVICES)) with the Roseraie network loaded."
	cat $$accounts && rm -f $$accounts
	echo "  See it:            $(PY) -m services.inventory.demo --show"
	echo "  Parked events:     make deadletters"
	echo "  SQLite databases:  $${PARTANUM_DATA_DIR:-var}/"
	echo "Ctrl-C stops the services."
	wait $$services

# The layers side by side, each in a pytest process of its own (tests/run.py says why).
test: venv lint
	$(PY) -m tests.run

# Lint, format and types; the import boundaries are a test (tests/unit/test_import_boundaries.py).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: venv
	$(PY) -m bench

migrate: venv
	$(PY) -m partanum.migrate $(SERVICES)

deadletters: venv
	$(PY) -m partanum.deadletters list

# The gettext catalogues: the French source texts extracted into each domain's
# template, merged into every language's catalogue (new texts untranslated, changed
# ones fuzzy), compiled. Translators edit the .po files, then run this again.
PYBABEL := $(VENV)/bin/pybabel
define catalogue
	$(PYBABEL) -q extract -F $(1)/babel.cfg -k N_ --add-comments=TRANSLATORS: --no-location --width 100 \
	  --project=Partanum --copyright-holder=Partanum -o $(2)/$(3).pot $(1)
	$(PYBABEL) -q update -D $(3) -i $(2)/$(3).pot -d $(2) --ignore-obsolete --width 100
	$(PYBABEL) -q compile -D $(3) -d $(2)
endef
catalogues: venv
	$(call catalogue,services/notifications,services/notifications/locale,notifications)
	$(call catalogue,services/gateway/pages,services/gateway/pages/locale,pages)

clean:
	rm -rf var
