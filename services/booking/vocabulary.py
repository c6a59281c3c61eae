"""The words the booking shares with every caller: how a resident is told, and
the condition a device comes back in. Part of its contract (like events.py,
schemas.py and exceptions.py): it imports nothing of the service. The languages
residents read are partanum.i18n's, the same for every service and page."""

CHANNELS = ("sms", "email", "none")
CONDITIONS = ("new", "good", "fair", "damaged")
# What a resident's mandate lets a partner's staff do for them: borrow, renew and
# wait in line (loans), export or erase their data (data), change their contact
# details (contact).
MANDATE_SCOPES = ("loans", "data", "contact")
