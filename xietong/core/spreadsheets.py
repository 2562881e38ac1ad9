"""Spreadsheets the product writes: every text cell stays text.

A department name or a clause label is data from a roster file or a policy; written as it is,
a value starting with ``=`` becomes a live formula in Excel and WPS (openpyxl stores any text
starting with ``=`` as a formula). Every export appends its rows through ``append_row``, which
stores each text value with the string data type: the cell shows the text as written and
nothing in it is evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell.cell import TYPE_STRING
from openpyxl.worksheet.worksheet import Worksheet


def append_row(sheet: Worksheet, values: Iterable) -> None:
    """``sheet.append(values)``, with every text value stored as text, never as a formula."""
    values = list(values)
    sheet.append(values)
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            sheet.cell(row=row, column=column).data_type = TYPE_STRING
