"""Calendar feeds (iCalendar, RFC 5545) for the calendars staff already use: a
partner's reservations, and a front desk's day (pickups, returns, devices due
back).

Calendars are copied to phones and to calendar providers: events carry ids,
asset tags and the site, never a resident's name or contact.
"""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from werkzeug.wrappers import Response

ICS = "text/calendar; charset=utf-8"
PRODID = "-//Partanum//La Roseraie//FR"
# A pickup or a return at a desk takes a few minutes; the calendar shows that much.
DESK_MOMENT = timedelta(minutes=15)
STATUS = {"cancelled": "CANCELLED", "released": "CANCELLED"}


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(
    uid: str,
    summary: str,
    starts: datetime,
    ends: datetime,
    location=None,
    description=None,
    status="CONFIRMED",
) -> Event:
    event = Event()
    event.add("uid", f"{uid}@partanum")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", summary)
    event.add("status", status)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    return event


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _where(site: dict | None) -> str | None:
    return f"{site['name']}, {site['address']}" if site else None


def _devices(reservation: dict) -> str:
    count = len(reservation["asset_tags"])
    return f"{count} appareil" + ("s" if count > 1 else "")


def reservations_calendar(name: str, reservations: list[dict], site_by_id) -> bytes:
    """Each reservation as one event over its window (cancelled ones marked so)."""
    calendar = _calendar(name)
    for reservation in reservations:
        site = site_by_id(reservation["site_id"])
        lines = [reservation.get("note") or "", ", ".join(reservation["asset_tags"])]
        calendar.add_component(
            _event(
                f"reservation-{reservation['id']}",
                f"Réservation n°{reservation['id']} : {_devices(reservation)}",
                _when(reservation["starts_at"]),
                _when(reservation["ends_at"]),
                _where(site),
                "\n".join(line for line in lines if line),
                STATUS.get(reservation["status"], "CONFIRMED"),
            )
        )
    return calendar.to_ical()


def desk_calendar(site: dict, reservations: list[dict], loans: list[dict]) -> bytes:
    """What happens at one desk: reserved devices picked up and brought back, and
    lent devices due back."""
    calendar = _calendar(f"Accueil — {site['name']}")
    where = _where(site)
    for reservation in reservations:
        if reservation["status"] in STATUS:
            continue
        number, devices = reservation["id"], _devices(reservation)
        tags = ", ".join(reservation["asset_tags"])
        starts, ends = _when(reservation["starts_at"]), _when(reservation["ends_at"])
        calendar.add_component(
            _event(
                f"pickup-{number}",
                f"Retrait : réservation n°{number} ({devices})",
                starts,
                starts + DESK_MOMENT,
                where,
                tags,
            )
        )
        calendar.add_component(
            _event(
                f"return-{number}",
                f"Retour : réservation n°{number} ({devices})",
                ends,
                ends + DESK_MOMENT,
                where,
                tags,
            )
        )
    for loan in loans:
        due = _when(loan["due_at"])
        calendar.add_component(
            _event(
                f"loan-{loan['id']}-due",
                f"Retour attendu : {loan['asset_tag']} (prêt n°{loan['id']})",
                due - DESK_MOMENT,
                due,
                where,
            )
        )
    return calendar.to_ical()


def ics_response(body: bytes, filename: str) -> Response:
    return Response(
        body, content_type=ICS, headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )
