"""The booking service: partner staff reserve shared equipment; no item is ever
promised twice for overlapping times (the database enforces it)."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy, rpc

from partanum import inbox, topology
from partanum.consumer import handle_events
from partanum.dependencies import Database
from partanum.errors import PartanumError, load
from partanum.health import HealthCheck
from services.booking import commands, domain, projections, schemas
from services.booking.exceptions import NotAvailable

expected = rpc(expected_exceptions=PartanumError)
# Concurrent requests for the same items: the loser of a race retries with a
# fresh view, and is refused only if nothing is left.
RACE_RETRIES = 5


class Service(HealthCheck):
    name = "booking"
    db = Database()
    inventory = RpcProxy("inventory")
    config = Config()

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.config.get("BOOKING_BUFFER_MINUTES", 30))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.get("TIMEZONE", "Europe/Paris"))

    @expected
    def reserve(self, payload):
        """{"partner_id": 2, "site": "jean-vilar", "category_id": 1, "quantity": 10,
        "starts_at": "2026-12-01T14:00:00+01:00", "ends_at": "2026-12-01T17:00:00+01:00"}
        or, for chosen items, "asset_tags": ["JV-TAB-001", …] instead of category and quantity."""
        data = load(schemas.ReservationIn(), payload)
        for _attempt in range(RACE_RETRIES):
            try:
                with self.db.transaction() as tx:
                    reservation = commands.reserve(tx, data, self.buffer, self.zone)
                    tx.commit()
                    return schemas.ReservationOut().dump(reservation)
            except commands.Overlap:
                continue
            except NotAvailable as refused:
                self._record_unmet(data, str(refused))
                raise
        self._record_unmet(data, "lost every race for the same items")
        raise NotAvailable("the items were taken by concurrent requests", {})

    def _record_unmet(self, data, reason):
        with self.db.transaction() as tx:
            commands.record_unmet_demand(tx, data, reason)
            tx.commit()

    @expected
    def cancel_reservation(self, reservation_id):
        with self.db.transaction() as tx:
            reservation = commands.cancel(tx, reservation_id)
            tx.commit()
            return schemas.ReservationOut().dump(reservation)

    @expected
    def availability(self, payload):
        """{"category_id": 1, "site": "jean-vilar" (optional), "starts_at": …, "ends_at": …}"""
        data = load(schemas.AvailabilityIn(), payload)
        window = domain.Window(data["starts_at"], data["ends_at"])
        with self.db.transaction() as tx:
            site_id = commands.site_by_code(tx, data["site"]).id if data["site"] else None
            free = commands.free_items(tx, data["category_id"], site_id, window, self.buffer)
            return {"free": len(free), "asset_tags": [item.asset_tag for item in free]}

    @handle_events(topology.BOOKING_INVENTORY)
    def on_inventory_event(self, event):
        with self.db.transaction() as tx:
            if inbox.first_delivery(tx.session, "booking.on_inventory_event", event):
                projections.apply(tx.session, event, self.inventory.get_site)
            tx.commit()
