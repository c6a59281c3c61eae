"""A resident's new phone or email replaces the old one only once proven: a
one-time code goes to the new address (the gateway has notifications send it), and
the change is made when the code comes back. A phone or email someone else already
gave is handled like any other, so that the answers tell nobody who holds what;
only whoever reads the messages sent to it can prove it.

Plain functions over one transaction, like residents.py."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from partanum.dependencies import Transaction
from services.booking import residents
from services.booking.models import ContactChange, Resident

CODE_LIFETIME = timedelta(minutes=10)
CODE_ATTEMPTS = 5  # wrong codes that void the change


def propose(
    tx: Transaction, resident_id: int, field: str, value: str, now: datetime
) -> tuple[str, Resident]:
    """Records the new `field` ("phone" or "email") waiting for its code, in place of
    any earlier change of the resident; returns the code to send to `value`."""
    resident = residents.get(tx, resident_id, lock=True)
    tx.session.execute(
        delete(ContactChange).where(
            (ContactChange.resident_id == resident.id) | (ContactChange.expires_at <= now)
        )
    )
    code = f"{secrets.randbelow(10**6):06d}"
    tx.session.add(
        ContactChange(
            resident_id=resident.id,
            field=field,
            value=value,
            code_hash=_digest(resident.id, field, value, code),
            expires_at=now + CODE_LIFETIME,
            failed_attempts=0,
        )
    )
    return code, resident


def confirm(tx: Transaction, resident_id: int, code: str, now: datetime) -> Resident | None:
    """Makes the waiting change when `code` is its code; else counts the failure
    (the caller commits it) and answers None."""
    resident = residents.get(tx, resident_id, lock=True)
    change = tx.session.scalar(
        select(ContactChange)
        .where(ContactChange.resident_id == resident.id, ContactChange.expires_at > now)
        .with_for_update()
    )
    if change is None:
        return None
    if not hmac.compare_digest(
        change.code_hash, _digest(resident.id, change.field, change.value, code)
    ):
        change.failed_attempts += 1
        if change.failed_attempts >= CODE_ATTEMPTS:
            tx.session.delete(change)
        return None
    tx.session.delete(change)
    return residents.update(tx, resident.id, {change.field: change.value})


def forget(tx: Transaction, resident_id: int) -> None:
    """On erasure: a waiting change holds a phone or an email too."""
    tx.session.execute(delete(ContactChange).where(ContactChange.resident_id == resident_id))


def _digest(resident_id: int, field: str, value: str, code: str) -> str:
    return hashlib.sha256(f"{resident_id}:{field}:{value}:{code}".encode()).hexdigest()
