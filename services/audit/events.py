"""The audit service's event contracts: what other services may rely on."""
from marshmallow import Schema, fields, validate

from partanum.events import contract


@contract("audit.transfer_accepted")
class TransferAccepted(Schema):
    """A manager accepted a rebalancing suggestion: the inventory moves these items
    to that site. `figures` are the suggestion's numbers (use rates, counts) that
    justified it, kept with the decision."""

    item_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))
    to_site_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    figures = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
