"""A manager accepts a rebalancing suggestion: the audit service records the
decision as `audit.transfer_accepted`, and the inventory carries out the transfer
when it receives it (services/inventory: on_audit_event)."""
from sqlalchemy import select

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput
from services.audit import events  # noqa: F401 -- registers what we emit
from services.audit.models import AuditRef


def _unknown(tx: Transaction, kind: str, ids: list[int]) -> list[int]:
    """The ids no logged event names: the suggestion cannot come from this log."""
    known = set(tx.session.scalars(
        select(AuditRef.ref_id).where(AuditRef.kind == kind, AuditRef.ref_id.in_(ids)).distinct()))
    return [ref_id for ref_id in ids if ref_id not in known]


def accept(tx: Transaction, suggestion: dict) -> dict:
    errors = {}
    unknown_items = _unknown(tx, "item", suggestion["item_ids"])
    if unknown_items:
        errors["item_ids"] = [f"no item {ref_id} in the audit log" for ref_id in unknown_items]
    if _unknown(tx, "site", [suggestion["to_site_id"]]):
        errors["to_site_id"] = [f"no site {suggestion['to_site_id']} in the audit log"]
    if errors:
        raise InvalidInput(errors)
    return tx.emit("audit.transfer_accepted", {
        "item_ids": suggestion["item_ids"], "to_site_id": suggestion["to_site_id"],
        "reason": suggestion["reason"], "figures": suggestion["figures"],
    })
