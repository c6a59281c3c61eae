"""Helpers shared by the integration test modules: calling a running service,
registering the same small network of partners and sites, and the front desk's
usual steps. Fixtures live in conftest.py (and gateway.py, gateway_network.py,
loaded by the root conftest); this module holds plain functions and data."""

import json
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import requests
from nameko.testing.services import entrypoint_hook
from sqlalchemy import text

from partanum.dependencies import Database, Transaction

PARIS = ZoneInfo("Europe/Paris")

JEAN_VILAR_HOURS = {
    "monday": [["13:30", "18:30"]],
    "tuesday": [["09:00", "12:00"], ["13:30", "18:30"]],
}


def call(container, method, *args, actor="staff:1"):
    with entrypoint_hook(container, method, context_data={"actor": actor}) as hook:
        return hook(*args)


def register_network(inventory):
    call(inventory, "register_partner", {"code": "jean-vilar", "name": "Centre Jean Vilar"})
    call(inventory, "register_partner", {"code": "mistral", "name": "Espace Frédéric Mistral"})
    call(
        inventory,
        "register_site",
        {
            "code": "jean-vilar",
            "name": "Centre Jean Vilar",
            "partner": "jean-vilar",
            "address": "1 place Jean XXIII, 49100 Angers",
            "opening_hours": JEAN_VILAR_HOURS,
        },
    )
    call(
        inventory,
        "register_site",
        {
            "code": "mistral",
            "name": "Espace Frédéric Mistral",
            "partner": "mistral",
            "address": "2 allée des Baladins, 49100 Angers",
        },
    )
    call(inventory, "register_category", {"code": "tablet", "name": "Tablette"})


def database(container) -> Database:
    """The running service's own database provider (its engine, its sessions)."""
    return next(
        dependency for dependency in container.extensions if isinstance(dependency, Database)
    )


def lock_waits(engine) -> int:
    """PostgreSQL: sessions of this database waiting for a row or table lock."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar()


def run_job(container, job, *args, **kwargs):
    """Run a scheduled job's function as its timer would, in the service's process and
    on its database, at the moment the test chooses."""
    provider = database(container)
    with Transaction(provider.sessions(), "booking", "system", provider.relay_loop.wake) as tx:
        result = job(tx, *args, **kwargs)
        tx.commit()
        return result


def tablet(tag="JV-TAB-001", **extra):
    return {
        "asset_tag": tag,
        "make": "Samsung",
        "model": "Galaxy Tab A8",
        "category": "tablet",
        "owner": "jean-vilar",
        "home_site": "jean-vilar",
        "accessories": ["chargeur"],
        **extra,
    }


def next_tuesday(at: time) -> datetime:
    today = date.today()
    days = (1 - today.weekday()) % 7 or 7
    return datetime.combine(today + timedelta(days=days), at, tzinfo=PARIS)


# --- the front desk (the `desk` fixture) ---------------------------------------------------

# A notifications service that never waits for the morning.
NO_QUIET_HOURS = {"QUIET_FROM": "00:00", "QUIET_UNTIL": "00:00"}

LAPTOPS = ("JV-LAP-001", "JV-LAP-002", "JV-LAP-003")
AMINA = {
    "display_name": "Amina B.",
    "phone": "06 12 34 56 78",
    "language": "ar",
    "consent": True,
    "card_number": "RS-0042",
    "registered_by_partner_id": 1,
}

# Amina again, in French and reached by SMS: for the sign-in by a code sent to her phone.
AMINA_BY_SMS = {
    "display_name": "Amina B.",
    "phone": "06 12 34 56 78",
    "language": "fr",
    "channel": "sms",
    "consent": True,
    "card_number": "RS-0042",
    "registered_by_partner_id": 1,
}


def laptop(tag):
    return {
        "asset_tag": tag,
        "make": "Lenovo",
        "model": "ThinkPad E14",
        "category": "laptop",
        "owner": "jean-vilar",
        "home_site": "jean-vilar",
        "accessories": ["chargeur"],
    }


def register(desk, **changes):
    return call(desk.booking, "register_resident", {**AMINA, **changes})


def lend(desk, resident_id, tag="JV-LAP-001", **extra):
    return call(
        desk.booking,
        "check_out",
        {"asset_tag": tag, "resident_id": resident_id, "site": "jean-vilar", **extra},
    )


def make_overdue(desk, loan_id):
    """Let the loan's due date pass (as if the resident had not come back)."""
    past = datetime.now(UTC) - timedelta(days=3)
    with desk.db.begin() as connection:
        connection.execute(
            text("UPDATE loans SET due_at = :past WHERE id = :id"),
            {
                "past": past if desk.db.dialect.name != "sqlite" else past.replace(tzinfo=None),
                "id": loan_id,
            },
        )


# --- the audit log (the `audit` fixture) ---------------------------------------------------


def entries(audit, **filters):
    return call(audit.container, "query_log", {"limit": 1000, **filters})["entries"]


def verify_command(url):
    return subprocess.run(
        [sys.executable, "-m", "services.audit.verify", "--url", url],
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- the gateway over HTTP -----------------------------------------------------------------


def post(gateway, path, body, **kwargs):
    return requests.post(gateway.url(path), json=body, timeout=10, **kwargs)


def assert_problem(answer, status):
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == status and problem["title"]
    assert "Traceback" not in answer.text
    return problem


def sms_sent(path):
    """The SMS written by the `notifications` fixture's service, oldest first."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
