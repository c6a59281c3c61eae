"""The inventory carries out a rebalancing accepted in the audit service: the
devices free to go move to the site with the manager's reason, once; those lost,
on loan or retired stay, and their history and an event say why."""

import json

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from partanum.errors import NotFound
from partanum.events import make_event, read_event, require
from partanum.tables import outbox
from services.audit import events
from services.inventory.commands import ACCEPTED_REBALANCING
from services.inventory.service import Service
from tests.unit.helpers import CHECKED_OUT, loan_event

require(events)

TAGS = ("JV-LAP-001", "JV-LAP-002", "JV-LAP-003", "JV-LAP-004")


@pytest.fixture
def inventory(sqlite_unit_of_work):
    db, engine = sqlite_unit_of_work("inventory")
    service = worker_factory(Service, db=db)
    for code in ("jean-vilar", "mistral"):
        service.register_partner({"code": code, "name": code.title()})
        service.register_site(
            {"code": code, "name": code.title(), "partner": code, "address": "49100 Angers"}
        )
    service.register_category({"code": "laptop", "name": "Ordinateur portable"})
    for tag in TAGS:
        service.register_item(
            {
                "asset_tag": tag,
                "make": "Lenovo",
                "model": "E14",
                "category": "laptop",
                "owner": "jean-vilar",
                "home_site": "jean-vilar",
            }
        )
    service.engine = engine
    return service


def accepted(item_ids, to_site_id=2):
    body = make_event(
        "audit.transfer_accepted",
        {
            "item_ids": item_ids,
            "from_site_id": 1,
            "to_site_id": to_site_id,
            "category_id": 1,
            "figures": {"use_rate_to": 0.6},
            "signature": "ab" * 32,
        },
        producer="audit",
        actor="manager:1",
    )
    return read_event(body)


def emitted(inventory, event_type):
    with inventory.engine.connect() as connection:
        return (
            connection.execute(
                select(outbox.c.body).where(outbox.c.event_type == event_type).order_by(outbox.c.id)
            )
            .scalars()
            .all()
        )


def test_accepted_items_move_to_the_site_once_as_an_accepted_rebalancing(inventory):
    event = accepted([1, 2])

    inventory.on_audit_event(event)
    inventory.on_audit_event(event)  # delivered again

    for tag in TAGS[:2]:
        item = inventory.get_item(tag)
        assert (item["current_site"], item["owner"]) == ("mistral", "jean-vilar")
        [moved] = inventory.item_history(tag)
        assert (moved["change"], moved["reason"]) == ("transfer", ACCEPTED_REBALANCING)
    assert inventory.get_item(TAGS[2])["current_site"] == "jean-vilar"
    assert len(emitted(inventory, "inventory.item_transferred")) == 2


def test_items_that_can_no_longer_move_are_skipped_and_the_skip_recorded(inventory):
    inventory.on_booking_event(loan_event("booking.loan_checked_out", item_id=2, **CHECKED_OUT))
    inventory.change_status("JV-LAP-003", {"status": "lost", "reason": "introuvable"})
    inventory.change_status("JV-LAP-004", {"status": "retired", "reason": "hors d'usage"})

    inventory.on_audit_event(accepted([1, 2, 3, 4, 99]))

    assert [inventory.get_item(tag)["current_site"] for tag in TAGS] == [
        "mistral",
        "jean-vilar",
        "jean-vilar",
        "jean-vilar",
    ]
    [skip] = [h for h in inventory.item_history("JV-LAP-003") if h["change"] == "transfer_skipped"]
    assert skip["reason"] == f"not moved: lost ({ACCEPTED_REBALANCING})"
    skipped = [
        json.loads(body)["data"] for body in emitted(inventory, "inventory.item_transfer_skipped")
    ]
    assert [(s["item_id"], s["why"]) for s in skipped] == [
        (2, "on_loan"),
        (3, "lost"),
        (4, "retired"),
        (99, "unknown_item"),
    ]


def test_a_site_the_inventory_does_not_know_is_refused_for_an_operator(inventory):
    with pytest.raises(NotFound):
        inventory.on_audit_event(accepted([1], to_site_id=42))

    assert inventory.get_item("JV-LAP-001")["current_site"] == "jean-vilar"
