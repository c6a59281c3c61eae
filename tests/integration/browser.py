"""A browser without JavaScript, for the tests of the web pages: cookies, plain
forms with their CSRF token, redirects followed, and the page parsed enough to find
its elements and hidden fields."""

import re
from html.parser import HTMLParser

import requests


class Page:
    """What a browser gets: the status, the HTML, its forms' CSRF token."""

    def __init__(self, answer: requests.Response):
        self.answer, self.status, self.html = answer, answer.status_code, answer.text
        self.url = answer.url
        parser = _Elements()
        parser.feed(self.html)
        self.elements, self.inputs = parser.elements, parser.inputs

    def first(self, tag, **attributes) -> dict | None:
        for name, attrs in self.elements:
            if name == tag and all(attrs.get(k) == v for k, v in attributes.items()):
                return attrs
        return None

    @property
    def csrf(self) -> str:
        return self.first("input", name="csrf_token")["value"]

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", self.html))

    def hidden_fields(self, action) -> dict:
        """The hidden inputs of the form that posts to `action`."""
        return {
            attrs["name"]: attrs.get("value", "")
            for form, tag, attrs in self.inputs
            if form == action and attrs.get("type") == "hidden"
        }


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements, self.inputs, self.form = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "form":
            self.form = attrs.get("action")
        elif tag == "input":
            self.inputs.append((self.form, tag, attrs))


class Browser:
    """One person's browser: its cookies, following redirects as browsers do."""

    def __init__(self, gateway, language=None):
        self.gateway = gateway
        self.session = gateway.client()
        if language:
            self.session.headers["Accept-Language"] = language

    def get(self, path) -> Page:
        return Page(self.session.get(self.gateway.url(path), timeout=20))

    def post(self, path, data, csrf=True) -> Page:
        if csrf is True:
            csrf = self.session.cookies.get("csrf")
        form = dict(data, csrf_token=csrf) if csrf else dict(data)
        return Page(self.session.post(self.gateway.url(path), data=form, timeout=20))

    def submit(self, path, form_page, data) -> Page:
        """Fill in the form of `form_page` that posts to `path` and send it, with its
        hidden fields (the CSRF token among them), as a browser would."""
        form = {**form_page.hidden_fields(path), **data}
        return Page(self.session.post(self.gateway.url(path), data=form, timeout=20))
