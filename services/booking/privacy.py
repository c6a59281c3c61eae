"""A resident's rights over their data, and the forgetting the service does on
its own, as plain functions over one transaction.

The `residents` table is the only one that holds a name, a phone or an email;
loans and waiting entries point at it by id. Anonymising cuts that pointer (the
statistics stay: which item, when, where, in what condition); erasing also
empties the resident's own row.
"""
from datetime import date, datetime, timedelta

from sqlalchemy import func, inspect, select, update

from partanum.dependencies import Transaction
from partanum.errors import NotFound
from services.booking import domain, events  # noqa: F401 -- registers what we emit
from services.booking import contact_changes, relationships, waiting_list
from services.booking.exceptions import StillHoldsDevice
from services.booking.models import Loan, Resident, WaitingEntry

# Loans in these states are settled: nothing more is expected of the resident.
SETTLED = ("returned", "lost")
ENDED = ("fulfilled", "expired", "cancelled")
PERSONAL_FIELDS = ("display_name", "phone", "email", "card_number")


def anonymise_returned_loans(tx: Transaction, now: datetime, after: timedelta) -> int:
    """Cut settled loans from their resident `after` their return; returns how many.
    Idempotent: a loan already cut is not looked at again.

    A lost loan has no return time: it counts from its due date."""
    cutoff = now - after
    settled_before = (Loan.resident_id.is_not(None), Loan.status.in_(SETTLED),
                      func.coalesce(Loan.returned_at, Loan.due_at) <= cutoff)
    # Staff may have named the resident in their reason for an override.
    for loan in tx.session.scalars(select(Loan).where(
            *settled_before, Loan.override_reason.is_not(None))).all():
        loan.override_reason = domain.redact(loan.override_reason, _secrets(loan.resident))
    tx.session.flush()
    cut = tx.session.execute(
        update(Loan).where(*settled_before).values(resident_id=None, anonymised_at=now)
        .execution_options(synchronize_session=False)).rowcount
    # A waiting entry long ended is history too (it has no end time: count from its start).
    tx.session.execute(
        update(WaitingEntry).where(WaitingEntry.resident_id.is_not(None),
                                   WaitingEntry.status.in_(ENDED), WaitingEntry.created_at <= cutoff)
        .values(resident_id=None).execution_options(synchronize_session=False))
    return cut


def export_resident_data(tx: Transaction, resident_id: int, now: datetime) -> dict:
    """Everything this service holds about a resident, every column as stored, as JSON."""
    resident = _resident(tx, resident_id)
    loans = tx.session.scalars(select(Loan).where(Loan.resident_id == resident.id)
                               .order_by(Loan.checked_out_at, Loan.id)).all()
    entries = tx.session.scalars(select(WaitingEntry).where(WaitingEntry.resident_id == resident.id)
                                 .order_by(WaitingEntry.created_at, WaitingEntry.id)).all()
    return {
        "exported_at": now.isoformat(),
        "resident": _columns(resident),
        "loans": [{**_columns(loan), "asset_tag": loan.item.asset_tag} for loan in loans],
        "waiting_entries": [_columns(entry) for entry in entries],
    }


def erase_resident(tx: Transaction, resident_id: int, now: datetime,
                   terms: waiting_list.HoldTerms) -> Resident:
    """Forget a resident on their request: their details are emptied, their loans
    anonymised, their places in line given up. Refused while they hold a device
    (staff must be able to reach them). Erasing twice changes nothing more."""
    resident = _resident(tx, resident_id, lock=True)
    if resident.erased_at is not None:
        return resident
    active = tx.session.scalar(select(func.count()).select_from(Loan).where(
        Loan.resident_id == resident.id, Loan.status == "active"))
    refusal = domain.erasure_refusal(active)
    if refusal:
        raise StillHoldsDevice(f"resident {resident.id} cannot be erased: {refusal}",
                               {"resident_id": resident.id, "active_loans": active})
    secrets = _secrets(resident)
    for loan in tx.session.scalars(select(Loan).where(Loan.resident_id == resident.id)).all():
        loan.override_reason = domain.redact(loan.override_reason, secrets)
        loan.resident_id, loan.anonymised_at = None, loan.anonymised_at or now
    lines = set()
    for entry in tx.session.scalars(select(WaitingEntry).where(
            WaitingEntry.resident_id == resident.id).with_for_update()).all():
        if entry.status in domain.IN_LINE:
            waiting_list.cancel(tx, entry, now)
            lines.add((entry.category_id, entry.site_id))
        entry.resident_id = None
    contact_changes.forget(tx, resident.id)
    for name in PERSONAL_FIELDS:
        setattr(resident, name, None)
    relationships.forget_resident(tx, resident.id)
    resident.erased_at = now
    tx.session.flush()
    for line in sorted(lines):  # what they held goes to the next in line
        waiting_list.offer_holds(tx, now, terms, *line)
    tx.emit("booking.resident_erased", {"resident_id": resident.id})
    return resident


def _resident(tx: Transaction, resident_id: int, lock: bool = False) -> Resident:
    # Erased residents are found too: their (empty) record is what we still hold.
    resident = tx.session.get(Resident, resident_id, with_for_update=lock)
    if resident is None:
        raise NotFound("resident", resident_id)
    return resident


def _secrets(resident: Resident | None) -> list[str]:
    return [getattr(resident, name) for name in PERSONAL_FIELDS] if resident else []


def _columns(row) -> dict:
    return {attr.key: _json(getattr(row, attr.key)) for attr in inspect(row).mapper.column_attrs}


def _json(value):
    return value.isoformat() if isinstance(value, (datetime, date)) else value
