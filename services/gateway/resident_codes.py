"""A resident signs in with a one-time code: the two steps, shared by the API
(POST /api/residents/sign-in, …/verify) and the pages. And a new phone or email
is proven the same way before it replaces the old one (…/contact, …/confirm).

`lookup` is what the resident typed, as booking's find_resident_for_sign_in takes
it: {"card_number": …} or {"phone": …} or {"email": …}. `service` is the gateway
worker (its db, booking and notifications)."""

import logging
from datetime import datetime, timedelta

from partanum import phones
from services.gateway import auth, problems

log = logging.getLogger(__name__)


def identifier_key(settings: auth.Settings, purpose: str, lookup: dict) -> str:
    """The rate-limit key of what a resident typed, written one way ("06 12…" and
    "+33 6 12…" count as one phone), as a keyed hash."""
    if "phone" in lookup:
        return auth.keyed(
            settings,
            f"{purpose}:phone",
            phones.normalised(lookup["phone"]) or lookup["phone"].strip(),
        )
    if "email" in lookup:
        return auth.keyed(settings, f"{purpose}:email", lookup["email"].strip().lower())
    return auth.keyed(settings, f"{purpose}:card", lookup.get("card_number", "").strip())


def send_code(
    service, lookup: dict, address: str, settings: auth.Settings, moment: datetime
) -> None:
    """Sends a code when the resident exists; the same for the caller either way.
    429 past the codes allowed per identifier or per address. A resident gets at
    most `codes_per_window` codes, whichever of their identifiers is typed: past
    that, nothing is sent, and the answer still says nothing."""
    with service.db.transaction() as tx:
        auth.take(
            tx.session,
            {
                identifier_key(settings, "code", lookup): settings.codes_per_window,
                auth.keyed(settings, "code:address", address): settings.address_attempts,
            },
            settings.window,
            moment,
        )
        tx.commit()
    resident_id = service.booking.find_resident_for_sign_in(lookup)["resident_id"]
    if resident_id is None:
        return
    with service.db.transaction() as tx:
        try:
            auth.take(
                tx.session,
                {f"code:resident:{resident_id}": settings.codes_per_window},
                settings.window,
                moment,
            )
        except problems.Problem:
            log.info("resident %s asked for more codes than allowed: none sent", resident_id)
            return
        code = auth.issue_code(tx.session, resident_id, moment, settings)
        tx.commit()
    # Not waited for: an answer that took longer for a known resident would tell
    # who is one. The notifications service logs a code it could not send.
    service.notifications.send_sign_in_code.call_async(resident_id, code, settings.code_minutes)


def verify_code(
    service, lookup: dict, code: str, address: str, settings: auth.Settings, moment: datetime
):
    """(secret, token, resident_id) for the right code, else None; 429 past the wrong
    attempts allowed per identifier or per address. The attempt takes its slot before
    the code is checked and gives it back when the code was right."""
    keys = {
        identifier_key(settings, "verify", lookup): settings.sign_in_attempts,
        auth.keyed(settings, "verify:address", address): settings.address_attempts,
    }
    with service.db.transaction() as tx:
        auth.take(tx.session, keys, settings.window, moment)
        tx.commit()
    resident_id = service.booking.find_resident_for_sign_in(lookup)["resident_id"]
    with service.db.transaction() as tx:
        if not auth.use_code(tx.session, resident_id, code.strip(), moment, settings):
            tx.commit()
            return None
        auth.give_back(tx.session, keys)
        secret, token = auth.issue_token(
            tx.session,
            moment,
            timedelta(days=settings.resident_token_days),
            resident_id=resident_id,
        )
        tx.commit()
        return secret, token, resident_id


def send_contact_code(
    service, resident_id: int, new_address: dict, settings: auth.Settings, moment: datetime
) -> None:
    """Has a code sent to the new phone or email (`new_address`: {"phone": …} or
    {"email": …}); the booking keeps it waiting for that code. As many codes per
    resident and window as for signing in."""
    with service.db.transaction() as tx:
        auth.take(
            tx.session,
            {f"contact-code:resident:{resident_id}": settings.codes_per_window},
            settings.window,
            moment,
        )
        tx.commit()
    code = service.booking.propose_contact_change(resident_id, new_address)
    service.notifications.send_code_to_new_address(resident_id, {**new_address, **code})


def confirm_contact(
    service, resident_id: int, code: str, settings: auth.Settings, moment: datetime
) -> dict:
    """The resident with their new phone or email once `code` is right; 400 naming the
    code when it is not, 429 past the wrong codes allowed per window."""
    keys = {f"contact-confirm:resident:{resident_id}": settings.code_attempts}
    with service.db.transaction() as tx:
        auth.take(tx.session, keys, settings.window, moment)
        tx.commit()
    resident = service.booking.confirm_contact_change(resident_id, {"code": code})
    with service.db.transaction() as tx:
        auth.give_back(tx.session, keys)
        tx.commit()
    return resident
