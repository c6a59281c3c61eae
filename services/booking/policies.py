"""How long a device of a category is lent, read by loans and by waiting-list holds."""

from partanum.dependencies import Transaction
from services.booking import domain
from services.booking.models import CategoryPolicy


def policy_for(tx: Transaction, category_id: int) -> CategoryPolicy:
    """The category's policy, or the defaults (not stored) when none was set."""
    policy = tx.session.get(CategoryPolicy, category_id)
    return policy or CategoryPolicy(
        category_id=category_id,
        loan_days=domain.DEFAULT_LOAN_DAYS,
        max_renewals=domain.DEFAULT_MAX_RENEWALS,
    )
