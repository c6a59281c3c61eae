"""The words the inventory shares with every caller: a device's status and
condition, and the columns of its CSV files. Part of its contract (like events.py,
schemas.py and exceptions.py): it imports nothing of the service."""

from enum import StrEnum


class Status(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    ON_LOAN = "on_loan"
    AWAITING_WIPE = "awaiting_wipe"
    IN_MAINTENANCE = "in_maintenance"
    RETIRED = "retired"
    LOST = "lost"


class Condition(StrEnum):
    NEW = "new"
    GOOD = "good"
    FAIR = "fair"
    DAMAGED = "damaged"


class Reason(StrEnum):
    """Why an item changed state or place, as its events say it. Staff's own words
    stay in the item's history (item_history.reason), which the events point at."""

    STAFF = "staff"  # a change staff recorded, in their own words
    WIPED = "wiped"
    LENT = "lent"
    RETURNED = "returned"
    LOST_ON_LOAN = "lost_on_loan"
    REBALANCING = "rebalancing"  # a manager accepted a suggestion of the audit service


# The columns of a fleet's CSV file, in any order; the owner is the partner the import
# is made for.
COLUMNS = (
    "asset_tag",
    "serial_number",
    "make",
    "model",
    "category",
    "home_site",
    "accessories",
    "condition",
    "notes",
    "purchase_date",
    "purchase_cost",
)
# An export carries these too, so that staff can read it; an import ignores them
# (the owner is the partner imported for; location and state have their own commands).
EXPORT_ONLY = ("owner", "current_site", "status")
