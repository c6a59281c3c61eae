"""The notifications' delivery log, staff notices and partners' desk contacts."""

from marshmallow import Schema, fields, validate

from services.gateway.schemas.common import PageQuery, ident, moment, number, page_schema, text
from services.notifications import schemas as notifications
from services.notifications.vocabulary import STATUSES

PartnerContactIn = notifications.PartnerContactIn


class DeliveryLogQuery(PageQuery):
    resident_id = ident()
    partner_id = ident()
    status = fields.String(validate=validate.OneOf(STATUSES))
    since = fields.AwareDateTime()


class NoticeQuery(PageQuery):
    include_done = fields.Boolean(load_default=False)


class Message(Schema):
    """What was (or will be) said, to whom by id, through which channel: never an
    address or a phone number."""

    id = fields.Integer()
    event_id = text()
    purpose = text()
    step = number()
    recipient = text()
    resident_id = number()
    partner_id = number()
    loan_id = number()
    reservation_id = number()
    channel = text()
    status = text(enum=list(STATUSES))
    attempts = number()
    last_error = text()
    send_after = moment()
    sent_at = moment()
    created_at = moment()
    updated_at = moment()
    reference = text()


MessagePage = page_schema(Message, "MessagePage")


class StaffNotice(Schema):
    id = fields.Integer()
    partner_id = number()
    kind = text()
    resident_id = number()
    loan_id = number()
    reservation_id = number()
    message_id = number()
    context = fields.Dict()
    created_at = moment()
    done_at = moment()


StaffNoticePage = page_schema(StaffNotice, "StaffNoticePage")


class PartnerContact(Schema):
    partner_id = number()
    email = text()
    language = text()
