"""Spreadsheet formats for django-import-export that never write a live formula.

A listing named ``=HYPERLINK("http://evil.example", "Click")`` exported to CSV would run as a
formula when a curator opens the file in Excel, LibreOffice or Google Sheets. Every text cell
that starts with a character a spreadsheet reads as the start of a formula (``=``, ``+``, ``-``,
``@``, tab, carriage return, and their full-width forms) gets an apostrophe in front: shown
as text, never evaluated.

django-import-export's own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` (4.4) only removes one
leading ``=`` (``==1+1`` still becomes a formula, ``+``/``-``/``@`` pass untouched) and turns
every cell, empty ones included, into a string ("None"), so it stays off and these formats
take its place (settings: ``IMPORT_EXPORT_FORMATS``).

Importing reverses it: a cell of ours, ``'`` then one of those characters, loses the
apostrophe, so an exported file imports unchanged (``+1 555 0100`` stays a dial-in number).
"""

from __future__ import annotations

from import_export.formats import base_formats

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
QUOTE = "'"


def escape_cell(value):
    """A text cell a spreadsheet would evaluate, as text; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def unescape_cell(value):
    """``escape_cell`` undone: only an apostrophe that it could have added is removed."""
    if isinstance(value, str) and value.startswith(QUOTE) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _map_cells(dataset, function) -> None:
    """Apply ``function`` to every cell of a tablib Dataset, in place (headers untouched)."""
    rows = [tuple(function(cell) for cell in row) for row in dataset]
    if rows:
        del dataset[0 : len(rows)]
    for row in rows:
        dataset.append(row)


class FormulaSafeMixin:
    """Escape formulas when exporting, undo it when importing."""

    def export_data(self, dataset, **kwargs):
        _map_cells(dataset, escape_cell)
        return super().export_data(dataset, **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        dataset = super().create_dataset(in_stream, **kwargs)
        _map_cells(dataset, unescape_cell)
        return dataset


class CSV(FormulaSafeMixin, base_formats.CSV):
    pass


class TSV(FormulaSafeMixin, base_formats.TSV):
    pass


class XLSX(FormulaSafeMixin, base_formats.XLSX):
    pass


class ODS(FormulaSafeMixin, base_formats.ODS):
    pass


# What staff can export and import: the spreadsheet formats, escaped, and JSON for programs
# (a JSON string is never evaluated). A format whose library is not installed is left out.
FORMATS = [f for f in (CSV, XLSX, TSV, ODS, base_formats.JSON) if f.is_available()]
