"""The web pages for staff and residents, served with the same routes as the API."""


class Pages:
    pass
