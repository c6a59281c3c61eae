"""The demo residents of `make run`, lent a device each through the booking's RPC API."""

import pytest

from partanum.standalone import cluster_proxy
from services.booking import demo as residents_demo
from services.inventory import demo as network_demo
from tests.integration.gateway import sqlite_only

database_kind = sqlite_only  # the demo's rules are the services' own, tested on both


@pytest.fixture
def rpc(inventory, booking):
    with cluster_proxy(inventory.config, "demo", timeout=30) as proxy:
        network_demo.load(proxy)
        residents_demo.booking_knows_the_network(proxy)
        yield proxy


def test_each_demo_resident_speaks_their_language_and_holds_a_device(rpc):
    done = residents_demo.load(rpc)

    assert {person["language"] for person, _ in done} >= {"fr", "ar", "tr", "ps"}
    for person, tag in done:
        found = rpc.booking.find_resident_for_sign_in({"card_number": person["card_number"]})
        resident = rpc.booking.get_resident(found["resident_id"])
        assert resident["language"] == person["language"]
        [loan] = rpc.booking.resident_loans(found["resident_id"])
        assert (loan["asset_tag"], loan["status"]) == (tag, "active")


def test_loading_the_demo_residents_again_changes_nothing(rpc):
    first = residents_demo.load(rpc)
    again = residents_demo.load(rpc)

    assert [tag for _, tag in again] == [tag for _, tag in first]
    for person, _ in again:
        found = rpc.booking.find_resident_for_sign_in({"card_number": person["card_number"]})
        assert len(rpc.booking.resident_loans(found["resident_id"])) == 1
