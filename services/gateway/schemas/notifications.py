"""The notifications' delivery log, staff notices and partners' desk contacts."""

from marshmallow import fields, validate

from services.gateway.schemas.common import PageQuery, answer, ident, page_schema
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


# Answers: the notifications' own output contracts.
Message = answer(notifications.MessageOut)
MessagePage = page_schema(Message, "MessagePage")
StaffNotice = answer(notifications.StaffNoticeOut)
StaffNoticePage = page_schema(StaffNotice, "StaffNoticePage")
PartnerContact = answer(notifications.PartnerContactOut)
