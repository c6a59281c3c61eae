"""When each device was last used, kept beside the facts (facts.py) it comes from.

One row per device that was ever lent or reserved (audit_fact_item_uses): the end
of its last use (a loan brought back, a reservation ended or brought back early,
never a cancelled one), since when a loan of it is still out, and `settled_at`,
the latest moment any of its loans and reservations names. From `settled_at` on,
nothing the log holds about its uses is still to come: at any moment after it,
its last use is `last_end`, or that moment if a loan is still out. Before it, the
reports work it out from the loans and reservations themselves
(facts_report._last_uses); such devices are few (those with a reservation ahead).

Made again, like the facts, from what the facts hold whenever a loan or a
reservation of the device is made again: the same rows whatever the order.
"""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from partanum.db import in_chunks
from services.audit.models import FactItemUses, FactLoan, FactReservedItem

_RESERVATION_TIMES = (
    FactReservedItem.created_at,
    FactReservedItem.starts_at,
    FactReservedItem.ends_at,
    FactReservedItem.cancelled_at,
    FactReservedItem.returned_at,
    FactReservedItem.from_at,
    FactReservedItem.to_at,
)


def items_of(session: Session, kind: str, keys: Iterable[int]) -> set[int]:
    """The devices the facts of this kind (loans, reservations) name now."""
    if kind == "loan":
        key, item = FactLoan.loan_id, FactLoan.item_id
    elif kind == "reservation":
        key, item = FactReservedItem.reservation_id, FactReservedItem.item_id
    else:
        return set()
    found: set[int] = set()
    for chunk in in_chunks(sorted(keys)):
        found.update(session.scalars(select(item).where(key.in_(chunk))))
    return found


def refresh(session: Session, item_ids: Iterable[int]) -> None:
    """These devices' rows anew from their loans and reservations."""
    for chunk in in_chunks(sorted(set(item_ids))):
        uses: dict[int, dict] = defaultdict(
            lambda: {"last_end": None, "open_since": None, "settled_at": None}
        )
        for item_id, out_at, back_at in session.execute(
            select(FactLoan.item_id, FactLoan.out_at, FactLoan.back_at).where(
                FactLoan.item_id.in_(chunk)
            )
        ):
            row = uses[item_id]
            if back_at is None:
                row["open_since"] = _least(row["open_since"], out_at)
            elif back_at > out_at:
                row["last_end"] = _greatest(row["last_end"], back_at)
            row["settled_at"] = _greatest(row["settled_at"], out_at, back_at)
        for item_id, ends_at, returned_ends_at, *times in session.execute(
            select(
                FactReservedItem.item_id,
                FactReservedItem.ends_at,
                FactReservedItem.returned_ends_at,
                *_RESERVATION_TIMES,
            ).where(FactReservedItem.item_id.in_(chunk))
        ):
            created_at, starts_at, _, cancelled_at, returned_at, _, to_at = times
            row = uses[item_id]
            ends = returned_ends_at if returned_at is not None else ends_at
            if cancelled_at is None and to_at is None and ends > starts_at:
                row["last_end"] = _greatest(row["last_end"], ends)
            row["settled_at"] = _greatest(row["settled_at"], *times)
        session.execute(delete(FactItemUses).where(FactItemUses.item_id.in_(chunk)))
        if uses:
            session.execute(
                insert(FactItemUses.__table__),
                [{"item_id": item_id, **row} for item_id, row in uses.items()],
            )


def rebuild(session: Session) -> None:
    """Every device's row anew (after facts.rebuild)."""
    session.execute(delete(FactItemUses))
    items = set(session.scalars(select(FactLoan.item_id).distinct()))
    items.update(session.scalars(select(FactReservedItem.item_id).distinct()))
    refresh(session, items)


def _greatest(*values: float | None) -> float | None:
    known = [value for value in values if value is not None]
    return max(known) if known else None


def _least(*values: float | None) -> float | None:
    known = [value for value in values if value is not None]
    return min(known) if known else None
