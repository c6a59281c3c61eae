"""The audit service's event contracts: what other services may rely on."""

from marshmallow import Schema, fields, validate

from partanum.events import contract, reference


@contract("audit.payloads_erased")
class PayloadsErased(Schema):
    """The bodies of these entries, which named this resident, were erased on their
    erasure; their digests stay in the chain (services/audit/log.py)."""

    resident_id = fields.Integer(required=True)
    seqs = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))


@contract("audit.transfer_accepted")
class TransferAcceptedV1(Schema):
    """Read only, in logs and outboxes from before v2: its reason could be any text."""

    item_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))
    to_site_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    figures = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)


@contract("audit.transfer_accepted", version=2)
class TransferAccepted(Schema):
    """A manager accepted a rebalancing suggestion of this service, unchanged (its
    `signature` checked): the inventory moves these items to that site. `figures`
    are the suggestion's numbers (use rates, counts) that justified it."""

    item_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))
    from_site_id = fields.Integer(required=True)
    to_site_id = fields.Integer(required=True)
    category_id = fields.Integer(required=True)
    figures = fields.Dict(keys=reference(), values=fields.Float(), required=True)
    signature = reference(required=True)
