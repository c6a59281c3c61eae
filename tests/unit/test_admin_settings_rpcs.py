"""What the administrator's pages ask of the services: each kind of device's loan policy
(the defaults where none was set), each desk's own address for its notices, and a
closure taken back. The services' entrypoints with worker_factory, over a real SQLite
database."""

import json

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from partanum.errors import InvalidInput, NotFound
from partanum.events import read_event
from partanum.tables import outbox
from services.booking import domain
from services.booking.service import Service
from services.booking.settings import Settings


@pytest.fixture
def booking(sqlite_unit_of_work):
    db, _ = sqlite_unit_of_work("booking", actor="admin:1")
    return worker_factory(Service, db=db, settings=Settings())


def test_each_kind_reads_its_own_policy_or_the_defaults(booking):
    booking.set_category_policy(2, {"loan_days": 7, "max_renewals": 0})

    assert booking.category_policies([1, 2]) == [
        {
            "category_id": 1,
            "loan_days": domain.DEFAULT_LOAN_DAYS,
            "max_renewals": domain.DEFAULT_MAX_RENEWALS,
        },
        {"category_id": 2, "loan_days": 7, "max_renewals": 0},
    ]


def test_an_id_that_is_not_a_number_is_named(booking):
    with pytest.raises(InvalidInput) as refused:
        booking.category_policies(["1"])

    assert "category_ids" in refused.value.fields


# --- the desks' own addresses for their notices --------------------------------------------


def test_the_desks_addresses_read_back_as_they_were_set(sqlite_unit_of_work):
    from services.notifications.service import Service as Notifications

    db, _ = sqlite_unit_of_work("notifications", actor="admin:1")
    notifications = worker_factory(Notifications, db=db)
    assert notifications.partner_contacts() == []

    notifications.set_partner_contact(2, {"email": "accueil@mistral.test", "language": "ar"})
    notifications.set_partner_contact(1, {"email": "accueil@jean-vilar.test"})

    assert notifications.partner_contacts() == [
        {"partner_id": 1, "email": "accueil@jean-vilar.test", "language": "fr"},
        {"partner_id": 2, "email": "accueil@mistral.test", "language": "ar"},
    ]


# --- a closure taken back ------------------------------------------------------------------


def test_a_closure_taken_back_leaves_the_others_and_tells_every_consumer(sqlite_unit_of_work):
    from services.inventory.service import Service as Inventory

    db, engine = sqlite_unit_of_work("inventory", actor="admin:1")
    inventory = worker_factory(Inventory, db=db)
    inventory.register_partner({"code": "essai", "name": "Essai"})
    inventory.register_site(
        {"code": "essai", "name": "Essai", "partner": "essai", "address": "Angers"}
    )
    for starts, ends in (("2027-02-01", "2027-02-03"), ("2027-03-01", "2027-03-01")):
        inventory.add_closure("essai", {"starts_on": starts, "ends_on": ends, "reason": "Travaux"})
    first = inventory.get_site("essai")["closures"][0]["id"]

    site = inventory.remove_closure("essai", first)

    assert [(c["starts_on"], c["ends_on"]) for c in site["closures"]] == [
        ("2027-03-01", "2027-03-01")
    ]
    with engine.connect() as connection:
        bodies = connection.execute(select(outbox.c.body).order_by(outbox.c.id)).scalars().all()
    told = read_event(json.loads(bodies[-1]))
    assert told.type == "inventory.site_hours_changed"
    assert told.data["closures"] == [["2027-03-01", "2027-03-01"]]
    with pytest.raises(NotFound):
        inventory.remove_closure("essai", first)
