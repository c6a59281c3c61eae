"""What the audit service's RPC accepts and returns. Inputs refuse unknown fields,
except a suggestion's figures (see SuggestionIn)."""

import json

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from partanum.inputs import Input

MAX_PAGE = 1000


class LogQueryIn(Input):
    item_id = fields.Integer(strict=True, validate=validate.Range(min=1))
    partner_id = fields.Integer(strict=True, validate=validate.Range(min=1))
    site_id = fields.Integer(strict=True, validate=validate.Range(min=1))
    actor = fields.String(validate=validate.Length(min=1, max=100))
    type = fields.String(validate=validate.Regexp(r"^[a-z_]+\.[a-z_]+$"))
    from_ = fields.AwareDateTime(data_key="from")
    to = fields.AwareDateTime()
    limit = fields.Integer(
        strict=True, load_default=100, validate=validate.Range(min=1, max=MAX_PAGE)
    )
    offset = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    after_seq = fields.Integer(strict=True, validate=validate.Range(min=0))

    @validates_schema
    def check(self, data, **_kwargs):
        if "from_" in data and "to" in data and data["to"] <= data["from_"]:
            raise ValidationError("must come after from", "to")
        if "after_seq" in data and data["offset"]:
            raise ValidationError("give offset or after_seq, not both", "offset")

    @post_load
    def rename(self, data, **_kwargs):
        if "from_" in data:
            data["from"] = data.pop("from_")
        return data


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class SuggestionIn(Input):
    """A rebalancing suggestion as the `suggestions` RPC returns it, signed: the items,
    where they go and why. Its other numeric fields (or those of a `figures` object) are
    its figures, kept with the decision; other extra fields are not carried on, so
    that the event holds ids and numbers only."""

    class Meta:
        unknown = EXCLUDE

    item_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        required=True,
        validate=validate.Length(min=1, max=500),
    )
    from_site_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    to_site_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    category_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    figures = fields.Dict(
        keys=fields.String(validate=validate.Length(max=80)),
        values=fields.Float(),
        load_default=dict,
    )
    # Proves it is one of this service's suggestions, unchanged (suggestions.signature).
    signature = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))

    @pre_load
    def gather_figures(self, payload, **_kwargs):
        if not isinstance(payload, dict):
            return payload
        nested = payload.get("figures")
        figures = {
            k: v for k, v in (nested if isinstance(nested, dict) else {}).items() if _is_number(v)
        }
        figures.update((k, v) for k, v in payload.items() if k not in self.fields and _is_number(v))
        return {**payload, "figures": figures}

    @validates("item_ids")
    def distinct(self, value, **_kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("an item appears twice")


class ErasureIn(Input):
    resident_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))


class EntryOut(Schema):
    seq = fields.Integer()
    event_id = fields.String()
    type = fields.String()
    producer = fields.String()
    version = fields.Integer()
    occurred_at = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()
    actor = fields.String()
    item_id = fields.Integer(allow_none=True)
    partner_id = fields.Integer(allow_none=True)
    site_id = fields.Integer(allow_none=True)
    resident_id = fields.Integer(allow_none=True)
    data = fields.Function(
        lambda entry: json.loads(entry.body)["data"] if entry.body else None
    )  # erased
    prev_hash = fields.String()
    hash = fields.String()
