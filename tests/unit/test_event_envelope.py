"""The envelope and the contracts every event is checked against."""

import uuid

import pytest

from partanum.errors import InvalidEvent
from partanum.events import make_event, read_event, registered_contracts, require
from services.inventory import events

require(events)

PERSONAL = ("name", "phone", "email", "address", "birth", "card")
# A site's name and address are on its door and in the public guide: its events
# carry them so that no consumer has to ask the inventory back.
PUBLIC = {
    (event_type, field)
    for event_type in (
        "inventory.site_registered",
        "inventory.site_hours_changed",
        "inventory.site_renamed",
    )
    for field in ("name", "address")
} | {
    # A partner's and a kind of device's names are on doors and labels too: public
    # names (the inventory refuses one shaped like an email or a phone number).
    ("inventory.partner_renamed", "name"),
    ("inventory.category_renamed", "name"),
}


def test_an_event_carries_who_what_when_and_its_version():
    body = make_event(
        "inventory.item_wiped",
        {"item_id": 3, "asset_tag": "JV-TAB-003"},
        producer="inventory",
        actor="staff:12",
    )

    event = read_event(body)

    assert isinstance(event.id, uuid.UUID)
    assert (event.type, event.version, event.producer, event.actor) == (
        "inventory.item_wiped",
        1,
        "inventory",
        "staff:12",
    )
    assert event.occurred_at.tzinfo is not None
    assert event.data == {"item_id": 3, "asset_tag": "JV-TAB-003"}


def test_data_that_breaks_its_contract_is_refused_when_produced():
    with pytest.raises(InvalidEvent) as refused:
        make_event("inventory.item_wiped", {"item_id": "three"}, producer="inventory", actor="x")
    assert set(refused.value.fields["data"]) == {"item_id", "asset_tag"}


def test_an_event_without_a_contract_cannot_be_produced():
    with pytest.raises(InvalidEvent):
        make_event("inventory.unheard_of", {}, producer="inventory", actor="x")


def test_a_module_named_as_a_contract_that_declares_none_is_refused_at_once():
    from services.inventory import domain

    require(events)  # the inventory's contracts: accepted
    with pytest.raises(ValueError, match="services.inventory.domain"):
        require(events, domain)


def test_an_envelope_with_unknown_or_missing_fields_is_refused_when_consumed():
    body = make_event("inventory.item_wiped", {"item_id": 3, "asset_tag": "T-1"}, "inventory", "x")
    with pytest.raises(InvalidEvent) as refused:
        read_event({**body, "extra": 1, "actor": None})
    assert set(refused.value.fields) == {"extra", "actor"}
    with pytest.raises(InvalidEvent):
        read_event("not an object")


def test_no_event_contract_carries_personal_data():
    leaking = [
        (event_type, field)
        for (event_type, _version), schema in registered_contracts().items()
        for field in schema.fields
        if any(word in field for word in PERSONAL) and (event_type, field) not in PUBLIC
    ]
    assert leaking == []
