"""What every service's input schemas refuse, whoever calls (the gateway, another
service over RPC, a CSV import): values no database or message can hold, and dates
nobody plans for. Each refusal names the field, as any other invalid input does.

- text with a NUL character (PostgreSQL refuses it) or a lone surrogate (not
  Unicode: no database, file or message can encode it);
- integers beyond PostgreSQL's INTEGER, which every id and count column is (SQLite
  overflows at 2^63, PostgreSQL already at 2^31), and numbers that are not finite;
- lists and objects nested deeper than MAX_DEPTH;
- dates and times before EARLIEST, or more than `PARTANUM_DATE_HORIZON_DAYS` days
  (365 by default) after today.

    class ReservationIn(Input):      # unknown fields are refused too
        starts_at = fields.AwareDateTime(required=True)
"""

import math
import re
from datetime import UTC, date, datetime, timedelta

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from partanum import config

MAX_INT = 2**31 - 1
MIN_INT = -(2**31)
STORABLE_INT = validate.Range(min=MIN_INT, max=MAX_INT)
MAX_DEPTH = 20
EARLIEST = date(2000, 1, 1)
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


class Input(Schema):
    """The base of every input schema: unknown fields, and the values above, are refused."""

    class Meta:
        unknown = RAISE

    @pre_load
    def refuse_unstorable_values(self, data, **_kwargs):
        problems = refusals(data)
        if problems:
            raise ValidationError(problems)
        return data

    def on_bind_field(self, field_name, field_obj):
        # Every integer, date or time field of every input, in lists too: a query
        # string's digits become integers only here, past refuse_unstorable_values.
        while isinstance(field_obj, fields.List):
            field_obj = field_obj.inner
        if isinstance(field_obj, fields.Integer):
            field_obj.validators = [*field_obj.validators, STORABLE_INT]
        if isinstance(field_obj, (fields.DateTime, fields.Date)):
            field_obj.validators = [*field_obj.validators, within_horizon]


def refusals(payload) -> dict:
    """{field: [why]} for each field of an input whose value cannot be taken as it is."""
    if not isinstance(payload, dict):
        return {}  # the schema says what it expects
    problems = {}
    for key, value in payload.items():
        key_problem, value_problem = _key_problem(key), unstorable(value)
        if key_problem:  # a name that cannot be echoed back in the answer
            problems["_schema"] = [f"a field's name {key_problem}"]
        elif value_problem:
            problems[key] = [value_problem]
    return problems


def unstorable(value, depth: int = 1) -> str | None:
    """Why a JSON value cannot be taken as it is, or None."""
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if MIN_INT <= value <= MAX_INT else f"must be between {MIN_INT} and {MAX_INT}"
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, (dict, list, tuple)):
        if depth >= MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        for key, item in items:
            problem = (key is not None and _key_problem(key)) or unstorable(item, depth + 1)
            if problem:
                return problem
    return None


def _key_problem(key) -> str | None:
    return _text_problem(key) if isinstance(key, str) else None


def _text_problem(text: str) -> str | None:
    found = UNSTORABLE_TEXT.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain a NUL character"
    return "must be valid Unicode text (a lone surrogate is not)"


def latest_date() -> date:
    """The last day an input may name: the horizon after today, where today is latest
    (UTC+14), so that a date written in any time zone's local time is judged alike."""
    now = datetime.now(UTC) + timedelta(hours=14)
    return now.date() + timedelta(days=config.date_horizon_days())


def within_horizon(value) -> None:
    # The date as written, without converting its offset: year 1 or 9999 would overflow.
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= latest_date():
        raise ValidationError(f"must be between {EARLIEST} and {latest_date()}")
