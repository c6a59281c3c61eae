"""The gateway asks the inventory for one page of what the caller sees, never the
whole fleet to filter itself: over real HTTP and RabbitMQ (SQLite only, see
`sqlite_only`; the inventory's own lists run on both databases in
test_inventory_lists.py)."""

from nameko.testing.services import entrypoint_waiter

from tests.integration.gateway import sqlite_only
from tests.integration.gateway_network import LAPTOPS, TABLETS, TIMEOUT

database_kind = sqlite_only  # see its docstring


def tags(page):
    return [item["asset_tag"] for item in page["items"]]


def test_a_page_of_devices_is_all_the_inventory_sends_the_gateway(network):
    with entrypoint_waiter(network.inventory, "list_items_page") as answered:
        page = network.ok(network.jv, "GET", "/api/items", params={"limit": 2})

    sent = answered.get()
    assert tags(sent) == tags(page) == list(LAPTOPS[:2])
    assert sent["total"] == page["total"] == len(LAPTOPS)


def test_staff_searching_or_filtering_for_another_partners_devices_find_none(network):
    def seen(client, **params):
        page = network.ok(client, "GET", "/api/items", params=params)
        return tags(page), page["total"]

    assert seen(network.mi, owner="jean-vilar") == ([], 0)
    assert seen(network.mi, site="jean-vilar") == ([], 0)
    assert seen(network.mi, search="JV-LAP") == ([], 0)
    assert seen(network.jv, search="lap-002") == (["JV-LAP-002"], 1)
    assert seen(network.manager, search="tab") == (list(TABLETS), len(TABLETS))
    refused = network.jv.get(network.url("/api/items"), params={"search": ""}, timeout=TIMEOUT)
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"search"}
