"""How long a device of a category is lent, read by loans and by waiting-list holds."""

from sqlalchemy import Row, bindparam, select

from partanum.dependencies import Transaction
from services.booking import domain
from services.booking.models import CategoryPolicy

# Built once (every check-out asks): Session.get, which finds nothing in the session
# for a category without a policy of its own, builds its query anew every time. Only
# read: a plain row (its columns as attributes), a third of the cost of an ORM object.
_policies = CategoryPolicy.__table__
_POLICY = select(_policies).where(_policies.c.category_id == bindparam("category_id"))


def policy_for(tx: Transaction, category_id: int) -> Row | CategoryPolicy:
    """The category's policy, or the defaults (not stored) when none was set."""
    policy = tx.session.execute(_POLICY, {"category_id": category_id}).one_or_none()
    return policy or CategoryPolicy(
        category_id=category_id,
        loan_days=domain.DEFAULT_LOAN_DAYS,
        max_renewals=domain.DEFAULT_MAX_RENEWALS,
    )
