"""CSV import and export of a partner's fleet (to be written)."""


def import_items(tx, partner_code, csv_text):
    raise NotImplementedError


def export_items(items):
    raise NotImplementedError
