"""Hand-made event streams for the audit's analytics: real envelopes from
partanum.events.make_event, dated when the story says they happened."""

from datetime import datetime
from zoneinfo import ZoneInfo

from partanum.events import make_event, require
from services.booking import events as booking_events
from services.inventory import events as inventory_events

require(booking_events, inventory_events)

PARIS = ZoneInfo("Europe/Paris")

JEAN_VILAR_HOURS = {
    "monday": [["13:30", "18:30"]],
    "tuesday": [["09:00", "12:00"], ["13:30", "18:30"]],
    "wednesday": [["09:00", "12:00"], ["13:30", "18:30"]],
    "thursday": [["13:30", "18:30"]],
    "friday": [["09:00", "12:00"], ["13:30", "18:30"]],
}


def local(text: str) -> datetime:
    """'2026-11-24 10:00' at La Roseraie."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


class Stream:
    """Events in the order they are told; `at` is local time unless it has an offset."""

    def __init__(self):
        self.events: list[dict] = []
        self._ids: dict[str, int] = {}

    def _next(self, kind: str) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    def add(self, event_type: str, data: dict, at, producer: str = "test") -> dict:
        moment = at if isinstance(at, datetime) else local(at)
        envelope = make_event(event_type, data, producer, "staff:1")
        envelope["occurred_at"] = moment.isoformat()
        self.events.append(envelope)
        return envelope

    # --- inventory -----------------------------------------------------------------

    def partner(self, code: str, at="2026-01-01 08:00") -> int:
        partner_id = self._next("partner")
        self.add("inventory.partner_registered", {"partner_id": partner_id, "code": code}, at)
        return partner_id

    def site(
        self, code: str, partner_id: int, at="2026-01-01 08:00", hours=None, closures=()
    ) -> int:
        site_id = self._next("site")
        self.add(
            "inventory.site_registered",
            {**_site_state(site_id, code, hours, closures), "partner_id": partner_id},
            at,
        )
        return site_id

    def hours_changed(self, site_id: int, code: str, hours, at, closures=()) -> None:
        self.add("inventory.site_hours_changed", _site_state(site_id, code, hours, closures), at)

    def category(self, code: str, at="2026-01-01 08:00") -> int:
        category_id = self._next("category")
        self.add("inventory.category_registered", {"category_id": category_id, "code": code}, at)
        return category_id

    def item(
        self, tag: str, category_id: int, partner_id: int, site_id: int, at="2026-01-01 08:00"
    ) -> int:
        item_id = self._next("item")
        self.add(
            "inventory.item_registered",
            {
                "item_id": item_id,
                "asset_tag": tag,
                "category_id": category_id,
                "owner_partner_id": partner_id,
                "site_id": site_id,
                "status": "available",
                "make": "Lenovo",
                "model": "Tab M10",
            },
            at,
        )
        return item_id

    def status(self, item_id: int, before: str, after: str, at) -> None:
        self.add(
            "inventory.item_status_changed",
            {
                "item_id": item_id,
                "asset_tag": f"TAG-{item_id}",
                "from_status": before,
                "to_status": after,
                "reason_code": "staff",
                "history_id": 1,
            },
            at,
        )

    def transfer(
        self, item_id: int, from_site: int, to_site: int, from_partner: int, to_partner: int, at
    ) -> None:
        self.add(
            "inventory.item_transferred",
            {
                "item_id": item_id,
                "asset_tag": f"TAG-{item_id}",
                "from_site_id": from_site,
                "to_site_id": to_site,
                "from_partner_id": from_partner,
                "to_partner_id": to_partner,
                "reason_code": "rebalancing",
                "history_id": 1,
            },
            at,
        )

    # --- booking -------------------------------------------------------------------

    def reserve(
        self, item_ids, site_id: int, starts: str, ends: str, partner_id: int = 1, at=None
    ) -> int:
        reservation_id = self._next("reservation")
        self.add(
            "booking.reservation_created",
            {
                "reservation_id": reservation_id,
                "partner_id": partner_id,
                "site_id": site_id,
                "item_ids": list(item_ids),
                "starts_at": _moment(starts),
                "ends_at": _moment(ends),
                "series_id": None,
            },
            at or "2026-01-02 08:00",
        )
        return reservation_id

    def cancel(self, reservation_id: int, at) -> None:
        self.add("booking.reservation_cancelled", {"reservation_id": reservation_id}, at)

    def release(self, reservation_id: int, item_ids, at, partner_id: int = 1) -> None:
        self.add(
            "booking.reservation_released",
            {
                "reservation_id": reservation_id,
                "partner_id": partner_id,
                "item_ids": list(item_ids),
            },
            at,
        )

    def lend(self, item_id: int, site_id: int, at, due, resident_id: int = 1) -> int:
        loan_id = self._next("loan")
        self.add(
            "booking.loan_checked_out",
            {
                "loan_id": loan_id,
                "item_id": item_id,
                "resident_id": resident_id,
                "site_id": site_id,
                "due_at": _moment(due),
                "overridden": False,
            },
            at,
        )
        return loan_id

    def check_in(self, loan_id: int, item_id: int, at, resident_id: int = 1) -> None:
        self.add(
            "booking.loan_checked_in",
            {
                "loan_id": loan_id,
                "item_id": item_id,
                "resident_id": resident_id,
                "condition": "good",
                "missing_accessory_count": 0,
            },
            at,
        )

    def lose(self, loan_id: int, item_id: int, at, resident_id: int = 1) -> None:
        self.add(
            "booking.loan_lost",
            {"loan_id": loan_id, "item_id": item_id, "resident_id": resident_id},
            at,
        )

    def unmet(self, site_id, category_id, quantity: int, at, partner_id: int = 1) -> None:
        moment = local(at) if isinstance(at, str) else at
        self.add(
            "booking.demand_unmet",
            {
                "partner_id": partner_id,
                "site_id": site_id,
                "category_id": category_id,
                "quantity": quantity,
                "starts_at": moment,
                "ends_at": moment,
                "reason_code": "not_available",
            },
            at,
        )

    def join_waiting_list(self, site_id: int, category_id: int, at, resident_id: int = 1) -> int:
        entry_id = self._next("entry")
        self.add(
            "booking.waiting_list_joined",
            {
                "entry_id": entry_id,
                "resident_id": resident_id,
                "category_id": category_id,
                "site_id": site_id,
            },
            at,
        )
        return entry_id

    def leave_waiting_list(self, entry_id: int, at, resident_id: int = 1) -> None:
        self.add(
            "booking.waiting_list_left",
            {"entry_id": entry_id, "resident_id": resident_id, "released_item_id": None},
            at,
        )


def _site_state(site_id: int, code: str, hours, closures) -> dict:
    return {
        "site_id": site_id,
        "code": code,
        "name": code,
        "address": "",
        "opening_hours": hours or {},
        "closures": [[first.isoformat(), last.isoformat()] for first, last in closures],
    }


def _moment(text):
    return text if isinstance(text, datetime) else local(text)
