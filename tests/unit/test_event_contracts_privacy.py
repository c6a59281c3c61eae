"""No event carries words typed by staff: a text in an event is a code from a fixed
list, a one-word reference (a code, an asset tag, a field's name), a date or a
time of day, or the public name of a place or a device (which refuses anything shaped like an email or a
phone number), so a reason such as "screen broken by <name>, <phone>" cannot
travel. Walks every contract an event is produced with."""

from marshmallow import fields, validate

from partanum.errors import InvalidEvent
from partanum.events import (
    CLOCK,
    ISO_DATE,
    PUBLIC_NAME,
    REFERENCE,
    current_contracts,
    make_event,
    require,
)
from services.audit import events as audit_events
from services.booking import events as booking_events
from services.inventory import events as inventory_events

require(audit_events, booking_events, inventory_events)


def texts(field):
    """The String fields inside a field (itself, a list's items, a dict's keys and values)."""
    if isinstance(field, fields.String):
        yield field
    elif isinstance(field, fields.List):
        yield from texts(field.inner)
    elif isinstance(field, fields.Dict):
        for inner in (field.key_field, field.value_field):
            if inner is not None:
                yield from texts(inner)


def bounded(text) -> bool:
    return any(
        v in (REFERENCE, PUBLIC_NAME, ISO_DATE, CLOCK) or isinstance(v, validate.OneOf)
        for v in text.validators
    )


def test_no_event_contract_has_a_field_for_free_text():
    free = sorted(
        f"{event_type}: {name}"
        for event_type, schema in current_contracts().items()
        for name, field in schema.fields.items()
        for text in texts(field)
        if not bounded(text)
    )

    assert free == []


def test_a_status_change_cannot_carry_staff_words():
    data = {
        "item_id": 1,
        "asset_tag": "JV-TAB-001",
        "from_status": "available",
        "to_status": "in_maintenance",
        "reason_code": "staff",
        "history_id": 4,
    }
    make_event("inventory.item_status_changed", data, "inventory", "staff:1")

    for words in (
        {"reason": "écran cassé par Amina, 06 12 34 56 78"},
        {"reason_code": "cassé par Amina"},
        {"asset_tag": "Amina 06 12 34 56 78"},
    ):
        try:
            make_event("inventory.item_status_changed", {**data, **words}, "inventory", "staff:1")
        except InvalidEvent:
            continue
        raise AssertionError(f"{words} was accepted")


def test_a_places_or_devices_name_cannot_carry_contact_details():
    data = {
        "item_id": 1,
        "asset_tag": "JV-TAB-001",
        "category_id": 1,
        "owner_partner_id": 1,
        "site_id": 1,
        "status": "available",
        "make": "Lenovo",
        "model": "ThinkPad E14 Gen 5",
    }
    make_event("inventory.item_registered", data, "inventory", "staff:1")

    for words in (
        {"model": "prêté à Amina 06 12 34 56 78"},
        {"make": "amina@example.org"},
        {"model": "0612345678"},
    ):
        try:
            make_event("inventory.item_registered", {**data, **words}, "inventory", "staff:1")
        except InvalidEvent:
            continue
        raise AssertionError(f"{words} was accepted")


def test_staff_typing_contact_details_into_a_device_or_site_name_are_told_which_field():
    from services.inventory import schemas

    device = {
        "asset_tag": "JV-TAB-001",
        "make": "Samsung",
        "model": "Tab A8 pour Amina 0612345678",
        "category": "tablet",
        "home_site": "jean-vilar",
        "owner": "jean-vilar",
    }
    site = {
        "code": "mistral",
        "name": "Espace Mistral",
        "partner": "mistral",
        "address": "écrire à amina@example.org",
    }

    assert set(schemas.ItemIn().validate(device)) == {"model"}
    assert set(schemas.SiteIn().validate(site)) == {"address"}
    assert schemas.ItemIn().validate({**device, "model": "@SUM(A1) Tab A8"}) == {}
