"""The words the audit's reports share with every caller: what figures are grouped
by, and the step of their series. Part of its contract (like events.py, schemas.py
and schemas_reports.py): it imports nothing of the service."""

GROUPINGS = ("item", "category", "site", "partner")
STEPS = ("day", "week")
