"""Weekly recurring reservations (the Thursday workshop): a ReservationSeries and one
Reservation per week, each occurrence checked on its own."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput, NotFound
from partanum.events import require
from services.booking import domain, events, reservations
from services.booking.allocations import site_by_code
from services.booking.exceptions import NotAvailable
from services.booking.models import Reservation, ReservationSeries
from services.booking.vocabulary import ReservationStatus

require(events)

WHAT = ("asset_tags", "kit", "category_id", "quantity")


def occurrences(data: dict, zone: ZoneInfo, now: datetime) -> list[domain.Window]:
    """The weekly windows a request asks for, or InvalidInput."""
    first = domain.Window(data["starts_at"], data["ends_at"])
    problems = domain.window_problems(first, now)
    if not problems and first.ends_at - first.starts_at >= timedelta(days=7):
        problems["ends_at"] = ["a weekly occurrence must last less than a week"]
    if data["until"] < first.starts_at.astimezone(zone).date():
        problems["until"] = ["is before the first occurrence"]
    if problems:
        raise InvalidInput(problems)
    windows = domain.weekly_windows(first, data["until"], zone)
    if len(windows) > domain.MAX_WEEKS:
        raise InvalidInput({"until": [f"at most {domain.MAX_WEEKS} weeks ahead"]})
    return windows


def reserve_weekly(
    tx: Transaction, data: dict, buffer: timedelta, zone: ZoneInfo, now: datetime
) -> tuple[ReservationSeries, list[dict], list[dict]]:
    """Book each week, all or nothing unless `skip_unavailable`: then book what can
    be met and return the skipped dates with their reasons (and record them as
    unmet demand). The reservations as reservations.book returns them."""
    site = site_by_code(tx, data["site"])
    windows = occurrences(data, zone, now)
    # Hours that do not fit the weekday are a mistake in the request, not bad luck.
    hours_problems = domain.opening_problems(windows[0], site.opening_hours, [], zone)
    if hours_problems:
        raise InvalidInput(hours_problems)
    first_local = windows[0].starts_at.astimezone(zone)
    series = ReservationSeries(
        partner_id=data["partner_id"],
        site_id=site.id,
        weekday=first_local.weekday(),
        starts=first_local.time(),
        ends=windows[0].ends_at.astimezone(zone).time(),
        first_day=first_local.date(),
        last_day=windows[-1].starts_at.astimezone(zone).date(),
        request={key: data[key] for key in WHAT if key in data},
    )
    tx.session.add(series)
    tx.session.flush()  # its id, for its occurrences
    booked, skipped = [], []
    for window in windows:
        day = window.starts_at.astimezone(zone).date()
        closed = domain.window_problems(window, now) or domain.opening_problems(
            window, site.opening_hours, site.closures, zone
        )
        if closed:
            skipped.append(_skip(day, window, _reason(closed)))
            continue
        try:
            items = reservations.chosen_items(tx, data, site, window, buffer)
        except NotAvailable as refused:
            skipped.append(_skip(day, window, str(refused)))
            continue
        booked.append((reservations.book(tx, data, site, window, items, buffer, series.id), items))
    if (skipped and not data["skip_unavailable"]) or not booked:
        raise NotAvailable(
            f"{len(skipped)} of {len(windows)} weeks cannot be met", {"unavailable": skipped}
        )
    for reservation, items in booked:
        reservations.announce(tx, reservation, items)
    for skip in skipped:
        record_skipped(tx, data, skip)
    tx.emit(
        "booking.series_created",
        {
            "series_id": series.id,
            "partner_id": series.partner_id,
            "site_id": site.id,
            "reservation_ids": [reservation["id"] for reservation, _items in booked],
            "skipped_dates": [skip["date"] for skip in skipped],
        },
    )
    return series, [reservation for reservation, _items in booked], skipped


def record_skipped(tx: Transaction, data: dict, skip: dict) -> None:
    """A week that could not be met is unmet demand, at that week's window."""
    reservations.record_unmet_demand(
        tx, {**data, "starts_at": skip["starts_at"], "ends_at": skip["ends_at"]}, "not_available"
    )


def _skip(day: date, window: domain.Window, reason: str) -> dict:
    return {
        "date": day.isoformat(),
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "reason": reason,
    }


def _reason(problems: dict) -> str:
    return "; ".join(message for messages in problems.values() for message in messages)


def cancel_series(
    tx: Transaction, series_id: int, from_date: date | None, now: datetime, zone: ZoneInfo
) -> tuple[ReservationSeries, list[Reservation]]:
    """Cancel every confirmed occurrence from `from_date` (local, default today) on.
    Idempotent: a second call finds nothing left to cancel."""
    series = tx.session.get(ReservationSeries, series_id, with_for_update=True)
    if series is None:
        raise NotFound("reservation series", series_id)
    from_date = from_date or now.astimezone(zone).date()
    cancelled = [
        reservation
        for reservation in tx.session.scalars(
            select(Reservation)
            .where(
                Reservation.series_id == series.id,
                Reservation.status == ReservationStatus.CONFIRMED,
            )
            .order_by(Reservation.starts_at)
            .with_for_update()
        )
        if reservation.starts_at.astimezone(zone).date() >= from_date
    ]
    if not cancelled:
        return series, []
    for reservation in cancelled:
        reservations._cancel(tx, reservation, now)
    if from_date <= series.first_day:
        series.cancelled_at = now
    else:
        series.last_day = min(series.last_day, from_date - timedelta(days=1))
    tx.emit(
        "booking.series_cancelled",
        {
            "series_id": series.id,
            "from_date": from_date,
            "reservation_ids": [reservation.id for reservation in cancelled],
        },
    )
    return series, cancelled
