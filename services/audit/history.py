"""The history of the equipment, rebuilt from the event stream: pure, no I/O.

`History.from_events(envelopes)` takes the envelopes exactly as
partanum.events.make_event builds them, in any order and with repeats. They are
deduplicated by id and applied in (occurred_at, id) order, and what a later event
undoes (a cancellation, a check-in) is applied after all the facts it refers to, so
a redelivered or late event cannot change the history. Times are POSIX seconds.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

OUT_OF_SERVICE = ("retired", "lost")


def _ts(text) -> float:
    if isinstance(text, float):  # POSIX seconds already (an item's kept events: item_events.py)
        return text
    return datetime.fromisoformat(text).timestamp() if isinstance(text, str) else text.timestamp()


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# --- the history, rebuilt from events -----------------------------------------------


@dataclass
class Item:
    item_id: int
    asset_tag: str
    category_id: int
    registered_at: float
    # (since, site_id, owner partner_id), in time order: transfers move an item.
    placements: list = field(default_factory=list)
    # (at, status) in time order.
    statuses: list = field(default_factory=list)

    def placement_at(self, ts: float) -> tuple[int, int]:
        current = self.placements[0]
        for placement in self.placements:
            if placement[0] > ts:
                break
            current = placement
        return current[1], current[2]

    def in_service_spans(self, start: float, end: float) -> list[tuple[float, float]]:
        """When, within [start, end), the item was registered and neither retired nor lost."""
        spans: list[tuple[float, float]] = []
        since: float | None = max(start, self.registered_at)
        for at, status in self.statuses:
            if status in OUT_OF_SERVICE and since is not None:
                if at > since:
                    spans.append((since, min(at, end)))
                since = None
            elif status not in OUT_OF_SERVICE and since is None:
                since = max(at, start)
        if since is not None and since < end:
            spans.append((since, end))
        return [(s, e) for s, e in spans if e > s]

    def status_at(self, ts: float) -> str | None:
        current = None
        for at, status in self.statuses:
            if at > ts:
                break
            current = status
        return current


@dataclass
class Reservation:
    reservation_id: int
    site_id: int
    partner_id: int
    item_ids: list
    starts_at: float
    ends_at: float


@dataclass
class Loan:
    loan_id: int
    item_id: int
    resident_id: int | None
    site_id: int
    out_at: float
    due_at: float
    back_at: float | None = None
    lost_at: float | None = None


@dataclass
class Unmet:
    at: float
    site_id: int | None
    category_id: int | None
    quantity: int


@dataclass
class WaitingEntry:
    site_id: int
    category_id: int
    joined_at: float
    left_at: float | None = None


@dataclass
class History:
    partners: dict = field(default_factory=dict)  # id → code
    sites: dict = field(default_factory=dict)  # id → (code, partner_id)
    categories: dict = field(default_factory=dict)  # id → code
    items: dict = field(default_factory=dict)  # id → Item
    reservations: dict = field(default_factory=dict)  # id → Reservation (not cancelled)
    loans: dict = field(default_factory=dict)  # id → Loan
    unmet: list = field(default_factory=list)
    waiting: dict = field(default_factory=dict)  # entry id → WaitingEntry
    events: int = 0

    @classmethod
    def from_events(cls, envelopes) -> "History":
        unique: dict = {}
        for envelope in envelopes:
            unique.setdefault(envelope["id"], envelope)
        ordered = sorted(
            ((_ts(e["occurred_at"]), e["id"], e) for e in unique.values()),
            key=lambda entry: entry[:2],
        )
        history = cls(events=len(ordered))
        undone: list = []  # (at, type, data), applied once every fact is known
        for at, _, envelope in ordered:
            handler = _FACTS.get(envelope["type"])
            if handler is not None:
                handler(history, at, envelope["data"])
            elif envelope["type"] in _UNDOING:
                undone.append((at, envelope["type"], envelope["data"]))
        for at, event_type, data in undone:
            _UNDOING[event_type](history, at, data)
        return history

    def of_category(self, category_id: int) -> "History":
        """The same history, with the devices of one category only."""
        return replace(
            self,
            items={
                item_id: item
                for item_id, item in self.items.items()
                if item.category_id == category_id
            },
        )

    def uses_of(self, item_id: int, until: float) -> list[tuple[float, float]]:
        """`uses(until)` of this one item."""
        spans = [
            (reservation.starts_at, reservation.ends_at)
            for reservation in self.reservations.values()
            if item_id in reservation.item_ids
        ]
        for loan in self.loans.values():
            if loan.item_id == item_id:
                end = loan.back_at if loan.back_at is not None else max(until, loan.out_at)
                spans.append((loan.out_at, end))
        return _merged(spans)

    # Use of one item, as [start, end) intervals (an open loan runs to `until`).
    def uses(self, until: float) -> dict[int, list[tuple[float, float]]]:
        uses = defaultdict(list)
        for reservation in self.reservations.values():
            for item_id in reservation.item_ids:
                uses[item_id].append((reservation.starts_at, reservation.ends_at))
        for loan in self.loans.values():
            end = loan.back_at if loan.back_at is not None else max(until, loan.out_at)
            uses[loan.item_id].append((loan.out_at, end))
        return {item_id: _merged(spans) for item_id, spans in uses.items()}

    def label(self, by: str, key, site_hours: dict | None = None) -> str:
        if key is None:
            return "unknown"
        if by == "item":
            return self.items[key].asset_tag if key in self.items else f"item {key}"
        if by == "category":
            return self.categories.get(key, f"category {key}")
        if by == "partner":
            return self.partners.get(key, f"partner {key}")
        hours = (site_hours or {}).get(key)
        if hours is not None and hours.name:
            return hours.name
        return self.sites[key][0] if key in self.sites else f"site {key}"


def _merged(spans):
    """The union of [start, end) intervals, in order."""
    merged = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _partner(h, at, d):
    h.partners[d["partner_id"]] = d["code"]


def _site(h, at, d):
    h.sites[d["site_id"]] = (d["code"], d["partner_id"])


def _category(h, at, d):
    h.categories[d["category_id"]] = d["code"]


def _item(h, at, d):
    if d["item_id"] in h.items:
        # Registered again (the demo's history dates the network's registrations
        # back): one device, there since its first registration.
        return
    h.items[d["item_id"]] = Item(
        d["item_id"],
        d["asset_tag"],
        d["category_id"],
        at,
        [(at, d["site_id"], d["owner_partner_id"])],
        [(at, d["status"])],
    )


def _status(h, at, d):
    if d["item_id"] in h.items:
        h.items[d["item_id"]].statuses.append((at, d["to_status"]))


def _transfer(h, at, d):
    if d["item_id"] in h.items:
        h.items[d["item_id"]].placements.append((at, d["to_site_id"], d["to_partner_id"]))


def _reservation(h, at, d):
    h.reservations[d["reservation_id"]] = Reservation(
        d["reservation_id"],
        d["site_id"],
        d["partner_id"],
        list(d["item_ids"]),
        _ts(d["starts_at"]),
        _ts(d["ends_at"]),
    )


def _loan_out(h, at, d):
    h.loans[d["loan_id"]] = Loan(
        d["loan_id"], d["item_id"], d["resident_id"], d["site_id"], at, _ts(d["due_at"])
    )


def _unmet(h, at, d):
    h.unmet.append(Unmet(at, d["site_id"], d["category_id"], d["quantity"]))


def _joined(h, at, d):
    h.waiting[d["entry_id"]] = WaitingEntry(d["site_id"], d["category_id"], at)


_FACTS = {
    "inventory.partner_registered": _partner,
    "inventory.site_registered": _site,
    "inventory.category_registered": _category,
    "inventory.item_registered": _item,
    "inventory.item_status_changed": _status,
    "inventory.item_transferred": _transfer,
    "booking.reservation_created": _reservation,
    "booking.loan_checked_out": _loan_out,
    "booking.demand_unmet": _unmet,
    "booking.waiting_list_joined": _joined,
}


def _cancelled(h, at, d):
    h.reservations.pop(d["reservation_id"], None)


def _withdrawn(h, at, d):
    reservation = h.reservations.get(d["reservation_id"])
    if reservation is not None and d["item_id"] in reservation.item_ids:
        reservation.item_ids.remove(d["item_id"])
        if d["replacement_item_id"] is not None:
            reservation.item_ids.append(d["replacement_item_id"])


def _returned(h, at, d):
    # Brought back before its end: the devices were free again from then on.
    reservation = h.reservations.get(d["reservation_id"])
    if reservation is not None:
        reservation.ends_at = max(reservation.starts_at, min(reservation.ends_at, at))


def _renewed(h, at, d):
    if d["loan_id"] in h.loans:
        h.loans[d["loan_id"]].due_at = _ts(d["due_at"])


def _back(h, at, d):
    if d["loan_id"] in h.loans:
        h.loans[d["loan_id"]].back_at = at


def _lost(h, at, d):
    if d["loan_id"] in h.loans:
        h.loans[d["loan_id"]].back_at = h.loans[d["loan_id"]].lost_at = at


def _left(h, at, d):
    if d["entry_id"] in h.waiting:
        h.waiting[d["entry_id"]].left_at = at


# Events that end or change an earlier fact, applied after all facts in time order.
_UNDOING = {
    "booking.reservation_cancelled": _cancelled,
    "booking.reservation_released": _cancelled,
    "booking.reservation_item_withdrawn": _withdrawn,
    "booking.reservation_returned": _returned,
    "booking.loan_renewed": _renewed,
    "booking.loan_checked_in": _back,
    "booking.loan_lost": _lost,
    "booking.waiting_list_left": _left,
    "booking.hold_fulfilled": _left,
    # Nobody came for the held device: booking ends that entry and offers the next.
    "booking.hold_expired": _left,
}
