"""What the audit's report RPCs accept. Inputs refuse unknown fields.

A period is whole local days, `from` to `to` inclusive: {"from": "2026-11-01",
"to": "2026-11-30"}.
"""

from marshmallow import ValidationError, fields, validate, validates_schema

from partanum.inputs import Input
from services.audit.vocabulary import GROUPINGS, STEPS

# A year of daily figures is plenty for one call; longer periods go week by week.
MAX_DAYS = 3 * 366
MAX_DAYS_PER_ITEM = 92
REPORTS = (
    "utilisation",
    "idle_items",
    "overdue_and_lost",
    "activity",
    "unmet_demand",
    "suggestions",
)
CHARTS = ("utilisation_over_time", "utilisation_by_partner")


class PeriodIn(Input):
    first_day = fields.Date(required=True, data_key="from")
    last_day = fields.Date(required=True, data_key="to")

    @validates_schema
    def runs_forwards(self, data, **_kwargs):
        if {"first_day", "last_day"} <= set(data):
            days = (data["last_day"] - data["first_day"]).days
            if days < 0:
                raise ValidationError("must not be before from", "to")
            if days >= MAX_DAYS:
                raise ValidationError(f"a period is at most {MAX_DAYS} days", "to")


class UtilisationIn(PeriodIn):
    """{"from": "2026-11-01", "to": "2026-11-30", "by": "partner", "step": "week"}"""

    by = fields.String(load_default="site", validate=validate.OneOf(GROUPINGS))
    step = fields.String(load_default="week", validate=validate.OneOf(STEPS))

    @validates_schema
    def answer_fits_a_message(self, data, **_kwargs):
        # Daily figures for thousands of items over a year would be millions of points.
        if (
            data.get("by") == "item"
            and data.get("step") == "day"
            and {"first_day", "last_day"} <= set(data)
        ):
            if (data["last_day"] - data["first_day"]).days >= MAX_DAYS_PER_ITEM:
                raise ValidationError(
                    f"daily figures per item cover at most {MAX_DAYS_PER_ITEM} days: ask for weeks",
                    "step",
                )


class IdleItemsIn(Input):
    """{"idle_days": 30, "as_of": "2026-12-01T12:00:00+01:00"} (as_of: now by default)"""

    idle_days = fields.Integer(
        load_default=30, strict=True, validate=validate.Range(min=1, max=3650)
    )
    as_of = fields.AwareDateTime()


class IdleSummaryIn(IdleItemsIn):
    """{"limit": 20, "site_id": 3}: how many devices are idle (at that site, where it
    stands at `as_of`), and the `limit` idlest of them."""

    limit = fields.Integer(load_default=20, strict=True, validate=validate.Range(min=1, max=1000))
    site_id = fields.Integer(strict=True, allow_none=True, load_default=None)


class OverdueAndLostIn(PeriodIn):
    """Lost within the period; overdue at `as_of` (the period's end, or now if sooner)."""

    as_of = fields.AwareDateTime()


class ActivityIn(PeriodIn):
    by_site = fields.Boolean(load_default=False)
    by_category = fields.Boolean(load_default=False)


class UnmetDemandIn(PeriodIn):
    pass


class SuggestionsIn(PeriodIn):
    """Idle means unused for `idle_days` at `as_of`: the period's end, or now if sooner,
    unless given (to see what would be proposed on a later day if nothing changed)."""

    idle_days = fields.Integer(
        load_default=30, strict=True, validate=validate.Range(min=1, max=3650)
    )
    as_of = fields.AwareDateTime()


class OpenDataIn(PeriodIn):
    """Counts below `threshold` (at least 2) are published as "<threshold"."""

    threshold = fields.Integer(load_default=5, strict=True, validate=validate.Range(min=2, max=100))


class ChartIn(PeriodIn):
    """{"from": …, "to": …, "kind": "utilisation_over_time", "format": "svg", "step": "week"}"""

    kind = fields.String(load_default="utilisation_over_time", validate=validate.OneOf(CHARTS))
    format = fields.String(load_default="svg", validate=validate.OneOf(("svg", "png")))
    step = fields.String(load_default="week", validate=validate.OneOf(STEPS))


INPUTS = {
    "utilisation": UtilisationIn,
    "idle_items": IdleItemsIn,
    "overdue_and_lost": OverdueAndLostIn,
    "activity": ActivityIn,
    "unmet_demand": UnmetDemandIn,
    "suggestions": SuggestionsIn,
}
