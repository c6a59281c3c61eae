# `make run` starts the services with the demo data of the Roseraie network;
# `make test` runs every test layer (RabbitMQ and PostgreSQL must be up, see README.md).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# Each recipe runs in one shell, so `run` can keep the services' pid and trap Ctrl-C.
.ONESHELL:

# The services `make run` starts and `make migrate` migrates.
SERVICES := inventory

VENV := .venv
PY := $(VENV)/bin/python

# True once the inventory answers an RPC call, i.e. it has migrated and started.
INVENTORY_ANSWERS := $(PY) -c 'from nameko.standalone.rpc import ClusterRpcProxy; \
	from partanum.config import nameko_config; \
	proxy = ClusterRpcProxy(nameko_config(), timeout=5); \
	proxy.start().inventory.list_partners(); proxy.stop()' >/dev/null 2>&1

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
	# A background job ignores the terminal's Ctrl-C: pass it on as SIGTERM,
	# on which partanum.run stops its services cleanly. The EXIT trap also
	# stops them when a later step fails.
	trap 'kill -TERM $$services 2>/dev/null && wait $$services' EXIT
	trap 'exit 130' INT TERM
	deadline=$$((SECONDS + 120))
	until $(INVENTORY_ANSWERS); do
	  # Stopped already: partanum.run has said why (RabbitMQ not answering, say).
	  kill -0 $$services 2>/dev/null || { wait $$services; exit 1; }
	  if (( SECONDS > deadline )); then echo "The inventory did not answer within 120 s." >&2; exit 1; fi
	  sleep 1
	done
	$(PY) -m services.inventory.demo
	echo
	echo "Partanum is running ($(SERVICES)) with the Roseraie network loaded."
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
