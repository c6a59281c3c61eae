"""What each message says, in the recipient's language (to be written).

    render("due_soon", "ar", context) -> Rendered(subject, text, html, sms)

Plain language: short sentences, the day spelt out, the place and its hours,
one action. Catalogues are standard gettext files under locale/.
"""
from dataclasses import dataclass

# Every language a message can be written in; French is the default.
LANGUAGES = ("fr", "en", "ar", "tr", "ru", "fa", "ps")
DEFAULT_LANGUAGE = "fr"

# What a message is for. Residents: the first group; partner staff: the second.
RESIDENT_PURPOSES = (
    "pickup_ready",        # reservation or hold ready: where, until when, the site's hours
    "hold_offered",        # waiting list: a device is kept for you until …
    "loan_confirmed",      # you borrowed …, bring it back on … at …
    "due_soon",            # reminder: bring it back on … (sent two days before and the day before)
    "overdue",             # gentle notice, escalating by level 1, 2, 3 without threats
    "return_confirmed",    # thank you, we got it back
)
STAFF_PURPOSES = (
    "reservation_confirmed",
    "reservation_changed",
    "reservation_cancelled",
    "item_withdrawn",      # an item you reserved was withdrawn; replacement proposed (or none)
    "call_resident",       # a loan is overdue for more than N days: call the resident (a task)
    "undeliverable",       # a message to a resident could not be delivered
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str   # plain-text email body
    html: str   # HTML email body
    sms: str    # one SMS segment: 160 GSM-7 characters, or 70 UCS-2


def render(purpose: str, language: str, context: dict) -> Rendered:
    """The message for `purpose` in `language` (falling back to French), filled from
    `context`: see CONTEXT_KEYS for what each purpose needs."""
    raise NotImplementedError
