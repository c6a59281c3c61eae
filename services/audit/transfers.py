"""A manager accepts a rebalancing suggestion: the audit service checks that it is
one of its own, unchanged (its signature), records the decision as
`audit.transfer_accepted`, and the inventory carries out the transfer when it
receives it (services/inventory: on_audit_event)."""

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput
from partanum.events import require
from services.audit import events, suggestions

require(events)


def accept(tx: Transaction, suggestion: dict, key: bytes) -> dict:
    if not suggestions.is_genuine(suggestion, key):
        raise InvalidInput(
            {
                "signature": [
                    "not a suggestion of this service as it was listed: ask for the suggestions again"
                ]
            }
        )
    return tx.emit(
        "audit.transfer_accepted",
        {
            "item_ids": suggestion["item_ids"],
            "from_site_id": suggestion["from_site_id"],
            "to_site_id": suggestion["to_site_id"],
            "category_id": suggestion["category_id"],
            "figures": suggestion["figures"],
            "signature": suggestion["signature"],
        },
    )
