"""What each event means to residents and staff: intents to send, recorded in the
transaction that records the event in the inbox; the sender does the sending.

`record(tx, event, …)` returns the messages it planned (their rows), so that the
handler can have those due now sent as soon as the transaction is committed.
"""

from datetime import datetime
from functools import cache

from sqlalchemy import insert, select, update

from partanum.db import insert_for
from partanum.dependencies import Transaction
from partanum.events import Event
from services.notifications import domain
from services.notifications.models import Item, Loan, Message, Reservation, Site
from services.notifications.settings import Settings
from services.notifications.vocabulary import CANCELLED, PENDING

# What a loan's later events make obsolete.
LOAN_FOLLOW_UPS = ("due_soon", "overdue", "call_resident")


def record(tx: Transaction, event: Event, now: datetime, settings: Settings) -> list[dict]:
    """Plan the messages `event` calls for (the inventory's events carry the sites'
    and devices' details this service keeps: nothing is asked back)."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return []
    planner = _Planner(tx, event, now)
    handler(planner, event.data, settings)
    tx.session.flush()
    if planner.planned:  # after any cancellation; one unchanging statement, many rows
        tx.session.execute(insert(Message.__table__), planner.planned)
    return planner.planned


class _Planner:
    def __init__(self, tx: Transaction, event: Event, now: datetime):
        self.session, self.event, self.now = tx.session, event, now
        self.planned: list[dict] = []

    def add(
        self,
        recipient: str,
        purpose: str,
        *,
        step: int = 0,
        at: datetime | None = None,
        resident_id=None,
        partner_id=None,
        loan_id=None,
        reservation_id=None,
        context: dict | None = None,
    ) -> None:
        self.planned.append(
            dict(
                event_id=str(self.event.id),
                recipient=recipient,
                purpose=purpose,
                step=step,
                resident_id=resident_id,
                partner_id=partner_id,
                loan_id=loan_id,
                reservation_id=reservation_id,
                context=_jsonable(context or {}),
                status=PENDING,
                send_after=at or self.now,
                channel=None,
                attempts=0,
                last_error=None,
                created_at=self.now,
                updated_at=self.now,
                sent_at=None,
            )
        )

    def to_resident(self, resident_id, purpose, **kwargs) -> None:
        if resident_id is None:  # erased: nobody to tell
            return
        self.add(f"resident:{resident_id}", purpose, resident_id=resident_id, **kwargs)

    def to_desk(self, partner_id, purpose, **kwargs) -> None:
        recipient = f"partner:{partner_id}" if partner_id is not None else "partner:unknown"
        self.add(recipient, purpose, partner_id=partner_id, **kwargs)

    def cancel(self, *, loan_id=None, reservation_id=None, purposes=None) -> None:
        query = update(Message).where(Message.status == PENDING)
        if loan_id is not None:
            query = query.where(Message.loan_id == loan_id)
        if reservation_id is not None:
            query = query.where(Message.reservation_id == reservation_id)
        if purposes:
            query = query.where(Message.purpose.in_(purposes))
        self.session.execute(
            query.values(
                status=CANCELLED,
                updated_at=self.now,
                last_error=f"obsolete after {self.event.type}",
            )
        )

    def cancel_ids(self, ids) -> None:
        self.session.execute(
            update(Message)
            .where(Message.id.in_(ids), Message.status == PENDING)
            .values(
                status=CANCELLED,
                updated_at=self.now,
                last_error=f"obsolete after {self.event.type}",
            )
        )


def _jsonable(context: dict) -> dict:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in context.items()
    }


def _partner_of_site(session, site_id) -> int | None:
    site = _site_facts(session, site_id)
    return site.partner_id if site else None


def _upsert(session, table, row: dict) -> None:
    """Insert `row`, or update the one with its primary key: one statement."""
    session.execute(_upsert_statement(session.get_bind().dialect.name, table, tuple(row)), row)


@cache
def _upsert_statement(dialect: str, table, columns: tuple):
    # Built once per shape: this runs for every loan. The SQLite and PostgreSQL
    # dialects each spell it their own way.
    statement = insert_for(dialect)(table)
    keys = [column.name for column in table.primary_key]
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: statement.excluded[name] for name in columns if name not in keys},
    )


def _site_facts(session, site_id):
    """The partner, hours and closures of a site as the inventory last announced
    them (None if it has not yet): one small query, no ORM object."""
    if site_id is None:
        return None
    return session.execute(
        select(Site.partner_id, Site.opening_hours, Site.closures).where(Site.id == site_id)
    ).first()


# --- the inventory's sites ----------------------------------------------------------------


def _site(planner, data, _settings) -> bool:
    """Keep the site as its event tells it; False for an older event handled late."""
    session = planner.session
    site = session.get(Site, data["site_id"])
    if site is None:
        if "partner_id" not in data:
            raise LookupError(f"site {data['site_id']} not known yet")  # retried later
        site = Site(id=data["site_id"])
        session.add(site)
    occurred_at = planner.event.occurred_at
    if site.state_as_of is not None and occurred_at < site.state_as_of:
        return False
    site.code = data["code"]
    site.partner_id = data.get("partner_id", site.partner_id)
    site.name, site.address = data["name"], data["address"]
    site.opening_hours, site.closures = data["opening_hours"], data["closures"]
    site.state_as_of = occurred_at
    return True


def _site_hours_changed(planner, data, settings):
    if _site(planner, data, settings):
        planner.session.flush()
        _move_reminders(planner, data["site_id"], settings)


def _move_reminders(planner, site_id: int, settings: Settings) -> None:
    """Reminders come on days the return site is open: when its hours or closures
    change, the pending reminders of the loans returning there move with them. A
    reminder already sent (or being sent) for the loan's due date is not planned
    again; one whose day has not changed stays as it is."""
    session = planner.session
    site = _site_facts(session, site_id)
    # Locked, so that the sender cannot claim one while it is moved (it skips them).
    pending = session.execute(
        select(Message.id, Message.loan_id, Message.step, Message.send_after, Message.attempts)
        .join(Loan, Loan.id == Message.loan_id)
        .where(Loan.site_id == site_id, Message.purpose == "due_soon", Message.status == PENDING)
        .with_for_update(of=Message)
    ).all()
    by_loan: dict[int, dict] = {}
    for reminder in pending:
        by_loan.setdefault(reminder.loan_id, {})[reminder.step] = reminder
    for loan_id, reminders in sorted(by_loan.items()):
        loan = session.get(Loan, loan_id)
        plan = {p.step: p.at for p in _reminder_plan(planner, loan, settings, site)}
        # One already tried (and to be tried again) has had its day: it stays.
        retried = {step for step, r in reminders.items() if r.attempts}
        waiting = {step: r for step, r in reminders.items() if step not in retried}
        planner.cancel_ids([r.id for step, r in waiting.items() if plan.get(step) != r.send_after])
        done = _reminders_gone(session, loan) | retried
        for step, at in plan.items():
            unchanged = step in waiting and waiting[step].send_after == at
            if not unchanged and step not in done:
                _remind(planner, loan, site, step, at)


def _reminders_gone(session, loan: Loan) -> set[int]:
    """The steps of the loan's reminders for its present due date that were sent,
    are being sent or were held back (capped, a call task): not to be sent again."""
    gone = session.execute(
        select(Message.step, Message.context).where(
            Message.loan_id == loan.id,
            Message.purpose == "due_soon",
            Message.status.not_in((PENDING, CANCELLED)),
        )
    ).all()
    return {
        step
        for step, context in gone
        if context.get("due_at") and datetime.fromisoformat(context["due_at"]) == loan.due_at
    }


def _item(planner, data, _settings):
    """How the device is named in messages: "Lenovo ThinkPad E14 (JV-LAP-003)"."""
    planner.session.merge(
        Item(
            id=data["item_id"],
            label=(f"{data['make']} {data['model']} ({data['asset_tag']})").strip(),
        )
    )


# --- reservations: partner staff ------------------------------------------------------------


def _reservation_created(planner, data, _settings):
    planner.session.merge(
        Reservation(
            id=data["reservation_id"],
            partner_id=data["partner_id"],
            site_id=data["site_id"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
        )
    )
    planner.to_desk(
        data["partner_id"],
        "reservation_confirmed",
        reservation_id=data["reservation_id"],
        context={
            "reservation_id": data["reservation_id"],
            "site_id": data["site_id"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "item_count": len(data["item_ids"]),
        },
    )


def _reservation_cancelled(planner, data, _settings):
    reservation = planner.session.get(Reservation, data["reservation_id"])
    planner.cancel(reservation_id=data["reservation_id"])
    partner_id = data.get("partner_id") or (reservation.partner_id if reservation else None)
    reason = "released" if planner.event.type == "booking.reservation_released" else "cancelled"
    context = {"reservation_id": data["reservation_id"], "reason": reason}
    if reservation:
        context.update(
            site_id=reservation.site_id,
            starts_at=reservation.starts_at,
            ends_at=reservation.ends_at,
        )
    planner.to_desk(
        partner_id, "reservation_cancelled", reservation_id=data["reservation_id"], context=context
    )


def _reservation_facts(planner, reservation_id) -> dict:
    reservation = planner.session.get(Reservation, reservation_id)
    if reservation is None:
        return {"starts_at": None, "ends_at": None}
    return {
        "site_id": reservation.site_id,
        "starts_at": reservation.starts_at,
        "ends_at": reservation.ends_at,
    }


def _reservation_outside_hours(planner, data, _settings):
    planner.to_desk(
        data["partner_id"],
        "reservation_changed",
        reservation_id=data["reservation_id"],
        context={
            **_reservation_facts(planner, data["reservation_id"]),
            "reservation_id": data["reservation_id"],
            "site_id": data["site_id"],
            "reason": "outside_hours",
        },
    )


def _item_withdrawn(planner, data, _settings):
    # One event per item withdrawn: the item is part of the intent's event, so two
    # items of one reservation make two notices.
    planner.to_desk(
        data["partner_id"],
        "item_withdrawn",
        reservation_id=data["reservation_id"],
        context={
            **_reservation_facts(planner, data["reservation_id"]),
            "reservation_id": data["reservation_id"],
            "item_id": data["item_id"],
            "replacement_item_id": data["replacement_item_id"],
        },
    )


# --- loans and holds: residents ----------------------------------------------------------------


def _plan_reminders(planner, loan: Loan, settings: Settings, site) -> None:
    for reminder in _reminder_plan(planner, loan, settings, site):
        _remind(planner, loan, site, reminder.step, reminder.at)


def _reminder_plan(planner, loan: Loan, settings: Settings, site) -> list[domain.Planned]:
    return domain.reminder_plan(
        loan.due_at,
        planner.now,
        settings.zone,
        site.opening_hours if site else None,
        site.closures if site else None,
    )


def _remind(planner, loan: Loan, site, step: int, at: datetime) -> None:
    planner.to_resident(
        loan.resident_id,
        "due_soon",
        step=step,
        at=at,
        loan_id=loan.id,
        partner_id=site.partner_id if site else None,
        context=_loan_context(loan, days_before=step),
    )


def _loan_context(loan: Loan, **extra) -> dict:
    return {
        "loan_id": loan.id,
        "item_id": loan.item_id,
        "site_id": loan.site_id,
        "due_at": loan.due_at,
        **extra,
    }


def _loan_checked_out(planner, data, settings):
    # Core statements rather than the ORM: this runs for every loan.
    loan = Loan(
        id=data["loan_id"],
        resident_id=data["resident_id"],
        item_id=data["item_id"],
        site_id=data["site_id"],
        due_at=data["due_at"],
    )
    _upsert(
        planner.session,
        Loan.__table__,
        {
            "id": loan.id,
            "resident_id": loan.resident_id,
            "item_id": loan.item_id,
            "site_id": loan.site_id,
            "due_at": loan.due_at,
        },
    )
    site = _site_facts(planner.session, loan.site_id)
    planner.to_resident(
        loan.resident_id,
        "loan_confirmed",
        loan_id=loan.id,
        partner_id=site.partner_id if site else None,
        context=_loan_context(loan),
    )
    _plan_reminders(planner, loan, settings, site)


def _known_loan(planner, data) -> Loan:
    """The loan as far as we know it; a loan whose check-out we never saw (an event
    lost before this service existed) is known from this event on."""
    loan = planner.session.get(Loan, data["loan_id"])
    if loan is None:
        loan = Loan(
            id=data["loan_id"],
            resident_id=data["resident_id"],
            item_id=data["item_id"],
            site_id=None,
            due_at=data.get("due_at") or planner.now,
        )
        planner.session.add(loan)
    loan.resident_id = data["resident_id"]
    return loan


def _loan_renewed(planner, data, settings):
    loan = _known_loan(planner, data)
    loan.due_at = data["due_at"]
    planner.cancel(loan_id=loan.id, purposes=LOAN_FOLLOW_UPS)
    _plan_reminders(planner, loan, settings, _site_facts(planner.session, loan.site_id))


def _loan_due_moved(planner, data, settings):
    """A closure fell on the due day: the resident is told the new date, and the
    reminders follow it."""
    loan = _known_loan(planner, data)
    loan.due_at = data["due_at"]
    planner.cancel(loan_id=loan.id, purposes=LOAN_FOLLOW_UPS)
    site = _site_facts(planner.session, loan.site_id)
    planner.to_resident(
        loan.resident_id,
        "loan_confirmed",
        loan_id=loan.id,
        partner_id=site.partner_id if site else None,
        context=_loan_context(loan, due_moved=True),
    )
    _plan_reminders(planner, loan, settings, site)


def _loan_checked_in(planner, data, _settings):
    loan = _known_loan(planner, data)
    planner.cancel(loan_id=loan.id, purposes=LOAN_FOLLOW_UPS)
    planner.to_resident(
        loan.resident_id,
        "return_confirmed",
        loan_id=loan.id,
        partner_id=_partner_of_site(planner.session, loan.site_id),
        context=_loan_context(loan),
    )


def _loan_lost(planner, data, _settings):
    loan = _known_loan(planner, data)
    planner.cancel(loan_id=loan.id, purposes=LOAN_FOLLOW_UPS)


def _loan_overdue(planner, data, settings):
    loan = _known_loan(planner, data)
    loan.due_at = data["due_at"]
    partner_id = _partner_of_site(planner.session, loan.site_id)
    for planned in domain.overdue_plan(loan.due_at, planner.now, settings.call_after_days):
        if planned.purpose == "call_resident":
            if loan.resident_id is not None:
                planner.to_desk(
                    partner_id,
                    "call_resident",
                    at=planned.at,
                    loan_id=loan.id,
                    context=_loan_context(
                        loan, resident_id=loan.resident_id, days_overdue=settings.call_after_days
                    ),
                )
        else:
            planner.to_resident(
                loan.resident_id,
                "overdue",
                step=planned.step,
                at=planned.at,
                loan_id=loan.id,
                partner_id=partner_id,
                context=_loan_context(loan, level=planned.step),
            )


def _hold_offered(planner, data, _settings):
    planner.to_resident(
        data["resident_id"],
        "hold_offered",
        partner_id=_partner_of_site(planner.session, data["site_id"]),
        context={
            "item_id": data["item_id"],
            "site_id": data["site_id"],
            "expires_at": data["expires_at"],
        },
    )


_HANDLERS = {
    "inventory.site_registered": _site,
    "inventory.site_hours_changed": _site_hours_changed,
    # its name or address corrected: messages from now on say the new ones
    "inventory.site_renamed": _site,
    "inventory.item_registered": _item,
    "inventory.item_updated": _item,
    "booking.reservation_created": _reservation_created,
    "booking.reservation_cancelled": _reservation_cancelled,
    "booking.reservation_released": _reservation_cancelled,
    "booking.reservation_outside_hours": _reservation_outside_hours,
    "booking.reservation_item_withdrawn": _item_withdrawn,
    "booking.loan_checked_out": _loan_checked_out,
    "booking.loan_renewed": _loan_renewed,
    "booking.loan_due_moved": _loan_due_moved,
    "booking.loan_checked_in": _loan_checked_in,
    "booking.loan_lost": _loan_lost,
    "booking.loan_overdue": _loan_overdue,
    "booking.hold_offered": _hold_offered,
}
EVENT_TYPES = tuple(_HANDLERS)
