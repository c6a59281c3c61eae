"""Partner staff reserve shared equipment and look for what is free."""
from nameko.rpc import rpc

from partanum.errors import PartanumError, load
from services.booking import allocations, domain, reservations, schemas, settings
from services.booking.allocations import Overlap
from services.booking.entrypoints import retry_races
from services.booking.exceptions import NotAvailable

expected = rpc(expected_exceptions=PartanumError)


class ReservationEntrypoints:
    @expected
    def reserve(self, payload):
        """{"partner_id": 2, "site": "jean-vilar", "category_id": 1, "quantity": 10,
        "starts_at": "2026-12-01T14:00:00+01:00", "ends_at": "2026-12-01T17:00:00+01:00"}
        or, for chosen items, "asset_tags": ["JV-TAB-001", …] instead of category and quantity."""
        data = load(schemas.ReservationIn(), payload)

        def attempt():
            with self.db.transaction() as tx:
                reservation = reservations.reserve(tx, data, settings.buffer(self.config),
                                                   settings.zone(self.config))
                tx.commit()
                return schemas.ReservationOut().dump(reservation)

        try:
            return retry_races(attempt)
        except NotAvailable as refused:
            self._record_unmet(data, str(refused))
            raise
        except Overlap:
            self._record_unmet(data, "lost every race for the same items")
            raise NotAvailable("the items were taken by concurrent requests", {}) from None

    def _record_unmet(self, data, reason):
        with self.db.transaction() as tx:
            reservations.record_unmet_demand(tx, data, reason)
            tx.commit()

    @expected
    def cancel_reservation(self, reservation_id):
        with self.db.transaction() as tx:
            reservation = reservations.cancel(tx, reservation_id)
            tx.commit()
            return schemas.ReservationOut().dump(reservation)

    @expected
    def availability(self, payload):
        """{"category_id": 1, "site": "jean-vilar" (optional), "starts_at": …, "ends_at": …}"""
        data = load(schemas.AvailabilityIn(), payload)
        window = domain.Window(data["starts_at"], data["ends_at"])
        with self.db.transaction() as tx:
            site_id = allocations.site_by_code(tx, data["site"]).id if data["site"] else None
            free = allocations.free_items(tx, data["category_id"], site_id, window,
                                          settings.buffer(self.config))
            return {"free": len(free), "asset_tags": [item.asset_tag for item in free]}
