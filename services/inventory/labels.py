"""Printable QR-code labels (to be written)."""


def sheet(items) -> bytes:
    raise NotImplementedError
