"""A schema instance shared by every call (partanum.schemas) answers each call as a
new one would: a refused input leaves nothing behind for the next."""

import pytest

from partanum.errors import InvalidInput, load
from partanum.schemas import schema
from services.booking import schemas


def test_a_shared_schema_loads_each_payload_on_its_own():
    filters = schema(schemas.LoanFilters)
    assert filters is schema(schemas.LoanFilters)

    with pytest.raises(InvalidInput) as refused:
        load(filters, {"status": "borrowed", "limit": 0})
    loaded = load(filters, {"status": "active"})

    assert set(refused.value.fields) == {"status", "limit"}
    assert loaded["status"] == "active" and loaded["limit"] > 0


def test_one_and_many_are_two_schemas():
    assert schema(schemas.LoanOut, many=True).many and not schema(schemas.LoanOut).many
