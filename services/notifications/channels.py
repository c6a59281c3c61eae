"""How messages leave: email over SMTP, SMS over an HTTP gateway or a local log (to be written).

Each channel's `send` either returns once the message is accepted, or raises
DeliveryFailed (permanent=True when retrying cannot help: a refused address).
"""
from dataclasses import dataclass


class DeliveryFailed(Exception):
    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    message_id: str  # stable per (event, recipient, purpose): a resend keeps it


@dataclass(frozen=True)
class Sms:
    to: str
    text: str
    reference: str  # stable per (event, recipient, purpose); gateways dedupe on it
