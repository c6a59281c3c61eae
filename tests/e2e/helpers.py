"""What several end-to-end modules share: the smallest network a device needs."""

from tests.integration.helpers import JEAN_VILAR_HOURS

NETWORK_EVENTS = 3  # partner, site, category: what register_network emits


def register_network(rpc):
    rpc.inventory.register_partner({"code": "jean-vilar", "name": "Centre Jean Vilar"})
    rpc.inventory.register_site(
        {
            "code": "jean-vilar",
            "name": "Centre Jean Vilar",
            "partner": "jean-vilar",
            "address": "Place Jean XXIII, 49100 Angers",
            "opening_hours": JEAN_VILAR_HOURS,
        }
    )
    rpc.inventory.register_category({"code": "tablet", "name": "Tablette"})
