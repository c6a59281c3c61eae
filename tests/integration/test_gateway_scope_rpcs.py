"""The gateway asks the inventory only what a check needs: a device comes with the
partners it answers to, so a request about one device costs the RPC that fetches
it; a desk's check asks once for the caller's partner and its sites, never for
the whole network. Over real HTTP and RabbitMQ (SQLite only, see `sqlite_only`:
the calls do not depend on the services' database)."""

from contextlib import contextmanager
from unittest.mock import patch

from nameko.rpc import Rpc

from tests.integration.gateway import sqlite_only
from tests.integration.gateway_network import TIMEOUT

database_kind = sqlite_only  # see its docstring


@contextmanager
def rpcs_from_the_gateway(container):
    """The names of the RPCs `container` answers for the gateway meanwhile, in order.
    Each is spawned before it is answered, so the list is whole once the gateway's
    HTTP answer is in; the call stack tells the gateway's calls from the others."""
    names: list[str] = []
    spawn_worker = container.spawn_worker

    def counting(entrypoint, args, kwargs, context_data=None, **rest):
        stack = (context_data or {}).get("call_id_stack", [])
        if isinstance(entrypoint, Rpc) and any(call.startswith("gateway.") for call in stack):
            names.append(entrypoint.method_name)
        return spawn_worker(entrypoint, args, kwargs, context_data=context_data, **rest)

    with patch.object(container, "spawn_worker", counting):
        yield names


def test_reading_one_device_costs_the_one_rpc_that_fetches_it(network):
    network.ok(
        network.mi,
        "POST",
        "/api/items/MI-TAB-001/transfer",
        json={"to_site": "jean-vilar", "reason": "atelier numérique"},
    )

    with rpcs_from_the_gateway(network.inventory) as asked:
        network.ok(network.jv, "GET", "/api/items/MI-TAB-001")  # it stands at their site
    assert asked == ["get_item"]

    with rpcs_from_the_gateway(network.inventory) as asked:
        hidden = network.mi.get(network.url("/api/items/JV-LAP-001"), timeout=TIMEOUT)
    assert hidden.status_code == 404 and asked == ["get_item"]


def test_changing_one_device_asks_for_it_then_changes_it(network):
    with rpcs_from_the_gateway(network.inventory) as asked:
        network.ok(network.jv, "PATCH", "/api/items/JV-LAP-001", json={"notes": "rayure"})
    assert asked == ["get_item", "update_item"]


def test_a_desk_check_asks_once_for_the_callers_partner_and_its_sites(network):
    amina = network.register(network.jv)
    network.lend(network.jv, amina["id"], "JV-LAP-001")

    with rpcs_from_the_gateway(network.inventory) as asked:
        network.ok(
            network.jv,
            "POST",
            "/api/check-ins",
            json={"asset_tag": "JV-LAP-001", "condition": "good"},
        )
    assert asked == ["get_partner"]
