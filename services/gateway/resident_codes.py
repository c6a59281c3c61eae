"""A resident signs in with a one-time code: the two steps, shared by the API
(POST /api/residents/sign-in, …/verify) and the pages.

`lookup` is what the resident typed, as booking's find_resident_for_sign_in takes
it: {"card_number": …} or {"phone": …} or {"email": …}. `service` is the gateway
worker (its db, booking and notifications)."""
from datetime import datetime, timedelta

from partanum import phones
from services.gateway import auth


def identifier_key(purpose: str, lookup: dict) -> str:
    """The rate-limit key of what a resident typed, written one way ("06 12…" and
    "+33 6 12…" count as one phone)."""
    if "phone" in lookup:
        return f"{purpose}:phone:{phones.normalised(lookup['phone']) or lookup['phone'].strip()}"
    if "email" in lookup:
        return f"{purpose}:email:{lookup['email'].strip().lower()}"
    return f"{purpose}:card:{lookup.get('card_number', '').strip()}"


def send_code(service, lookup: dict, address: str, settings: auth.Settings,
              moment: datetime) -> None:
    """Sends a code when the resident exists; the same for the caller either way.
    429 past the codes allowed per identifier or per address."""
    with service.db.transaction() as tx:
        auth.take(tx.session, identifier_key("code", lookup), settings.codes_per_window,
                  settings.window, moment)
        auth.take(tx.session, f"code:address:{address}", settings.address_attempts,
                  settings.window, moment)
        tx.commit()
    resident_id = service.booking.find_resident_for_sign_in(lookup)["resident_id"]
    if resident_id is not None:
        with service.db.transaction() as tx:
            code = auth.issue_code(tx.session, resident_id, moment, settings)
            tx.commit()
        # Not waited for: an answer that took longer for a known resident would tell
        # who is one. The notifications service logs a code it could not send.
        service.notifications.send_sign_in_code.call_async(resident_id, code,
                                                           settings.code_minutes)


def verify_code(service, lookup: dict, code: str, address: str, settings: auth.Settings,
                moment: datetime):
    """(secret, token, resident_id) for the right code, else None; 429 past the wrong
    attempts allowed per identifier or per address."""
    keys = {identifier_key("verify", lookup): settings.sign_in_attempts,
            f"verify:address:{address}": settings.address_attempts}
    with service.db.transaction() as tx:
        for key, limit in keys.items():
            auth.refuse_when_exhausted(tx.session, key, limit, settings.window, moment)
        tx.commit()
    resident_id = service.booking.find_resident_for_sign_in(lookup)["resident_id"]
    with service.db.transaction() as tx:
        if not auth.use_code(tx.session, resident_id, code.strip(), moment, settings):
            for key in keys:
                auth.count(tx.session, key, settings.window, moment)
            tx.commit()
            return None
        secret, token = auth.issue_token(tx.session, moment,
                                         timedelta(days=settings.resident_token_days),
                                         resident_id=resident_id)
        tx.commit()
        return secret, token, resident_id
