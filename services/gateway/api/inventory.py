"""HTTP endpoints for inventory, partners, sites, categories, items and kits."""


class InventoryApi:
    pass
