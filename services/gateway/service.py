"""The gateway: one HTTP entry for staff, residents and managers.

It checks who is asking and what they may see (routing.py, authz.py), then calls
the services over RPC with the caller as the actor of every event they emit. It
owns one database: accounts, tokens, one-time codes and rate-limit counters, and
no resident's personal data. It listens to one event: a resident erased, whose
tokens it revokes (erasures.py).

    python -m partanum.run gateway      # serves PARTANUM_HTTP_ADDRESS (0.0.0.0:8000)
"""

from nameko.dependency_providers import Config

from partanum.dependencies import Database
from partanum.health import HealthCheck
from services.gateway.api.accounts import AccountApi
from services.gateway.api.audit import AuditApi
from services.gateway.api.booking import BookingApi
from services.gateway.api.inventory import InventoryApi
from services.gateway.api.notifications import NotificationsApi
from services.gateway.erasures import ErasedResidents
from services.gateway.openapi import OpenApiDocs
from services.gateway.pages import Pages
from services.gateway.routing import CallContext
from services.gateway.rpc import TimedRpcProxy


class Service(
    HealthCheck,
    AccountApi,
    InventoryApi,
    BookingApi,
    NotificationsApi,
    AuditApi,
    Pages,
    OpenApiDocs,
    ErasedResidents,
):
    name = "gateway"
    db = Database()
    config = Config()
    call_context = CallContext()
    inventory = TimedRpcProxy("inventory")
    booking = TimedRpcProxy("booking")
    notifications = TimedRpcProxy("notifications")
    audit = TimedRpcProxy("audit")
