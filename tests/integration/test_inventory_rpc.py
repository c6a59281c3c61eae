"""The inventory's RPC API on a real broker and real databases."""

import pytest

from partanum.errors import Conflict, InvalidInput, NotFound
from services.inventory.exceptions import StatusChangeRefused
from tests.integration.helpers import call, register_network, tablet


def test_a_registered_item_is_available_at_its_home_site_and_announced(inventory, events_seen):
    listen = events_seen("inventory.item_registered")
    register_network(inventory)

    item = call(inventory, "register_item", tablet())

    assert item["status"] == "available"
    assert item["current_site"] == "jean-vilar"
    (event,) = listen.wait(1)
    assert event["data"] == {
        "item_id": item["id"],
        "asset_tag": "JV-TAB-001",
        "category_id": event["data"]["category_id"],
        "owner_partner_id": event["data"]["owner_partner_id"],
        "site_id": event["data"]["site_id"],
        "status": "available",
        "make": "Samsung",
        "model": "Galaxy Tab A8",
    }
    assert (
        event["actor"] == "staff:1" and event["producer"] == "inventory" and event["version"] == 1
    )


def test_bad_input_names_every_field_at_fault_and_changes_nothing(inventory, events_seen):
    register_network(inventory)

    with pytest.raises(InvalidInput) as refused:
        call(inventory, "register_item", tablet(asset_tag="bad tag", category="", colour="red"))

    assert set(refused.value.fields) == {"asset_tag", "category", "colour"}
    assert call(inventory, "list_items") == []


def test_a_reference_to_an_unknown_site_is_refused_by_field(inventory):
    register_network(inventory)
    with pytest.raises(InvalidInput) as refused:
        call(inventory, "register_item", tablet(home_site="nowhere"))
    assert list(refused.value.fields) == ["home_site"]


def test_a_partner_is_read_with_the_sites_it_runs_and_a_device_with_the_partners_it_answers_to(
    inventory,
):
    register_network(inventory)
    ids = {p["code"]: p["id"] for p in call(inventory, "list_partners")}
    call(inventory, "register_item", tablet())
    tablet_at_mistral = call(
        inventory, "transfer_item", "JV-TAB-001", {"to_site": "mistral", "reason": "atelier"}
    )

    partner = call(inventory, "get_partner", ids["mistral"])

    assert partner["code"] == "mistral"
    assert [site["code"] for site in partner["sites"]] == ["mistral"]
    assert partner["sites"][0] == call(inventory, "get_site", "mistral")
    assert tablet_at_mistral["owner_id"] == ids["jean-vilar"]
    assert tablet_at_mistral["current_site_partner_id"] == ids["mistral"]
    with pytest.raises(NotFound):
        call(inventory, "get_partner", 999)
    with pytest.raises(InvalidInput) as refused:
        call(inventory, "get_partner", "mistral")
    assert list(refused.value.fields) == ["partner_id"]


def test_an_asset_tag_is_registered_once(inventory):
    register_network(inventory)
    call(inventory, "register_item", tablet())
    with pytest.raises(Conflict):
        call(inventory, "register_item", tablet())


def test_opening_hours_that_overlap_are_refused(inventory):
    register_network(inventory)
    with pytest.raises(InvalidInput) as refused:
        call(
            inventory,
            "set_opening_hours",
            "mistral",
            {"opening_hours": {"friday": [["09:00", "12:00"], ["11:00", "14:00"]]}},
        )
    assert refused.value.fields == {"opening_hours": {"friday": ["spans overlap at 11:00"]}}


def test_a_returned_laptop_cannot_be_lent_before_it_is_wiped(inventory):
    register_network(inventory)
    call(inventory, "register_item", tablet())
    call(inventory, "change_status", "JV-TAB-001", {"status": "lost", "reason": "pas rendu"})
    call(
        inventory, "change_status", "JV-TAB-001", {"status": "awaiting_wipe", "reason": "retrouvé"}
    )

    with pytest.raises(StatusChangeRefused):
        call(inventory, "change_status", "JV-TAB-001", {"status": "available", "reason": "rendu"})

    assert call(inventory, "record_wipe", "JV-TAB-001")["status"] == "available"
    history = call(inventory, "item_history", "JV-TAB-001")
    assert [(h["before"], h["after"]) for h in history] == [
        ("available", "lost"),
        ("lost", "awaiting_wipe"),
        ("awaiting_wipe", "available"),
    ]


def test_a_retired_item_never_comes_back(inventory):
    register_network(inventory)
    call(inventory, "register_item", tablet())
    call(
        inventory, "change_status", "JV-TAB-001", {"status": "retired", "reason": "batterie morte"}
    )
    with pytest.raises(StatusChangeRefused) as refused:
        call(
            inventory,
            "change_status",
            "JV-TAB-001",
            {"status": "in_maintenance", "reason": "essai"},
        )
    assert refused.value.details == {"from": "retired", "to": "in_maintenance"}


def test_a_transfer_moves_the_item_and_says_why(inventory, events_seen):
    listen = events_seen("inventory.item_transferred")
    register_network(inventory)
    call(inventory, "register_item", tablet())

    moved = call(
        inventory,
        "transfer_item",
        "JV-TAB-001",
        {"to_site": "mistral", "reason": "atelier du jeudi"},
    )

    assert (moved["current_site"], moved["home_site"], moved["owner"]) == (
        "mistral",
        "jean-vilar",
        "jean-vilar",
    )
    (event,) = listen.wait(1)
    # Staff's words stay in the item's history; the event points at them.
    assert (event["data"]["reason_code"], "reason" in event["data"]) == ("staff", False)
    [entry] = call(inventory, "item_history", "JV-TAB-001")
    assert (entry["id"], entry["reason"]) == (event["data"]["history_id"], "atelier du jeudi")
    assert call(inventory, "list_items", {"site": "mistral"})[0]["asset_tag"] == "JV-TAB-001"


def test_an_unknown_item_is_not_found(inventory):
    with pytest.raises(NotFound):
        call(inventory, "get_item", "NOPE-1")


def test_a_kit_groups_items_lent_together(inventory):
    register_network(inventory)
    for n in range(1, 4):
        call(inventory, "register_item", tablet(f"JV-TAB-00{n}"))
    kit = call(
        inventory,
        "register_kit",
        {"code": "jv-atelier", "name": "Kit atelier", "asset_tags": ["JV-TAB-002", "JV-TAB-001"]},
    )
    assert kit["asset_tags"] == ["JV-TAB-001", "JV-TAB-002"]
    with pytest.raises(InvalidInput) as refused:
        call(inventory, "register_kit", {"code": "k2", "name": "K", "asset_tags": ["JV-TAB-009"]})
    assert list(refused.value.fields) == ["asset_tags"]
