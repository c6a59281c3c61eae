"""The demo's history loaded into a real audit log (SQLite and PostgreSQL): once,
chained after the network's registrations, and found again as the demo's."""

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.db import make_engine
from partanum.events import require
from services.audit import demo, log
from services.audit.models import AuditEntry
from services.booking import events as booking_events
from services.inventory import events as inventory_events
from tests.demo_network import network

require(booking_events, inventory_events)
ZONE = ZoneInfo("Europe/Paris")


def test_the_history_is_appended_once_after_the_network_and_the_chain_holds(database_url):
    migrate.upgrade("audit", database_url)
    engine = make_engine(database_url)
    registered = [
        {
            **envelope,
            "id": f"00000000-0000-4000-8000-{n:012d}",
            "version": 1,
            "occurred_at": "2026-12-06T08:00:00+01:00",
            "producer": "inventory",
            "actor": "admin:1",
        }
        for n, envelope in enumerate(network())
    ]
    try:
        with Session(engine) as session:
            with session.begin():
                log.append_many(session, registered)

            first = demo.load(session, date(2026, 12, 6), ZONE)
            again = demo.load(session, date(2026, 12, 7), ZONE)

            by_demo = session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.actor == "demo:history")
            )
            verified = log.verify_chain(session)
    finally:
        engine.dispose()

    assert first == by_demo > len(registered) and again == 0
    assert not isinstance(verified, log.Problem) and verified.count == len(registered) + first
