"""The front desk: residents, and the devices lent to them."""

from datetime import UTC, datetime

from nameko.timer import timer

from partanum.config import secret_key, timer_interval
from partanum.errors import Conflict, PartanumError, load
from partanum.rpc import rpc
from partanum.schemas import schema
from services.booking import loans, mandates, policies, privacy, relationships, residents, schemas
from services.booking.allocations import Overlap
from services.booking.entrypoints import integer_id, now, retry_races
from services.booking.exceptions import NotAvailable

expected = rpc(expected_exceptions=PartanumError)

# The front desk's busiest calls share their schemas: building one costs about a
# tenth of a whole check-out, and a built schema holds no state between calls.
CHECK_OUT_IN = schema(schemas.CheckOutIn)
LOAN_OUT = schema(schemas.LoanOut)
CONTACTS_OUT = schema(schemas.ContactDetailsOut, many=True)  # for each batch of notifications
RESIDENT_OUT = schema(schemas.ResidentOut)


def as_seen(resident, view: str) -> dict:
    """A resident as a partner's staff may see them: "view" says whether their
    contact details are "full" or "masked" (relationships.py says when)."""
    shown = RESIDENT_OUT.dump(resident)
    return {
        **(relationships.masked(shown) if view == relationships.MASKED else shown),
        "view": view,
    }


# Overdue loans are looked for this often; a loan is late by days, so minutes do not matter.
OVERDUE_CHECK_SECONDS = timer_interval(600)


class DeskEntrypoints:
    # --- residents ---------------------------------------------------------------------

    @expected
    def register_resident(self, payload):
        """{"display_name": "Amina B.", "phone": "06 12 34 56 78", "email": null,
        "language": "ar", "channel": "sms", "consent": true, "card_number": "RS-0042",
        "registered_by_partner_id": 2, "mandate": {"scopes": ["loans"], "expires_at": …}}
        (the mandate optional, unless they have neither phone nor email)."""
        data = load(schema(schemas.ResidentIn), payload)
        with self.db.transaction() as tx:
            resident = residents.register(tx, data)
            privacy.remember_details(tx, resident, secret_key(self.config))
            if "mandate" in data:
                mandates.record(
                    tx,
                    {
                        **data["mandate"],
                        "resident_id": resident.id,
                        "partner_id": resident.registered_by_partner_id,
                    },
                    now(),
                )
            tx.commit()
            return schema(schemas.ResidentOut).dump(resident)

    @expected
    def get_resident(self, key, partner_id=None):
        """42 (the resident's id) or "RS-0042" (a card number). With a partner_id, as
        that partner's staff may see them (see as_seen), or NotFound when the partner
        has no relationship with them: an id alone opens nothing."""
        with self.db.transaction() as tx:
            resident = residents.get(tx, key)
            if partner_id is None:
                return RESIDENT_OUT.dump(resident)
            integer_id("partner_id", partner_id)
            return as_seen(resident, relationships.view(tx, resident, partner_id, now()))

    @expected
    def find_resident_at_desk(self, payload):
        """{"partner_id": 2, "card_number": "RS-0042"} or {"partner_id": 2, "phone":
        "06 12 34 56 78"}: the resident presenting their whole card or phone number at
        the partner's desk, as its staff may see them (see as_seen). The partner may
        serve them from now on (booking.resident_found_at_desk says so, once)."""
        data = load(schema(schemas.FoundAtDeskIn), payload)
        presented = {key: data[key] for key in ("card_number", "phone") if key in data}
        with self.db.transaction() as tx:
            at = now()
            resident = relationships.found_at_desk(tx, data["partner_id"], presented, at)
            shown = as_seen(resident, relationships.view(tx, resident, data["partner_id"], at))
            tx.commit()
            return shown

    @expected
    def update_resident(self, resident_id, payload):
        """{"phone": null, "email": "amina@example.org", "channel": "email", "language": "fr"}"""
        data = load(schema(schemas.ResidentUpdate), payload)
        with self.db.transaction() as tx:
            resident = residents.update(tx, resident_id, data)
            privacy.remember_details(tx, resident, secret_key(self.config))
            tx.commit()
            return schema(schemas.ResidentOut).dump(resident)

    @expected
    def contact_details(self, resident_id):
        """42 → {"resident_id": 42, "display_name": "Amina B.", "phone": "06 12 34 56 78",
        "email": null, "language": "ar", "channel": "sms"}: for notifications, at send time."""
        with self.db.transaction() as tx:
            return schema(schemas.ContactDetailsOut).dump(residents.get(tx, resident_id))

    @expected
    def contact_details_many(self, resident_ids):
        """[42, 43, 7] → the contact details of those still registered, as contact_details
        gives them (an erased resident is left out): for a batch of notifications."""
        with self.db.transaction() as tx:
            return CONTACTS_OUT.dump(residents.get_many(tx, list(resident_ids or [])))

    # --- loans ---------------------------------------------------------------------------

    @expected
    def set_category_policy(self, category_id, payload):
        """3, {"loan_days": 14, "max_renewals": 2}"""
        data = load(schema(schemas.CategoryPolicyIn), payload)
        with self.db.transaction() as tx:
            policy = loans.set_category_policy(tx, category_id, data)
            tx.commit()
            return schema(schemas.CategoryPolicyOut).dump(policy)

    # the administrator's pages: every kind of device's loan policy, to see and change
    @expected
    def category_policies(self, category_ids):
        """[1, 2] → [{"category_id": 1, "loan_days": 14, "max_renewals": 2}, …]: each
        category's policy, the defaults where none was set."""
        with self.db.transaction() as tx:
            return [
                schema(schemas.CategoryPolicyOut).dump(
                    policies.policy_for(tx, integer_id("category_ids", category_id))
                )
                for category_id in category_ids or []
            ]

    @expected
    def check_out(self, payload):
        """{"asset_tag": "JV-LAP-003", "resident_id": 42, "site": "jean-vilar",
        "reservation_id": null, "accessories": ["chargeur", "souris"],
        "override_reason": null}"""
        data = load(CHECK_OUT_IN, payload)

        def attempt():
            with self.db.transaction() as tx:
                loan = loans.check_out(
                    tx,
                    data,
                    self.settings.buffer,
                    self.settings.zone,
                    self.settings.max_loans_per_resident,
                )
                tx.commit()
                return LOAN_OUT.dump(loan)

        try:
            try:
                return retry_races(attempt)
            except Overlap:
                raise NotAvailable(
                    f"{data['asset_tag']} was taken by a concurrent request",
                    {"asset_tag": data["asset_tag"]},
                ) from None
        except Conflict:
            # A resident left without the device they came for is demand managers must see.
            with self.db.transaction() as tx:
                loans.record_refused_check_out(tx, data, datetime.now(UTC))
                tx.commit()
            raise

    @expected
    def renew_loan(self, loan_id):
        """12 → the loan with its new due_at."""

        def attempt():
            with self.db.transaction() as tx:
                loan = loans.renew(tx, loan_id, self.settings.buffer, self.settings.zone)
                tx.commit()
                return LOAN_OUT.dump(loan)

        try:
            return retry_races(attempt)
        except Overlap:
            raise NotAvailable(
                f"loan {loan_id}'s item was promised by a concurrent request", {"loan_id": loan_id}
            ) from None

    @expected
    def check_in(self, payload):
        """{"asset_tag": "JV-LAP-003", "condition": "good", "accessories": ["chargeur"]}
        → the loan, with "missing_accessories": ["souris"]."""
        data = load(schema(schemas.CheckInIn), payload)
        with self.db.transaction() as tx:
            loan = loans.check_in(tx, data)
            tx.commit()
            return LOAN_OUT.dump(loan)

    @expected
    def declare_lost(self, loan_id):
        """12 → the loan, now lost (which settles it: the resident may borrow again)."""
        with self.db.transaction() as tx:
            loan = loans.declare_lost(tx, loan_id)
            tx.commit()
            return LOAN_OUT.dump(loan)

    @expected
    def get_loan(self, loan_id):
        with self.db.transaction() as tx:
            return LOAN_OUT.dump(loans.get(tx, loan_id))

    @expected
    def resident_loans(self, resident_id):
        """42 → that resident's loans, latest first."""
        with self.db.transaction() as tx:
            return schema(schemas.LoanOut, many=True).dump(loans.of_resident(tx, resident_id))

    @timer(interval=OVERDUE_CHECK_SECONDS)
    def detect_overdue(self):
        with self.db.transaction() as tx:
            loans.detect_overdue(tx, datetime.now(UTC))
            tx.commit()
