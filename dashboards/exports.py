"""A dashboard table as a CSV or XLSX download."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook

from core.spreadsheet import spreadsheet_safe
from dashboards.tables import Table, cell_text, cell_value

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(column.label) for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(value, column.kind) for value, column in zip(row, table.columns, strict=True)])
    # With a byte-order mark, Excel on a Chinese Windows reads the file as UTF-8.
    return "\ufeff".encode() + out.getvalue().encode()


def _csv_cell(value, kind: str) -> str:
    text = cell_text(value, kind) if kind in ("hours", "share") or value is None else str(cell_value(value, kind))
    return spreadsheet_safe(text)


def _xlsx(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.slug[:31])
    sheet.append([column.label for column in table.columns])
    for row in table.rows:
        sheet.append([_xlsx_cell(value, column.kind) for value, column in zip(row, table.columns, strict=True)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(value, kind: str):
    return spreadsheet_safe(cell_value(value, kind))


def table_response(table: Table, file_format: str, filename: str) -> HttpResponse:
    body = _csv(table) if file_format == "csv" else _xlsx(table)
    response = HttpResponse(body, content_type=FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response
