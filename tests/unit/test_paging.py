"""A page of rows and the count of all of them, on a real SQLite database: the count
is right whether it is read from the last page or asked of the database."""

import pytest
from sqlalchemy import Integer, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from partanum.paging import page


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


@pytest.fixture(scope="module")
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(Row(id=n) for n in range(1, 8))  # seven rows
        session.commit()
        yield session


@pytest.mark.parametrize(
    "limit, offset, ids",
    [
        (10, 0, [1, 2, 3, 4, 5, 6, 7]),  # everything on the first page
        (3, 0, [1, 2, 3]),  # a full page: the rest counted
        (3, 3, [4, 5, 6]),
        (3, 6, [7]),  # the last page
        (7, 0, [1, 2, 3, 4, 5, 6, 7]),  # exactly full
        (3, 7, []),  # just past the end
        (3, 20, []),  # far past it
    ],
)
def test_a_page_and_the_count_of_every_row(session, limit, offset, ids):
    rows, total = page(session, select(Row), (Row.id,), {"limit": limit, "offset": offset})

    assert [row.id for row in rows] == ids
    assert total == 7


def test_nothing_found_counts_none(session):
    query = select(Row).where(Row.id > 100)

    assert page(session, query, (Row.id,), {"limit": 5, "offset": 0}) == ([], 0)
