"""HTTP endpoints for the notifications: the delivery log, the desks' notices and
the desks' own contact address.

Handlers stay thin: load (the route does it), authorise the object, call the
service, answer. The log names residents by id only, never an address or a phone.
"""

from services.gateway import operations
from services.gateway.api.scope import Scope, wire
from services.gateway.authz import require
from services.gateway.routing import ADMIN, MANAGER, RESIDENT, STAFF, route
from services.gateway.schemas import notifications as schemas
from services.gateway.schemas.common import one_page

# The notifications service answers at most this many messages at once; the
# gateway pages through them.
LOG_WINDOW = 5000


class NotificationsApi:
    @route(
        "GET",
        "/api/delivery-log",
        query=schemas.DeliveryLogQuery,
        response=schemas.MessagePage,
        allow=(ADMIN, MANAGER, STAFF, RESIDENT),
        summary="What was sent, to whom (by id), how it went; latest first",
        tag="notifications",
    )
    def delivery_log(self, request, who, query):
        """Staff see their desk's messages; a resident what was sent to them."""
        filters = wire(schemas.DeliveryLogQuery(), query)
        for own, field in ((STAFF, "partner_id"), (RESIDENT, "resident_id")):
            if who.role == own:
                mine = who.partner_id if own == STAFF else who.resident_id
                if query.get(field, mine) != mine:
                    return one_page([], query)
                filters[field] = mine
        filters.pop("offset"), filters.pop("limit")
        return one_page(self.notifications.delivery_log({**filters, "limit": LOG_WINDOW}), query)

    @route(
        "GET",
        "/api/partners/<int:partner_id>/notices",
        query=schemas.NoticeQuery,
        response=schemas.StaffNoticePage,
        allow=(ADMIN, MANAGER, STAFF),
        summary="A desk's notices to handle: reservations changed, residents to call…",
        tag="notifications",
    )
    def staff_notices(self, request, who, partner_id, query):
        require(who.may_see_partner_record(partner_id))
        return one_page(self.notifications.staff_notices(partner_id, query["include_done"]), query)

    @route(
        "POST",
        "/api/notices/<int:notice_id>/done",
        response=schemas.StaffNotice,
        allow=(STAFF,),
        summary="Mark a desk notice handled",
        tag="notifications",
    )
    def mark_notice_done(self, request, who, notice_id):
        return operations.mark_notice_done(self, who, notice_id)

    @route(
        "PUT",
        "/api/partners/<int:partner_id>/contact",
        body=schemas.PartnerContactIn,
        response=schemas.PartnerContact,
        allow=(ADMIN, STAFF),
        summary="The desk's own email address for its notices",
        tag="notifications",
    )
    def set_partner_contact(self, request, who, partner_id, body):
        """{"email": "accueil@jean-vilar.example", "language": "fr"}"""
        if who.role == STAFF:
            Scope(who, self).require_own_partner(partner_id)
        return self.notifications.set_partner_contact(
            partner_id, wire(schemas.PartnerContactIn(), body)
        )
