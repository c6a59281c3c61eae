"""The inventory's registration events for its demo network (services/inventory/demo.py),
ids as the inventory gives them: what the audit logs when `make run` loads it."""

from services.inventory import demo as inventory_demo


def network() -> list[dict]:
    """The inventory's registration events for its demo network, ids as it gives them."""
    envelopes = []

    def add(event_type, data):
        envelopes.append({"type": event_type, "data": data})

    partners = {p["code"]: n for n, p in enumerate(inventory_demo.PARTENAIRES, 1)}
    for code, partner_id in partners.items():
        add("inventory.partner_registered", {"partner_id": partner_id, "code": code})
    categories = {c["code"]: n for n, c in enumerate(inventory_demo.CATEGORIES, 1)}
    for code, category_id in categories.items():
        add("inventory.category_registered", {"category_id": category_id, "code": code})
    sites = {s["code"]: n for n, s in enumerate(inventory_demo.SITES, 1)}
    for site in inventory_demo.SITES:
        add(
            "inventory.site_registered",
            {
                "site_id": sites[site["code"]],
                "code": site["code"],
                "name": site["name"],
                "address": site["address"],
                "opening_hours": site["opening_hours"],
                "closures": [],
                "partner_id": partners[site["partner"]],
            },
        )
    for item_id, item in enumerate(inventory_demo.fleet(), 1):
        add(
            "inventory.item_registered",
            {
                "item_id": item_id,
                "asset_tag": item["asset_tag"],
                "category_id": categories[item["category"]],
                "owner_partner_id": partners[item["owner"]],
                "site_id": sites[item["home_site"]],
                "status": "available",
                "make": item["make"],
                "model": item["model"],
            },
        )
    return envelopes
