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

.PHONY: venv run test bench migrate deadletters clean

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
	# Then the demo accounts of the gateway, one per partner (a fresh password each run).
	accounts=$$(mktemp)
	( $(PY) -m services.inventory.demo && $(PY) -m services.gateway.demo > $$accounts ) &
	demo=$$!
	wait -n $$services $$demo
	kill -0 $$services 2>/dev/null || exit 1
	echo
	echo "Partanum is running ($(SERVICES)) with the Roseraie network loaded."
	cat $$accounts && rm -f $$accounts
	echo "  API documentation: http://localhost:8000/docs"
	echo "  See it:            $(PY) -m services.inventory.demo --show"
	echo "  Parked events:     make deadletters"
	echo "  SQLite databases:  var/"
	echo "Ctrl-C stops the services."
	wait $$services

test: venv
	$(VENV)/bin/pytest

bench: venv
	$(PY) -m bench

migrate: venv
	$(PY) -m partanum.migrate $(SERVICES)

deadletters: venv
	$(PY) -m partanum.deadletters list

clean:
	rm -rf var
