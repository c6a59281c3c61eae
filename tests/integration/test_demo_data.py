"""The Roseraie demo data, loaded through the inventory's RPC API as `make run` does."""

import time
from collections import Counter

import pytest

from partanum.standalone import cluster_proxy
from services.inventory import demo

SEED_JEAN_VILAR_HOURS = {
    "monday": [["13:30", "18:30"]],
    "tuesday": [["09:00", "12:00"], ["13:30", "18:30"]],
    "wednesday": [["09:00", "12:00"], ["13:30", "18:30"]],
    "thursday": [["13:30", "18:30"]],
    "friday": [["09:00", "12:00"], ["13:30", "18:30"]],
}


@pytest.fixture
def rpc(inventory):
    with cluster_proxy(inventory.config, demo.ACTOR, timeout=30) as proxy:
        yield proxy


def test_the_demo_network_is_the_roseraie_with_its_partners_and_their_devices(rpc):
    started = time.monotonic()
    summary = demo.load(rpc)
    print(f"demo loaded in {time.monotonic() - started:.1f} s")

    partners = {p["code"]: p["name"] for p in rpc.inventory.list_partners()}
    assert len(partners) == 7
    assert {"Centre Jean Vilar", "Espace Frédéric Mistral", "Mission Locale Angevine"} <= set(
        partners.values()
    )
    assert rpc.inventory.get_site("jean-vilar")["opening_hours"] == SEED_JEAN_VILAR_HOURS

    items = rpc.inventory.list_items()
    assert 140 <= len(items) <= 160
    assert summary["created"]["items"] == len(items)
    assert set(Counter(item["owner"] for item in items)) == set(partners)
    assert {item["status"] for item in items} == {
        "available",
        "in_maintenance",
        "lost",
        "awaiting_wipe",
    }
    history = rpc.inventory.item_history("MQ-TAB-005")
    assert [h["after"] for h in history] == ["lost", "awaiting_wipe"]
    assert {h["actor"] for h in history} == {"demo"}
    assert {kit["name"] for kit in rpc.inventory.list_kits()} >= {"Kit atelier 10 tablettes"}


def test_loading_the_demo_again_creates_nothing_and_changes_nothing(rpc):
    demo.load(rpc)
    before = (rpc.inventory.list_sites(), rpc.inventory.list_items(), rpc.inventory.list_kits())

    again = demo.load(rpc)

    assert not any(again["created"].values()), again["created"]
    assert again["existing"]["items"] == len(before[1])
    assert (
        rpc.inventory.list_sites(),
        rpc.inventory.list_items(),
        rpc.inventory.list_kits(),
    ) == before
