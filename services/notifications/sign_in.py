"""Residents' sign-in codes: sent at once, through the resident's preferred channel
(the other one when it fails), and never stored.

Unlike the other messages, a code is not an intent in `messages`: the resident is
waiting for it now, so quiet hours and the daily cap do not apply (the gateway
limits how many codes one resident may ask for), and a code written to the
delivery log would be a password in a table. Only that a code was sent, and how,
is logged.
"""

import logging
import uuid

from partanum import i18n
from services.notifications import domain, texts
from services.notifications.channels import DeliveryFailed, Email, Sms

log = logging.getLogger(__name__)


class NoChannel(Exception):
    """The resident gave no phone nor email: staff sign them in at the desk."""


def send_code(channels: dict, contact: dict, code: str, minutes: int, render=texts.render) -> str:
    """Sends `code` to the resident of `contact` (booking's contact_details); returns
    the channel that took it. Raises DeliveryFailed when every channel failed."""
    preference = contact.get("channel")
    # "none" means: do not message me about loans. A code is what they asked for now.
    order = domain.channel_order(
        None if preference == "none" else preference, contact.get("phone"), contact.get("email")
    )
    if not order:
        raise NoChannel()
    rendered = render(
        "sign_in_code",
        contact.get("language") or i18n.DEFAULT_LANGUAGE,
        {"code": code, "code_minutes": minutes},
    )
    reference = f"sign-in-{uuid.uuid4()}"
    failures = []
    for channel in order:
        if channel == "email":
            outgoing = Email(
                to=contact["email"],
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                message_id=reference,
            )
        else:
            outgoing = Sms(to=contact["phone"], text=rendered.sms, reference=reference)
        try:
            channels[channel].send(outgoing)
        except DeliveryFailed as failure:
            failures.append(f"{channel}: {failure.reason}")
            continue
        log.info("sign-in code sent to resident:%s by %s", contact.get("resident_id"), channel)
        return channel
    raise DeliveryFailed("; ".join(failures))
