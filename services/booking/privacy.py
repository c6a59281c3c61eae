"""A resident's rights over their data, and the forgetting the service does on
its own, as plain functions over one transaction.

The `residents` table is the only one that holds a name, a phone or an email;
loans and waiting entries point at it by id. Anonymising cuts that pointer (the
statistics stay: which item, when, where, in what condition); erasing also
empties the resident's own row.

Staff may have typed a resident's phone or email into free text (a reason to lend
beyond the limit, a reservation's note), perhaps one they have since changed:
`resident_detail_hashes` keeps a keyed hash (HMAC, PARTANUM_SECRET_KEY) of every
value a resident ever had, never the value, so that erasure recognises them.
"""

import hashlib
import hmac
import re
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, inspect, select, update

from partanum import phones
from partanum.dependencies import Transaction
from partanum.errors import NotFound
from partanum.events import require
from services.booking import contact_changes, domain, events, relationships, waiting_list
from services.booking.exceptions import StillHoldsDevice
from services.booking.models import Loan, Reservation, Resident, ResidentDetailHash, WaitingEntry
from services.booking.vocabulary import LoanStatus, WaitingStatus

require(events)

# Loans in these states are settled: nothing more is expected of the resident.
SETTLED = (LoanStatus.RETURNED, LoanStatus.LOST)
ENDED = (WaitingStatus.FULFILLED, WaitingStatus.EXPIRED, WaitingStatus.CANCELLED)
PERSONAL_FIELDS = ("display_name", "phone", "phone_e164", "email", "card_number")


def anonymise_returned_loans(
    tx: Transaction, now: datetime, after: timedelta, *, key: bytes
) -> int:
    """Cut settled loans from their resident `after` their return; returns how many.
    Idempotent: a loan already cut is not looked at again.

    A lost loan has no return time: it counts from its due date."""
    cutoff = now - after
    settled_before = (
        Loan.resident_id.is_not(None),
        Loan.status.in_(SETTLED),
        func.coalesce(Loan.returned_at, Loan.due_at) <= cutoff,
    )
    # Staff may have named the resident in their reason for an override.
    for loan in tx.session.scalars(
        select(Loan).where(*settled_before, Loan.override_reason.is_not(None))
    ).all():
        loan.override_reason = redact_past_details(
            domain.redact(loan.override_reason, _secrets(loan.resident)),
            _past_details(tx, loan.resident_id),
            key,
        )
    tx.session.flush()
    cut = tx.session.execute(
        update(Loan)
        .where(*settled_before)
        .values(resident_id=None, anonymised_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    # A waiting entry long ended is history too (it has no end time: count from its start).
    tx.session.execute(
        update(WaitingEntry)
        .where(
            WaitingEntry.resident_id.is_not(None),
            WaitingEntry.status.in_(ENDED),
            WaitingEntry.created_at <= cutoff,
        )
        .values(resident_id=None)
        .execution_options(synchronize_session=False)
    )
    return cut


def export_resident_data(tx: Transaction, resident_id: int, now: datetime) -> dict:
    """Everything this service holds about a resident, every column as stored, as JSON."""
    resident = _resident(tx, resident_id)
    loans = tx.session.scalars(
        select(Loan).where(Loan.resident_id == resident.id).order_by(Loan.checked_out_at, Loan.id)
    ).all()
    entries = tx.session.scalars(
        select(WaitingEntry)
        .where(WaitingEntry.resident_id == resident.id)
        .order_by(WaitingEntry.created_at, WaitingEntry.id)
    ).all()
    return {
        "exported_at": now.isoformat(),
        "resident": _columns(resident),
        "loans": [{**_columns(loan), "asset_tag": loan.item.asset_tag} for loan in loans],
        "waiting_entries": [_columns(entry) for entry in entries],
    }


def erase_resident(
    tx: Transaction, resident_id: int, now: datetime, terms: waiting_list.HoldTerms, *, key: bytes
) -> Resident:
    """Forget a resident on their request: their details are emptied, their loans
    anonymised, their places in line given up, and any phone, email or card number
    they ever had is taken out of the service's free text. Refused while they hold
    a device (staff must be able to reach them). Erasing twice changes nothing more."""
    resident = _resident(tx, resident_id, lock=True)
    if resident.erased_at is not None:
        return resident
    active = tx.session.scalar(
        select(func.count())
        .select_from(Loan)
        .where(Loan.resident_id == resident.id, Loan.status == LoanStatus.ACTIVE)
    )
    refusal = domain.erasure_refusal(active)
    if refusal:
        raise StillHoldsDevice(
            f"resident {resident.id} cannot be erased: {refusal}",
            {"resident_id": resident.id, "active_loans": active},
        )
    secrets = _secrets(resident)
    for loan in tx.session.scalars(select(Loan).where(Loan.resident_id == resident.id)).all():
        loan.override_reason = domain.redact(loan.override_reason, secrets)
        loan.resident_id, loan.anonymised_at = None, loan.anonymised_at or now
    remember_details(tx, resident, key)  # those registered before the hashes were kept
    _redact_free_text(tx, _past_details(tx, resident.id), key)
    tx.session.execute(
        delete(ResidentDetailHash).where(ResidentDetailHash.resident_id == resident.id)
    )
    lines = set()
    for entry in tx.session.scalars(
        select(WaitingEntry).where(WaitingEntry.resident_id == resident.id).with_for_update()
    ).all():
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


# --- every phone, email and card number a resident ever had, as keyed hashes -------------

DETAILS = ("phone", "email", "card_number")
# What may be one of them in free text (card numbers: letters, digits, dashes, as schemas.CARD_NUMBER).
SHAPES = {
    "email": re.compile(r"[^\s<>@,;:\"'()\[\]]+@[^\s<>@,;:\"'()\[\]]+\.[A-Za-z]{2,}"),
    "phone": re.compile(r"\+?\d[\d .\-]{5,}\d"),
    "card_number": re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,39}"),
}


def _normal(kind: str, value: str) -> str:
    """One form per value: an email's case, a number's spacing or +33 prefix do not matter."""
    if kind == "email":
        return value.strip().lower()
    if kind == "phone":  # E.164, as residents.phone_e164; the digits of what cannot be a phone
        return phones.normalised(value) or phones.digits(value)
    return value.strip().upper()


def detail_hash(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{_normal(kind, value)}".encode(), hashlib.sha256).hexdigest()


def remember_details(tx: Transaction, resident: Resident, key: bytes) -> None:
    """Keep a keyed hash of the resident's current phone, email and card number; call
    it whenever they are registered or change."""
    known = set(
        tx.session.execute(
            select(ResidentDetailHash.kind, ResidentDetailHash.digest).where(
                ResidentDetailHash.resident_id == resident.id
            )
        ).all()
    )
    for kind in DETAILS:
        value = getattr(resident, kind)
        if value and (kind, detail_hash(key, kind, value)) not in known:
            tx.session.add(
                ResidentDetailHash(
                    resident_id=resident.id, kind=kind, digest=detail_hash(key, kind, value)
                )
            )
    tx.session.flush()


def _past_details(tx: Transaction, resident_id: int | None) -> set[tuple[str, str]]:
    return set(
        tx.session.execute(
            select(ResidentDetailHash.kind, ResidentDetailHash.digest).where(
                ResidentDetailHash.resident_id == resident_id
            )
        ).all()
    )


def redact_past_details(text: str | None, details: set[tuple[str, str]], key: bytes) -> str | None:
    """`text` with every email, phone number or card number shaped token whose keyed
    hash is one of `details` replaced."""
    if not text or not details:
        return text

    def replace(kind):
        def one(found):
            candidate = found[0]
            # A number run on into other digits ("06 12 34 56 78 12 mai"): try it shorter.
            while candidate:
                if (kind, detail_hash(key, kind, candidate)) in details:
                    return domain.ERASED + found[0][len(candidate) :]
                candidate = re.sub(r"[ .\-]*\d+$", "", candidate) if kind == "phone" else ""
            return found[0]

        return one

    for kind, shape in SHAPES.items():
        text = shape.sub(replace(kind), text)
    return text


def _redact_free_text(tx: Transaction, details: set[tuple[str, str]], key: bytes) -> None:
    """The service's free text, wherever staff typed it: reasons to lend beyond the
    limit and reservations' notes."""
    for loan in tx.session.scalars(select(Loan).where(Loan.override_reason.is_not(None))):
        loan.override_reason = redact_past_details(loan.override_reason, details, key)
    for reservation in tx.session.scalars(select(Reservation).where(Reservation.note != "")):
        reservation.note = redact_past_details(reservation.note, details, key)


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
