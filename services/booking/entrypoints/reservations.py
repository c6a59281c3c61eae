"""Partner staff reserve shared equipment, look for what is free, pick it up and
bring it back; weekly series; sharing rules."""

from datetime import UTC, datetime

from nameko.timer import timer

from partanum.config import timer_interval
from partanum.errors import PartanumError, load
from partanum.rpc import rpc
from partanum.schemas import schema
from services.booking import allocations, domain, reservations, schemas, series, sharing
from services.booking.allocations import Overlap
from services.booking.entrypoints import retry_races
from services.booking.exceptions import NotAvailable

expected = rpc(expected_exceptions=PartanumError)

# How often the job looks for reservations nobody came to pick up.
NO_SHOW_INTERVAL = timer_interval(60)


class ReservationEntrypoints:
    @expected
    def reserve(self, payload):
        """{"partner_id": 2, "site": "jean-vilar", "category_id": 1, "quantity": 10,
        "starts_at": "2026-12-01T14:00:00+01:00", "ends_at": "2026-12-01T17:00:00+01:00"}
        or, for chosen items, "asset_tags": ["JV-TAB-001", …], or a kit: "kit": "jv-atelier-10",
        instead of category and quantity. A refusal (NotAvailable) carries in its details
        the alternatives: {"other_sites": [{"site": "mistral", "free": 12}],
        "other_windows": [{"starts_at": …, "ends_at": …}, …]}."""
        data = load(schema(schemas.ReservationIn), payload)

        def attempt():
            with self.db.transaction() as tx:
                reservation = reservations.reserve(
                    tx, data, self.settings.buffer, self.settings.zone
                )
                tx.commit()
                return schema(schemas.ReservationOut).dump(reservation)

        try:
            return retry_races(attempt)
        except NotAvailable:
            self._record_unmet([data], "not_available")
            raise
        except Overlap:
            self._record_unmet([data], "taken_concurrently")
            raise NotAvailable("the items were taken by concurrent requests", {}) from None

    def _record_unmet(self, requests, reason_code):
        with self.db.transaction() as tx:
            for data in requests:
                reservations.record_unmet_demand(tx, data, reason_code)
            tx.commit()

    @expected
    def get_reservation(self, reservation_id):
        """42 → the reservation, its items and what needs staff's attention."""
        with self.db.transaction() as tx:
            return schema(schemas.ReservationOut).dump(reservations.get(tx, reservation_id))

    @expected
    def cancel_reservation(self, reservation_id):
        """42 (a reservation's id; an occurrence of a series is cancelled alone)"""
        with self.db.transaction() as tx:
            reservation = reservations.cancel(tx, reservation_id)
            tx.commit()
            return schema(schemas.ReservationOut).dump(reservation)

    @expected
    def pick_up(self, reservation_id):
        """42: staff hand over the reserved items."""
        with self.db.transaction() as tx:
            reservation = reservations.pick_up(tx, reservation_id, datetime.now(UTC))
            tx.commit()
            return schema(schemas.ReservationOut).dump(reservation)

    @expected
    def return_reservation(self, reservation_id):
        """42: the items are back; the buffer before their next use starts now."""
        with self.db.transaction() as tx:
            reservation = reservations.return_reservation(
                tx, reservation_id, datetime.now(UTC), self.settings.buffer
            )
            tx.commit()
            return schema(schemas.ReservationOut).dump(reservation)

    @timer(interval=NO_SHOW_INTERVAL)
    def release_no_shows(self):
        """Release the reservations nobody picked up in time (PARTANUM_NO_SHOW_MINUTES)."""
        with self.db.transaction() as tx:
            reservations.release_no_shows(tx, datetime.now(UTC), self.settings.no_show_grace)
            tx.commit()

    @expected
    def availability(self, payload):
        """{"category_id": 1, "site": "jean-vilar" (optional), "partner_id": 2 (optional),
        "starts_at": "2026-12-01T14:00:00+01:00", "ends_at": "2026-12-01T17:00:00+01:00"}
        → {"free": 7, "asset_tags": [...], "sites": [{"site": "jean-vilar", "free": 5,
        "reservable": 3, "asset_tags": [...]}, ...]}; with a partner_id, only what that
        partner may reserve, and "reservable" is what one reservation may take of it
        (the owners' caps)."""
        data = load(schema(schemas.AvailabilityIn), payload)
        window = domain.Window(data["starts_at"], data["ends_at"])
        partner_id, category_id = data["partner_id"], data["category_id"]
        with self.db.transaction() as tx:
            site_id = allocations.site_by_code(tx, data["site"]).id if data["site"] else None
            rules = sharing.rules_for(tx, [category_id]) if partner_id is not None else []
            free = allocations.free_items(
                tx,
                category_id,
                site_id,
                window,
                self.settings.buffer,
                for_partner=partner_id,
                rules=rules,
            )
            sites = reservations.free_by_site(tx, free, partner_id, rules)
            return {
                "free": len(free),
                "asset_tags": [item.asset_tag for item in free],
                "sites": sites,
            }

    # --- sharing -----------------------------------------------------------------------

    @expected
    def set_sharing_rule(self, payload):
        """{"partner_id": 2, "category_id": 1 (optional: all categories), "shared": true,
        "max_per_reservation": 5 (or null: no cap)}"""
        data = load(schema(schemas.SharingRuleIn), payload)
        with self.db.transaction() as tx:
            rule = sharing.set_rule(tx, data)
            tx.commit()
            return schema(schemas.SharingRuleOut).dump(rule)

    @expected
    def sharing_rules(self, partner_id):
        """3 → [{"partner_id": 3, "category_id": null, "shared": true,
        "max_per_reservation": 5}, …]: what that partner lets others reserve (none: all
        of it, no cap)."""
        data = load(schema(schemas.SharingRulesOf), {"partner_id": partner_id})
        with self.db.transaction() as tx:
            rules = sharing.rules_of(tx, data["partner_id"])
            return schema(schemas.SharingRuleOut, many=True).dump(rules)

    @expected
    def set_item_shareable(self, payload):
        """{"asset_tag": "JV-TAB-001", "shareable": false}: its owner keeps it for itself."""
        data = load(schema(schemas.ItemShareableIn), payload)
        with self.db.transaction() as tx:
            item = sharing.set_item_shareable(tx, data["asset_tag"], data["shareable"])
            tx.commit()
            return {"asset_tag": item.asset_tag, "shareable": item.shareable}

    # --- weekly series -------------------------------------------------------------------

    @expected
    def reserve_weekly(self, payload):
        """{"partner_id": 2, "site": "jean-vilar", "category_id": 1, "quantity": 8,
        "starts_at": "2026-12-03T14:00:00+01:00", "ends_at": "2026-12-03T17:00:00+01:00",
        "until": "2027-03-25", "skip_unavailable": false}: the first occurrence's window,
        every week up to `until`. All or nothing by default; with skip_unavailable, books
        what it can → {"series": {...}, "reservations": [...], "skipped": [{"date": …,
        "reason": …}]}."""
        data = load(schema(schemas.WeeklyReservationIn), payload)

        def attempt():
            with self.db.transaction() as tx:
                made, booked, skipped = series.reserve_weekly(
                    tx, data, self.settings.buffer, self.settings.zone, datetime.now(UTC)
                )
                tx.commit()
                return {
                    "series": schema(schemas.SeriesOut).dump(made),
                    "reservations": schema(schemas.ReservationOut, many=True).dump(booked),
                    "skipped": skipped,
                }

        try:
            return retry_races(attempt)
        except NotAvailable as refused:
            weeks = refused.details.get("unavailable") or []
            self._record_unmet([{**data, **week} for week in weeks] or [data], "not_available")
            raise
        except Overlap:
            self._record_unmet([data], "taken_concurrently")
            raise NotAvailable("the items were taken by concurrent requests", {}) from None

    @expected
    def cancel_series(self, series_id, payload=None):
        """7, {"from": "2027-01-14"} (optional, default today): cancel every occurrence
        from that date on."""
        data = load(schema(schemas.CancelSeriesIn), payload or {})
        with self.db.transaction() as tx:
            made, cancelled = series.cancel_series(
                tx, series_id, data["from_date"], datetime.now(UTC), self.settings.zone
            )
            tx.commit()
            return {
                "series": schema(schemas.SeriesOut).dump(made),
                "cancelled": [reservation.id for reservation in cancelled],
            }
