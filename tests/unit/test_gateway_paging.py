"""A page is asked for with numbers a database can hold: anything larger is a
400 naming the field, never a 500 from the database (found by fuzzing)."""

import pytest
from marshmallow import ValidationError

from services.booking.schemas import PageIn
from services.gateway.schemas.common import PageQuery


@pytest.mark.parametrize("schema", [PageQuery(), PageIn()], ids=["gateway", "booking"])
def test_an_offset_beyond_what_a_database_holds_is_refused_by_name(schema):
    with pytest.raises(ValidationError) as refused:
        schema.load({"offset": 125502088164284350464})

    assert set(refused.value.messages) == {"offset"}


def test_the_first_page_is_the_default():
    assert PageQuery().load({}) == {"limit": 50, "offset": 0}
