"""HTTP endpoints for partners, sites, categories, items and kits (the inventory).

Handlers stay thin: load (the route does it), authorise the object, call the
service, answer. See api/scope.py for who sees what.
"""

import base64

from werkzeug.wrappers import Response

from services.gateway import csv_export, operations
from services.gateway.api.scope import Scope, wire
from services.gateway.authz import require
from services.gateway.problems import invalid
from services.gateway.routing import ADMIN, MANAGER, RESIDENT, STAFF, route
from services.gateway.schemas import inventory as schemas
from services.gateway.schemas.common import all_pages
from services.inventory.vocabulary import COLUMNS, EXPORT_ONLY

EVERYONE = (ADMIN, MANAGER, STAFF, RESIDENT)
READERS = (ADMIN, MANAGER, STAFF)


class InventoryApi:
    # --- partners, sites, categories: the network everyone may read ----------------------

    @route(
        "GET",
        "/api/partners",
        response=schemas.Partner(many=True),
        allow=EVERYONE,
        summary="The partners of the network",
        tag="network",
    )
    def list_partners(self, request, who):
        return self.inventory.list_partners()

    @route(
        "POST",
        "/api/partners",
        body=schemas.PartnerIn,
        response=schemas.Partner,
        status=201,
        allow=(ADMIN,),
        summary="Register a partner",
        tag="network",
    )
    def register_partner(self, request, who, body):
        """{"code": "jean-vilar", "name": "Centre Jean Vilar"}"""
        return self.inventory.register_partner(wire(schemas.PartnerIn(), body))

    @route(
        "PATCH",
        "/api/partners/<int:partner_id>",
        body=schemas.PartnerRename,
        response=schemas.Partner,
        allow=(ADMIN,),
        summary="Correct a partner's name (its code stays)",
        tag="network",
    )
    def rename_partner(self, request, who, partner_id, body):
        """{"name": "Centre social Jean Vilar"}"""
        return operations.admin_rename_partner(self, who, partner_id, body["name"])

    @route(
        "GET",
        "/api/sites",
        response=schemas.Site(many=True),
        allow=EVERYONE,
        summary="The sites, with their opening hours and closures",
        tag="network",
    )
    def list_sites(self, request, who):
        return self.inventory.list_sites()

    @route(
        "GET",
        "/api/sites/<site_code>",
        response=schemas.Site,
        allow=EVERYONE,
        summary="A site: where it is, when it opens",
        tag="network",
    )
    def get_site(self, request, who, site_code):
        return self.inventory.get_site(site_code)

    @route(
        "POST",
        "/api/sites",
        body=schemas.SiteIn,
        response=schemas.Site,
        status=201,
        allow=(ADMIN,),
        summary="Register a site",
        tag="network",
    )
    def register_site(self, request, who, body):
        return self.inventory.register_site(wire(schemas.SiteIn(), body))

    @route(
        "PATCH",
        "/api/sites/<site_code>",
        body=schemas.SiteChange,
        response=schemas.Site,
        allow=(ADMIN,),
        summary="Correct a site's name or address (its code stays)",
        tag="network",
    )
    def change_site(self, request, who, site_code, body):
        """{"name": "Centre Jean Vilar", "address": "1 place Jean XXIII, 49100 Angers"}
        (either or both)"""
        return operations.admin_change_site(self, who, site_code, wire(schemas.SiteChange(), body))

    @route(
        "PUT",
        "/api/sites/<site_code>/opening-hours",
        body=schemas.HoursIn,
        response=schemas.Site,
        allow=(ADMIN, STAFF),
        summary="Set a site's weekly opening hours (its own staff, or the city)",
        tag="network",
    )
    def set_opening_hours(self, request, who, site_code, body):
        """{"opening_hours": {"monday": [["13:30", "18:30"]]}}"""
        self._require_site_keeper(who, site_code)
        return self.inventory.set_opening_hours(site_code, wire(schemas.HoursIn(), body))

    @route(
        "POST",
        "/api/sites/<site_code>/closures",
        body=schemas.ClosureIn,
        response=schemas.Site,
        status=201,
        allow=(ADMIN, STAFF),
        summary="Close a site for some days (holidays, works)",
        tag="network",
    )
    def add_closure(self, request, who, site_code, body):
        """{"starts_on": "2026-12-24", "ends_on": "2027-01-02", "reason": "Fêtes"}"""
        self._require_site_keeper(who, site_code)
        return self.inventory.add_closure(site_code, wire(schemas.ClosureIn(), body))

    def _require_site_keeper(self, who, site_code):
        if who.role != ADMIN:
            Scope(who, self).require_own_site(site_code)

    @route(
        "GET",
        "/api/categories",
        response=schemas.Category(many=True),
        allow=EVERYONE,
        summary="The kinds of devices",
        tag="network",
    )
    def list_categories(self, request, who):
        return self.inventory.list_categories()

    @route(
        "POST",
        "/api/categories",
        body=schemas.CategoryIn,
        response=schemas.Category,
        status=201,
        allow=(ADMIN,),
        summary="Register a kind of device",
        tag="network",
    )
    def register_category(self, request, who, body):
        return self.inventory.register_category(wire(schemas.CategoryIn(), body))

    @route(
        "PATCH",
        "/api/categories/<int:category_id>",
        body=schemas.CategoryRename,
        response=schemas.Category,
        allow=(ADMIN,),
        summary="Correct a kind of device's name (its code stays)",
        tag="network",
    )
    def rename_category(self, request, who, category_id, body):
        """{"name": "Tablette tactile"}"""
        return operations.admin_rename_category(self, who, category_id, body["name"])

    # --- items ------------------------------------------------------------------------------

    @route(
        "GET",
        "/api/items",
        query=schemas.ItemQuery,
        response=schemas.ItemPage,
        allow=READERS,
        produces=("text/csv",),
        summary="Devices, filtered, a page at a time (or ?format=csv: all of them)",
        tag="items",
    )
    def list_items(self, request, who, query):
        """Staff see their partner's devices and those standing at its sites: the
        inventory applies that scope with the filters, one page at a time."""
        filters = {**wire(schemas.ItemQuery(), query), **Scope(who, self).item_filter()}
        if filters.pop("format") == "csv":
            rows = all_pages(self.inventory.list_items_page, filters)
            return csv_export.csv_response(rows, COLUMNS + EXPORT_ONLY, "items.csv")
        return self.inventory.list_items_page(filters)

    @route(
        "GET",
        "/api/items/<asset_tag>",
        response=schemas.Item,
        allow=READERS,
        summary="A device",
        tag="items",
    )
    def get_item(self, request, who, asset_tag):
        item = self.inventory.get_item(asset_tag)
        require(Scope(who, self).sees_item(item))
        return item

    @route(
        "POST",
        "/api/items",
        body=schemas.ItemIn,
        response=schemas.Item,
        status=201,
        allow=(STAFF,),
        summary="Register a device of the caller's partner",
        tag="items",
    )
    def register_item(self, request, who, body):
        """{"asset_tag": "JV-TAB-001", "make": "Samsung", "model": "Galaxy Tab A8",
        "category": "tablet", "owner": "jean-vilar", "home_site": "jean-vilar"}"""
        require(body["owner"] == Scope(who, self).partner_code, action=True)
        return self.inventory.register_item(wire(schemas.ItemIn(), body))

    @route(
        "PATCH",
        "/api/items/<asset_tag>",
        body=schemas.ItemUpdate,
        response=schemas.Item,
        allow=(STAFF,),
        summary="Correct a device's description",
        tag="items",
    )
    def update_item(self, request, who, asset_tag, body):
        """{"condition": "fair", "notes": "rayure sur l'écran"}"""
        Scope(who, self).require_change_item(self.inventory.get_item(asset_tag))
        return self.inventory.update_item(asset_tag, wire(schemas.ItemUpdate(), body))

    @route(
        "POST",
        "/api/items/<asset_tag>/status",
        body=schemas.StatusChangeIn,
        response=schemas.Item,
        allow=(STAFF,),
        summary="Move a device through its lifecycle (maintenance, retired…)",
        tag="items",
    )
    def change_status(self, request, who, asset_tag, body):
        """{"status": "in_maintenance", "reason": "écran fissuré"}"""
        Scope(who, self).require_change_item(self.inventory.get_item(asset_tag))
        return self.inventory.change_status(asset_tag, wire(schemas.StatusChangeIn(), body))

    @route(
        "POST",
        "/api/items/<asset_tag>/wipe",
        body=schemas.WipeIn,
        response=schemas.Item,
        allow=(STAFF,),
        summary="Record that a returned device was wiped: lendable again",
        tag="items",
    )
    def record_wipe(self, request, who, asset_tag, body):
        """Staff of the site where the device stands: they hold it."""
        Scope(who, self).require_wipe(self.inventory.get_item(asset_tag))
        return self.inventory.record_wipe(asset_tag, wire(schemas.WipeIn(), body))

    @route(
        "POST",
        "/api/items/<asset_tag>/transfer",
        body=schemas.TransferIn,
        response=schemas.Item,
        allow=(STAFF,),
        summary="Move a device to another site (or give it to another partner)",
        tag="items",
    )
    def transfer_item(self, request, who, asset_tag, body):
        """{"to_site": "mistral", "reason": "atelier du jeudi"}"""
        Scope(who, self).require_change_item(self.inventory.get_item(asset_tag))
        return self.inventory.transfer_item(asset_tag, wire(schemas.TransferIn(), body))

    @route(
        "GET",
        "/api/items/<asset_tag>/history",
        response=schemas.HistoryEntry(many=True),
        allow=READERS,
        summary="Everything that happened to a device, and who did it",
        tag="items",
    )
    def item_history(self, request, who, asset_tag):
        require(Scope(who, self).sees_item(self.inventory.get_item(asset_tag)))
        return self.inventory.item_history(asset_tag)

    @route(
        "POST",
        "/api/items/import",
        body=schemas.ImportIn,
        response=schemas.ImportReport,
        allow=(STAFF, ADMIN),
        summary="Register or update a partner's fleet from CSV",
        tag="items",
    )
    def import_items(self, request, who, body):
        """{"csv": "asset_tag,make,model,category,home_site\\nJV-TAB-001,…"}: all or
        nothing; a refusal names each line and column at fault."""
        if who.role == STAFF:
            partner = Scope(who, self).partner_code
            require(body.get("partner", partner) == partner, action=True)
        else:
            partner = body.get("partner")
            if partner is None:
                raise invalid({"partner": ["the partner to import for"]})
        return self.inventory.import_items_csv(partner, body["csv"])

    @route(
        "POST",
        "/api/items/labels",
        body=schemas.LabelsIn,
        allow=(STAFF,),
        produces=("application/pdf",),
        summary="A PDF sheet of QR labels for the caller's devices",
        tag="items",
    )
    def labels(self, request, who, body):
        """{"asset_tags": ["JV-TAB-001", "JV-TAB-002"]}"""
        self._require_all_changeable(who, body["asset_tags"])
        pdf = base64.b64decode(self.inventory.labels_pdf(wire(schemas.LabelsIn(), body)))
        return Response(
            pdf,
            content_type="application/pdf",
            headers={"Content-Disposition": 'inline; filename="labels.pdf"'},
        )

    def _require_all_changeable(self, who, asset_tags):
        """Every device named is one the caller sees (or 404) and may change (or 403):
        the inventory answers with those of them the caller sees, in one list."""
        scope = Scope(who, self)
        seen = all_pages(
            self.inventory.list_items_page, {"asset_tags": asset_tags, **scope.item_filter()}
        )
        items = {item["asset_tag"]: item for item in seen}
        for tag in asset_tags:
            require(tag in items)
            require(scope.may_change_item(items[tag]), action=True)

    # --- kits -------------------------------------------------------------------------------

    @route(
        "GET",
        "/api/kits",
        response=schemas.Kit(many=True),
        allow=READERS,
        summary="Kits: devices reserved together",
        tag="items",
    )
    def list_kits(self, request, who):
        """Staff see the kits made of devices they see."""
        return self.inventory.list_kits(Scope(who, self).item_filter())

    @route(
        "POST",
        "/api/kits",
        body=schemas.KitIn,
        response=schemas.Kit,
        status=201,
        allow=(STAFF,),
        summary="Group the caller's devices into a kit",
        tag="items",
    )
    def register_kit(self, request, who, body):
        """{"code": "jv-atelier-10", "name": "Kit atelier", "asset_tags": ["JV-TAB-001"]}"""
        self._require_all_changeable(who, body["asset_tags"])
        return self.inventory.register_kit(wire(schemas.KitIn(), body))
