"""How long a device of a category is lent, read by loans and by waiting-list holds."""

from sqlalchemy import bindparam, select

from partanum.dependencies import Transaction
from services.booking import domain
from services.booking.models import CategoryPolicy

# Built once (every check-out asks): Session.get, which finds nothing in the session
# for a category without a policy of its own, builds its query anew every time. Like
# Session.get, it flushes nothing first.
_POLICY = (
    select(CategoryPolicy)
    .where(CategoryPolicy.category_id == bindparam("category_id"))
    .execution_options(autoflush=False)
)


def policy_for(tx: Transaction, category_id: int) -> CategoryPolicy:
    """The category's policy, or the defaults (not stored) when none was set."""
    policy = tx.session.scalar(_POLICY, {"category_id": category_id})
    return policy or CategoryPolicy(
        category_id=category_id,
        loan_days=domain.DEFAULT_LOAN_DAYS,
        max_renewals=domain.DEFAULT_MAX_RENEWALS,
    )
