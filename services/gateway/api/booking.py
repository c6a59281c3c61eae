"""HTTP endpoints for reservations, availability, loans, residents and waiting lists."""


class BookingApi:
    pass
