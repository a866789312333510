"""Cells a spreadsheet opens without running them.

Excel, WPS and LibreOffice treat a cell that starts with =, +, -, @ (and, after a tab or carriage
return they skip, the same again) as a formula: a value a resident or a department typed could
then run a command or send data away when an official opens an export ("CSV injection", OWASP).
Every CSV or XLSX the portal writes passes its text cells through `spreadsheet_safe`, which puts an
apostrophe in front — spreadsheets show the text as typed, and a reader can strip one leading
apostrophe to get the value back.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """`value` with a leading apostrophe if it is text a spreadsheet would read as a formula;
    anything else (numbers, dates, None) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
