"""One page of a query's rows and the count of all of them: what every paged
list RPC answers ({"items": [...], "total": 120, "limit": 50, "offset": 0})."""

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def page(session: Session, query: Select, order, filters: dict) -> tuple[list, int]:
    """One page of `query`'s rows in `order`, and how many rows there are in all."""
    limit, offset = filters["limit"], filters["offset"]
    rows = list(session.scalars(query.order_by(*order).limit(limit).offset(offset)).all())
    if len(rows) < limit and (rows or offset == 0):
        # The last page: the rows before it and on it are all there are, and counting
        # them again would read them all once more (a search of a whole fleet).
        return rows, offset + len(rows)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return rows, total or 0
