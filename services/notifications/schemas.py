"""Schemas of the notifications' RPC input and output: ids, never contact details."""

from marshmallow import Schema, fields, validate

from partanum import i18n
from partanum.inputs import Input
from services.notifications.vocabulary import STATUSES


class PartnerContactIn(Input):
    email = fields.Email(required=True, allow_none=True)
    language = fields.String(
        load_default=i18n.DEFAULT_LANGUAGE, validate=validate.OneOf(i18n.LANGUAGES)
    )


class PartnerContactOut(Schema):
    partner_id = fields.Integer()
    email = fields.String(allow_none=True)
    language = fields.String()


class DeliveryLogIn(Input):
    resident_id = fields.Integer()
    partner_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(STATUSES))
    since = fields.AwareDateTime()
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


class MessageOut(Schema):
    """What was (or will be) said, to whom by id, through which channel, and how it went."""

    id = fields.Integer()
    event_id = fields.String()
    purpose = fields.String()
    step = fields.Integer()
    recipient = fields.String()
    resident_id = fields.Integer(allow_none=True)
    partner_id = fields.Integer(allow_none=True)
    loan_id = fields.Integer(allow_none=True)
    reservation_id = fields.Integer(allow_none=True)
    channel = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STATUSES)})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    send_after = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    reference = fields.String()


class StaffNoticeOut(Schema):
    id = fields.Integer()
    partner_id = fields.Integer(allow_none=True)
    kind = fields.String()
    resident_id = fields.Integer(allow_none=True)
    loan_id = fields.Integer(allow_none=True)
    reservation_id = fields.Integer(allow_none=True)
    message_id = fields.Integer(allow_none=True)
    context = fields.Dict()
    created_at = fields.AwareDateTime()
    done_at = fields.AwareDateTime(allow_none=True)
