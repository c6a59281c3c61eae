"""The inventory's lists of devices and kits through the running service, on both
databases: the scope the gateway decides (`partner_id`: what that partner's staff
see) applied with the filters and the page, so that no caller fetches the fleet."""

import pytest

from partanum.errors import InvalidInput
from tests.integration.helpers import call, register_network, tablet

JEAN_VILAR, MISTRAL = 1, 2  # partner ids, in the order register_network registers them
# Jean Vilar's tablets at home, and one lent for a workshop at Mistral's site;
# Mistral's tablets at home, and one sent to Jean Vilar's site.
JV_AT_HOME = ("JV-TAB-001", "JV-TAB-002")
JV_AT_MISTRAL = "JV-TAB-003"
MI_AT_HOME = ("MI-TAB-001", "MI-TAB-002")
MI_AT_JEAN_VILAR = "MI-TAB-003"
SEEN_BY_JEAN_VILAR = sorted((*JV_AT_HOME, JV_AT_MISTRAL, MI_AT_JEAN_VILAR))


def mistral_tablet(tag):
    return tablet(
        tag,
        owner="mistral",
        home_site="mistral",
        make="Lenovo",
        model="Tab M10",
        serial_number=f"SN-{tag}",
    )


@pytest.fixture
def fleet(inventory):
    register_network(inventory)
    for tag in (*JV_AT_HOME, JV_AT_MISTRAL):
        call(inventory, "register_item", tablet(tag))
    for tag in (*MI_AT_HOME, MI_AT_JEAN_VILAR):
        call(inventory, "register_item", mistral_tablet(tag))
    call(inventory, "transfer_item", JV_AT_MISTRAL, {"to_site": "mistral", "reason": "atelier"})
    call(
        inventory, "transfer_item", MI_AT_JEAN_VILAR, {"to_site": "jean-vilar", "reason": "atelier"}
    )
    return inventory


def tags(page):
    return [item["asset_tag"] for item in page["items"]]


def test_a_partner_sees_the_devices_it_owns_and_those_standing_at_its_sites(fleet):
    page = call(fleet, "list_items_page", {"partner_id": JEAN_VILAR})

    assert tags(page) == SEEN_BY_JEAN_VILAR and page["total"] == 4
    assert (page["limit"], page["offset"]) == (50, 0)
    assert call(fleet, "list_items_page", {})["total"] == 6  # managers: no scope, everything


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"owner": "mistral"},
        {"site": "mistral"},
        {"status": "available"},
        {"category": "tablet"},
        {"search": "MI-TAB"},
        {"search": "lenovo"},
        {"asset_tags": list(MI_AT_HOME)},
        {"owner": "mistral", "site": "mistral", "limit": 1000},
    ],
    ids=lambda filters: ",".join(filters) or "none",
)
def test_another_partners_devices_never_appear_whatever_the_filters(fleet, filters):
    page = call(fleet, "list_items_page", {**filters, "partner_id": JEAN_VILAR})

    assert not set(tags(page)) & set(MI_AT_HOME)
    assert page["total"] == len(page["items"])  # the total counts the scope only
    assert set(tags(page)) <= set(SEEN_BY_JEAN_VILAR)


def test_filters_narrow_the_scope_and_the_total_counts_what_they_keep(fleet):
    def seen(filters):
        page = call(fleet, "list_items_page", {**filters, "partner_id": JEAN_VILAR})
        return tags(page), page["total"]

    assert seen({"owner": "mistral"}) == ([MI_AT_JEAN_VILAR], 1)
    assert seen({"site": "mistral"}) == ([JV_AT_MISTRAL], 1)
    assert seen({"search": "sn-mi"}) == ([MI_AT_JEAN_VILAR], 1)  # serial number, any case
    assert seen({"search": "tab-00"}) == (SEEN_BY_JEAN_VILAR, 4)
    assert seen({"search": "%"}) == ([], 0)  # a wildcard is a plain character
    assert seen({"asset_tags": ["JV-TAB-002", "MI-TAB-001"]}) == (["JV-TAB-002"], 1)


def test_devices_come_one_page_at_a_time_never_the_whole_fleet(fleet):
    first = call(fleet, "list_items_page", {"partner_id": JEAN_VILAR, "limit": 1})
    third = call(fleet, "list_items_page", {"partner_id": JEAN_VILAR, "limit": 1, "offset": 2})
    beyond = call(fleet, "list_items_page", {"partner_id": JEAN_VILAR, "offset": 4})

    assert tags(first) == SEEN_BY_JEAN_VILAR[:1] and first["total"] == 4
    assert tags(third) == SEEN_BY_JEAN_VILAR[2:3] and third["total"] == 4
    assert tags(beyond) == [] and beyond["total"] == 4


def test_bad_filters_are_refused_by_name(fleet):
    with pytest.raises(InvalidInput) as refused:
        call(
            fleet, "list_items_page", {"partner_id": "1", "limit": 0, "colour": "red", "search": ""}
        )

    assert set(refused.value.fields) == {"partner_id", "limit", "colour", "search"}


def test_a_partner_sees_only_the_kits_made_of_devices_it_sees(fleet):
    call(
        fleet,
        "register_kit",
        {"code": "jv-kit", "name": "Kit Jean Vilar", "asset_tags": [*JV_AT_HOME, JV_AT_MISTRAL]},
    )
    call(
        fleet,
        "register_kit",
        {"code": "mi-kit", "name": "Kit Mistral", "asset_tags": list(MI_AT_HOME)},
    )
    call(
        fleet,
        "register_kit",
        {"code": "mixed", "name": "Kit mêlé", "asset_tags": [MI_AT_JEAN_VILAR, "MI-TAB-001"]},
    )

    def codes(filters):
        return [kit["code"] for kit in call(fleet, "list_kits", filters)]

    assert codes({"partner_id": JEAN_VILAR}) == ["jv-kit"]
    assert codes({"partner_id": MISTRAL}) == ["mi-kit", "mixed"]
    assert codes({}) == ["jv-kit", "mi-kit", "mixed"]
