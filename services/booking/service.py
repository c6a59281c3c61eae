"""The booking service: partner staff reserve shared equipment, front-desk staff
lend devices to residents and take them back; no item is ever promised twice
for overlapping times (the database enforces it).

The entrypoints live in services/booking/entrypoints/, one module per kind of
work; this class assembles them with the dependencies they share.
"""

from nameko.dependency_providers import Config

from partanum.dependencies import Database, ServiceSettings
from partanum.health import HealthCheck
from services.booking.entrypoints.contact_changes import ContactChangeEntrypoints
from services.booking.entrypoints.desk import DeskEntrypoints
from services.booking.entrypoints.inventory_events import InventoryEventEntrypoints
from services.booking.entrypoints.lists import ListEntrypoints
from services.booking.entrypoints.mandates import MandateEntrypoints
from services.booking.entrypoints.privacy import PrivacyEntrypoints
from services.booking.entrypoints.reservations import ReservationEntrypoints
from services.booking.entrypoints.sign_in import SignInEntrypoints
from services.booking.entrypoints.waiting_list import WaitingListEntrypoints
from services.booking.settings import Settings


class Service(
    HealthCheck,
    ReservationEntrypoints,
    DeskEntrypoints,
    InventoryEventEntrypoints,
    WaitingListEntrypoints,
    PrivacyEntrypoints,
    ListEntrypoints,
    SignInEntrypoints,
    MandateEntrypoints,
    ContactChangeEntrypoints,
):
    name = "booking"
    db = Database()
    config = Config()
    settings = ServiceSettings(Settings)
