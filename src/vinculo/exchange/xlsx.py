"""Spreadsheets as exports write them: XlsxWriter in its constant-memory mode (each row goes to a temporary
file as soon as the next one starts, so memory stays flat whatever the row count), typed cells (numbers,
dates with a date format, amounts as numbers with their currency's format), a bold header row that stays
frozen, and an autofilter over the rows. Text is always written as text, never read as a formula or a
link; the callers neutralise what a spreadsheet would run once it is retyped (`rules.neutralise`)."""

import datetime
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

import xlsxwriter

from vinculo.core.money import MINOR_DIGITS, SYMBOLS

TEXT, NUMBER, MONEY, DATE, DATETIME, BOOL = "text", "number", "money", "date", "datetime", "bool"
DATE_FORMAT = "dd-mm-yyyy"
DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
# How often a long write reports its progress (rows).
PROGRESS_EVERY = 2000
WIDTHS = {DATE: 12, DATETIME: 17, MONEY: 16, NUMBER: 12, BOOL: 8, TEXT: 24}


class Book:
    """One workbook, written to `out` (a path or a binary file) when closed."""

    def __init__(self, out):
        self.workbook = xlsxwriter.Workbook(out, {
            "constant_memory": True,
            # What a user typed stays text: "=1+1" is not a formula, "www…" not a link, "007" not 7.
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "remove_timezone": True,
        })
        self.bold = self.workbook.add_format({"bold": True})
        self.date = self.workbook.add_format({"num_format": DATE_FORMAT})
        self.datetime = self.workbook.add_format({"num_format": DATETIME_FORMAT})
        self.bold_date = self.workbook.add_format({"num_format": DATE_FORMAT, "bold": True})
        self._money: dict = {}

    def money(self, currency: str | None, bold: bool = False):
        """An amount's number format: its currency's decimals and code ("1.234.567 CLP", "12,50 USD")."""
        key = (currency, bold)
        if key not in self._money:
            decimals = MINOR_DIGITS.get(currency or "", 2)
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            if currency:
                pattern += f' "{SYMBOLS.get(currency, currency)}"'
            self._money[key] = self.workbook.add_format({"num_format": pattern, "bold": bold})
        return self._money[key]

    def sheet(self, title: str, headers: Sequence[str], kinds: Sequence[str] | None = None,
              currency_columns: dict[int, int] | None = None) -> "Sheet":
        return Sheet(self, title, headers, kinds or [TEXT] * len(headers), currency_columns or {})

    def close(self) -> None:
        self.workbook.close()


class Sheet:
    """A sheet of typed columns. `kinds[i]` says how column i is written; an amount (MONEY) takes its
    currency from the row's column `currency_columns[i]`, or is given as an (amount, currency) pair."""

    def __init__(self, book: Book, title: str, headers: Sequence[str], kinds: Sequence[str],
                 currency_columns: dict[int, int]):
        self.book = book
        # Excel refuses a sheet name over 31 characters or holding []:*?/\ .
        name = "".join(" " if char in "[]:*?/\\" else char for char in str(title))[:31] or "Sheet1"
        self.worksheet = book.workbook.add_worksheet(name)
        self.columns = len(headers)
        self.row = 0
        worksheet = self.worksheet
        worksheet.write_row(0, 0, [str(header) for header in headers], book.bold)
        worksheet.freeze_panes(1, 0)
        for index, kind in enumerate(kinds):
            worksheet.set_column(index, index, WIDTHS.get(kind, WIDTHS[TEXT]))
        self.plan = [(index, self._writer(kind, currency_columns.get(index))) for index, kind in enumerate(kinds)]

    def _writer(self, kind: str, currency_column: int | None) -> Callable:
        """The function writing one cell of a column, chosen once per column."""
        sheet, book = self.worksheet, self.book
        if kind == NUMBER:
            return lambda row, col, value, values: sheet.write_number(row, col, float(value))
        if kind == MONEY:
            def money(row, col, value, values):
                if isinstance(value, tuple):
                    value, currency = value
                    if value is None:
                        return
                else:
                    currency = values[currency_column] if currency_column is not None else None
                sheet.write_number(row, col, float(value), book.money(currency or None))
            return money
        if kind == DATE:
            return lambda row, col, value, values: sheet.write_datetime(row, col, value, book.date)
        if kind == DATETIME:
            return lambda row, col, value, values: sheet.write_datetime(row, col, value, book.datetime)
        if kind == BOOL:
            return lambda row, col, value, values: sheet.write_boolean(row, col, bool(value))
        write_string = sheet.write_string

        def text(row, col, value, values):
            # A value a text column holds that is not text (a number in a mixed column) keeps its type.
            if isinstance(value, str):
                write_string(row, col, value)
            else:
                _write_any(sheet, book, row, col, value)
        return text

    def append(self, values: Sequence) -> None:
        self.row = row = self.row + 1
        for col, write in self.plan:
            value = values[col]
            if value is None or value == "":
                continue
            write(row, col, value, values)

    def extend(self, rows: Iterable[Sequence], progress: Callable[[int], None] | None = None) -> int:
        """Write every row; `progress(rows written)` is called every PROGRESS_EVERY rows and at the end."""
        append, written, every = self.append, 0, PROGRESS_EVERY
        for values in rows:
            append(values)
            written += 1
            if progress is not None and written % every == 0:
                progress(written)
        if progress is not None:
            progress(written)
        return written

    def append_plain(self, values: Sequence, bold: bool = False) -> None:
        """A row of values of any type (totals, subtotals), each written by its own type."""
        self.row = row = self.row + 1
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            _write_any(self.worksheet, self.book, row, col, value, bold)

    def finish(self) -> None:
        """The autofilter over the header and every row written."""
        if self.columns:
            self.worksheet.autofilter(0, 0, self.row, self.columns - 1)


def _write_any(sheet, book: Book, row: int, col: int, value, bold: bool = False) -> None:
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value, book.bold if bold else None)
    elif isinstance(value, (int, float, Decimal)):
        sheet.write_number(row, col, float(value), book.bold if bold else None)
    elif isinstance(value, datetime.datetime):
        sheet.write_datetime(row, col, value, book.datetime)
    elif isinstance(value, datetime.date):
        sheet.write_datetime(row, col, value, book.bold_date if bold else book.date)
    else:
        sheet.write_string(row, col, str(value), book.bold if bold else None)
