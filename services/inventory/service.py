"""The inventory service: partners, sites, categories, every shared device and kit.

RPC only; the gateway puts HTTP in front. Each call loads its input with a
schema (InvalidInput names every field at fault and nothing changes), runs in
one transaction with its events, and returns plain JSON-able data.
"""

import base64

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from partanum import inbox, topology
from partanum.consumer import handle_events
from partanum.dependencies import Database
from partanum.errors import PartanumError, load
from partanum.events import require
from partanum.health import HealthCheck
from partanum.rpc import rpc
from partanum.schemas import schema
from services.audit import events as audit_contracts
from services.booking import events as booking_contracts
from services.inventory import commands, csv_io, labels, listings, schemas
from services.inventory.models import Category, ItemHistory, Partner, Site

require(audit_contracts, booking_contracts)

expected = rpc(expected_exceptions=PartanumError)


class Service(HealthCheck):
    name = "inventory"
    db = Database()

    # --- partners, sites, categories ------------------------------------------

    @expected
    def register_partner(self, payload):
        """{"code": "jean-vilar", "name": "Centre Jean Vilar"}"""
        data = load(schema(schemas.PartnerIn), payload)
        with self.db.transaction() as tx:
            partner = commands.register_partner(tx, data)
            tx.commit()
            return schema(schemas.PartnerOut).dump(partner)

    @expected
    def list_partners(self):
        with self.db.transaction() as tx:
            partners = tx.session.scalars(select(Partner).order_by(Partner.name))
            return schema(schemas.PartnerOut, many=True).dump(partners)

    @expected
    def get_partner(self, partner_id):
        """3 → {"id": 3, "code": "jean-vilar", "name": "Centre Jean Vilar", "sites": [...]}"""
        data = load(schema(schemas.PartnerRef), {"partner_id": partner_id})
        with self.db.transaction() as tx:
            partner = commands.get_partner(tx, data["partner_id"])
            return schema(schemas.PartnerSitesOut).dump(partner)

    @expected
    def rename_partner(self, partner_id, payload):
        """(3, {"name": "Centre social Jean Vilar"}) → the partner, its code unchanged."""
        ref = load(schema(schemas.PartnerRef), {"partner_id": partner_id})
        data = load(schema(schemas.PartnerRename), payload)
        with self.db.transaction() as tx:
            partner = commands.rename_partner(tx, ref["partner_id"], data["name"])
            tx.commit()
            return schema(schemas.PartnerOut).dump(partner)

    @expected
    def register_site(self, payload):
        """{"code": "jean-vilar", "name": "Centre Jean Vilar", "partner": "jean-vilar",
        "address": "1 place Jean XXIII, 49100 Angers",
        "opening_hours": {"monday": [["13:30", "18:30"]]}}"""
        data = load(schema(schemas.SiteIn), payload)
        with self.db.transaction() as tx:
            site = commands.register_site(tx, data)
            tx.commit()
            return schema(schemas.SiteOut).dump(site)

    @expected
    def get_site(self, code):
        with self.db.transaction() as tx:
            return schema(schemas.SiteOut).dump(commands.get_site(tx, code))

    @expected
    def list_sites(self):
        with self.db.transaction() as tx:
            sites = tx.session.scalars(
                select(Site)
                .options(selectinload(Site.partner), selectinload(Site.closures))
                .order_by(Site.name)
            )
            return schema(schemas.SiteOut, many=True).dump(sites)

    @expected
    def change_site(self, site_code, payload):
        """("jean-vilar", {"name": "Centre Jean Vilar", "address": "1 place Jean XXIII,
        49100 Angers"}): either or both; its code, hours and closures unchanged."""
        data = load(schema(schemas.SiteChange), payload)
        with self.db.transaction() as tx:
            site = commands.change_site(tx, site_code, data)
            tx.commit()
            return schema(schemas.SiteOut).dump(site)

    @expected
    def set_opening_hours(self, site_code, payload):
        """{"opening_hours": {"monday": [["13:30", "18:30"]], "tuesday": [["09:00", "12:00"]]}}"""
        data = load(schema(schemas.HoursIn), payload)
        with self.db.transaction() as tx:
            site = commands.set_opening_hours(tx, site_code, data["opening_hours"])
            tx.commit()
            return schema(schemas.SiteOut).dump(site)

    @expected
    def add_closure(self, site_code, payload):
        """{"starts_on": "2026-12-24", "ends_on": "2027-01-02", "reason": "Fêtes de fin d'année"}"""
        data = load(schema(schemas.ClosureIn), payload)
        with self.db.transaction() as tx:
            site = commands.add_closure(tx, site_code, data)
            tx.commit()
            return schema(schemas.SiteOut).dump(site)

    # the administrator's pages: a closure planned by mistake is taken back
    @expected
    def remove_closure(self, site_code, closure_id):
        """("jean-vilar", 4) → the site without that closure; NotFound when it has none such."""
        with self.db.transaction() as tx:
            site = commands.remove_closure(tx, site_code, closure_id)
            tx.commit()
            return schema(schemas.SiteOut).dump(site)

    @expected
    def register_category(self, payload):
        """{"code": "tablet", "name": "Tablette"}"""
        data = load(schema(schemas.CategoryIn), payload)
        with self.db.transaction() as tx:
            category = commands.register_category(tx, data)
            tx.commit()
            return schema(schemas.CategoryOut).dump(category)

    @expected
    def rename_category(self, category_id, payload):
        """(2, {"name": "Tablette tactile"}) → the category, its code unchanged."""
        ref = load(schema(schemas.CategoryRef), {"category_id": category_id})
        data = load(schema(schemas.CategoryRename), payload)
        with self.db.transaction() as tx:
            category = commands.rename_category(tx, ref["category_id"], data["name"])
            tx.commit()
            return schema(schemas.CategoryOut).dump(category)

    @expected
    def list_categories(self):
        with self.db.transaction() as tx:
            categories = tx.session.scalars(select(Category).order_by(Category.code))
            return schema(schemas.CategoryOut, many=True).dump(categories)

    # --- items ------------------------------------------------------------------

    @expected
    def register_item(self, payload):
        """{"asset_tag": "JV-TAB-001", "make": "Samsung", "model": "Galaxy Tab A8",
        "category": "tablet", "owner": "jean-vilar", "home_site": "jean-vilar",
        "accessories": ["chargeur", "housse"]}"""
        data = load(schema(schemas.ItemIn), payload)
        with self.db.transaction() as tx:
            item = commands.register_item(tx, data)
            tx.commit()
            return schema(schemas.ItemOut).dump(item)

    @expected
    def get_item(self, asset_tag):
        with self.db.transaction() as tx:
            return schema(schemas.ItemOut).dump(commands.get_item(tx, asset_tag))

    @expected
    def list_items(self, filters=None):
        """{"category": "laptop", "site": "jean-vilar", "status": "available"} (each optional)"""
        data = load(schema(schemas.ItemFilter), filters or {})
        with self.db.transaction() as tx:
            items = tx.session.scalars(listings.items_query(tx, data))
            return schema(schemas.ItemOut, many=True).dump(items)

    @expected
    def list_items_page(self, filters=None):
        """{"partner_id": 3, "status": "available", "search": "galaxy", "limit": 50,
        "offset": 0} (each optional) → {"items": [...], "total": 120, "limit": 50,
        "offset": 0}: `partner_id` keeps what that partner's staff see."""
        data = load(schema(schemas.ItemPageFilter), filters or {})
        with self.db.transaction() as tx:
            items, total = listings.items(tx, data)
            return {
                "items": schema(schemas.ItemOut, many=True).dump(items),
                "total": total,
                "limit": data["limit"],
                "offset": data["offset"],
            }

    @expected
    def update_item(self, asset_tag, payload):
        """{"condition": "fair", "notes": "rayure sur l'écran"}"""
        data = load(schema(schemas.ItemUpdate), payload)
        with self.db.transaction() as tx:
            item = commands.update_item(tx, commands.get_item(tx, asset_tag, lock=True), data)
            tx.commit()
            return schema(schemas.ItemOut).dump(item)

    @expected
    def change_status(self, asset_tag, payload):
        """{"status": "in_maintenance", "reason": "écran fissuré"}"""
        data = load(schema(schemas.StatusChangeIn), payload)
        with self.db.transaction() as tx:
            item = commands.change_status(tx, asset_tag, data["status"], data["reason"])
            tx.commit()
            return schema(schemas.ItemOut).dump(item)

    @expected
    def record_wipe(self, asset_tag, payload=None):
        """{"reason": "réinitialisé, compte Google retiré"} (optional)"""
        data = load(schema(schemas.WipeIn), payload or {})
        with self.db.transaction() as tx:
            item = commands.record_wipe(tx, asset_tag, data["reason"])
            tx.commit()
            return schema(schemas.ItemOut).dump(item)

    @expected
    def transfer_item(self, asset_tag, payload):
        """{"to_site": "jean-vilar", "to_partner": "mairie" (optional), "reason": "atelier du jeudi"}"""
        data = load(schema(schemas.TransferIn), payload)
        with self.db.transaction() as tx:
            item = commands.transfer_item(tx, asset_tag, data)
            tx.commit()
            return schema(schemas.ItemOut).dump(item)

    @expected
    def item_history(self, asset_tag):
        with self.db.transaction() as tx:
            item = commands.get_item(tx, asset_tag)
            history = tx.session.scalars(
                select(ItemHistory).where(ItemHistory.item_id == item.id).order_by(ItemHistory.id)
            )
            return schema(schemas.HistoryOut, many=True).dump(history)

    # --- kits ---------------------------------------------------------------------

    @expected
    def register_kit(self, payload):
        """{"code": "jv-atelier-10", "name": "Kit atelier 10 tablettes", "asset_tags": ["JV-TAB-001", …]}"""
        data = load(schema(schemas.KitIn), payload)
        with self.db.transaction() as tx:
            kit = commands.register_kit(tx, data)
            tx.commit()
            return schema(schemas.KitOut).dump(kit)

    @expected
    def list_kits(self, filters=None):
        """{"partner_id": 3} (optional): only the kits made of devices that partner sees."""
        data = load(schema(schemas.KitFilter), filters or {})
        with self.db.transaction() as tx:
            return schema(schemas.KitOut, many=True).dump(listings.kits(tx, data))

    # --- files ----------------------------------------------------------------------

    @expected
    def import_items_csv(self, partner_code, csv_text):
        """Register or update a partner's fleet from CSV (see vocabulary.COLUMNS); all or nothing.

        Returns {"created": n, "updated": n, "unchanged": n}, or raises
        InvalidInput with {"rows": [{"line": 3, "column": "category", "error": "…"}]}."""
        with self.db.transaction() as tx:
            report = csv_io.import_items(tx, partner_code, csv_text)
            tx.commit()
            return report

    @expected
    def preview_items_csv(self, partner_code, csv_text):
        """What import_items_csv would do with this file, changing nothing: the same
        refusals, or {"created": n, "updated": n, "unchanged": n, "rows": [{"line": 2,
        "asset_tag": "JV-TAB-001", "change": "updated", "fields": ["notes"]}, …]}."""
        with self.db.transaction() as tx:
            return csv_io.preview_import(tx, partner_code, csv_text)

    @expected
    def export_items_csv(self, filters=None):
        data = load(schema(schemas.ItemFilter), filters or {})
        with self.db.transaction() as tx:
            return csv_io.export_items(tx.session.scalars(listings.items_query(tx, data)))

    @expected
    def labels_pdf(self, payload):
        """{"asset_tags": ["JV-TAB-001", …]} → the PDF sheet of QR labels, base64-encoded."""
        data = load(schema(schemas.LabelsIn), payload)
        with self.db.transaction() as tx:
            items = [commands.get_item(tx, tag) for tag in data["asset_tags"]]
            return base64.b64encode(labels.sheet(items)).decode("ascii")

    # --- events from the booking ------------------------------------------------------

    @handle_events(topology.INVENTORY_BOOKING)
    def on_booking_event(self, event):
        """A device lent, returned or lost at a front desk changes status here."""
        with self.db.transaction() as tx:
            if inbox.first_delivery(tx.session, "inventory.on_booking_event", event):
                commands.apply_loan_event(tx, event)
            tx.commit()

    # --- rebalancing accepted in the audit service ----------------------------------------

    @handle_events(topology.INVENTORY_AUDIT)
    def on_audit_event(self, event):
        """A manager accepted a rebalancing: the items that are free to go move to the site."""
        with self.db.transaction() as tx:
            if inbox.first_delivery(tx.session, "inventory.on_audit_event", event):
                commands.apply_accepted_transfer(tx, event)
            tx.commit()
