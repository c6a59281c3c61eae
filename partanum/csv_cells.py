"""Cells of every CSV file the system writes, safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with =, +, -, @, a tab or a carriage return
as a formula (OWASP's "CSV injection"): a note typed as `=HYPERLINK(...)` would run
on the desk's computer. Such a text is written with a single quote in front, which
spreadsheets show as text; numbers are left as they are (-3 is a number, not a
formula). A text that already starts with quotes before such a character gets one
more, so that `restored` gives back exactly what was written.

    neutralised("=1+2")   -> "'=1+2"        restored("'=1+2") -> "=1+2"
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value):
    """The value to write in a cell: a text that would start a formula, quoted."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restored(cell: str) -> str:
    """A cell read back from a file `neutralised` wrote: the text as it was."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell
