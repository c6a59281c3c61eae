"""One page of a query's rows and the count of all of them: what every paged
list RPC answers ({"items": [...], "total": 120, "limit": 50, "offset": 0})."""

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def page(session: Session, query: Select, order, filters: dict) -> tuple[list, int]:
    """One page of `query`'s rows in `order`, and how many rows there are in all."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(
        query.order_by(*order).limit(filters["limit"]).offset(filters["offset"])
    ).all()
    return list(rows), total or 0
