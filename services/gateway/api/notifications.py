"""HTTP endpoints for the delivery log and staff notices."""


class NotificationsApi:
    pass
