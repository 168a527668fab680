"""Spreadsheets as exports write them, straight into the zip package: each sheet's XML is streamed into
its zip entry row by row (each row one string built by one converter per column, chosen once), so memory
stays flat whatever the row count and no per-cell library code runs. Typed cells (numbers, dates with a
date format, amounts as numbers with their currency's format), a bold header row that stays frozen, and an
autofilter over the rows.

Text is always written as an inline string, never as a formula or a link; the callers neutralise what a
spreadsheet would run once it is retyped (`rules.neutralise`). Text is cleaned the one way XML forces:
characters XML 1.0 cannot hold (control characters other than tab, line feed and carriage return, lone
surrogates, U+FFFE/U+FFFF) are dropped, and a cell keeps at most Excel's 32,767 characters as Excel counts
them (`clean_text`). Known limit: Excel (not openpyxl) reads "_xHHHH_" in a cell's text as an escaped
character; such text is written as is."""

import datetime
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape as escape_attribute

from vinculo.core.money import MINOR_DIGITS, SYMBOLS

TEXT, NUMBER, MONEY, DATE, DATETIME, BOOL = "text", "number", "money", "date", "datetime", "bool"
DATE_FORMAT = "dd-mm-yyyy"
DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
# How often a long write reports its progress (rows).
PROGRESS_EVERY = 2000
# Rows joined into one write to the zip entry.
CHUNK_ROWS = 1000
WIDTHS = {DATE: 12, DATETIME: 17, MONEY: 16, NUMBER: 12, BOOL: 8, TEXT: 24}
# Excel's limit on a cell's text.
MAX_TEXT = 32_767
EPOCH = datetime.datetime(1899, 12, 30)
EPOCH_DATE = EPOCH.date()

# Characters XML 1.0 cannot hold at all.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Anything needing more than a plain copy: XML specials, a carriage return (an XML parser reads it as a line
# feed unless escaped) and the characters XML cannot hold.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """The text a cell holds for `value`: characters XML cannot carry dropped, cut at Excel's limit of
    32,767 characters as Excel counts them (UTF-16 units: an emoji counts two; never half of one)."""
    value = _ILLEGAL.sub("", value)
    if len(value) > MAX_TEXT // 2:
        encoded = value.encode("utf-16-le")
        if len(encoded) > 2 * MAX_TEXT:
            value = encoded[:2 * MAX_TEXT].decode("utf-16-le", "ignore")
    return value


def _escaped(value: str) -> str:
    """Text as an inline string's XML content (`clean_text`, then escaped); white space is kept as is."""
    if len(value) > MAX_TEXT // 2 or _SPECIAL.search(value):
        return clean_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
            "\r", "&#13;")
    return value


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _number(value) -> str:
    """A number as a cell's <v>; "" for what a spreadsheet cannot hold (NaN, infinities)."""
    kind = value.__class__
    if kind is int:
        return str(value)
    if kind is Decimal:
        return str(value) if value.is_finite() else ""
    number = float(value)
    return repr(number) if math.isfinite(number) else ""


ONE_DAY = datetime.timedelta(days=1)
# date.toordinal() of Excel's day 0 (1899-12-30, as Excel counts past its 1900 leap-year bug).
EPOCH_ORDINAL = EPOCH_DATE.toordinal()


# From this day on a date's serial is its distance to EPOCH; before it Excel counts a 29-02-1900 that never was.
MARCH_1900 = datetime.date(1900, 3, 1)
MARCH_1900_AT = datetime.datetime(1900, 3, 1)


def _date_cell(value, letter: str, row, style: int) -> str:
    """A date or datetime's cell (an aware datetime as its wall-clock time): Excel's day number with a date
    format; a day Excel cannot count (before 01-01-1900) as ISO text."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        serial = (value - EPOCH) / ONE_DAY
    else:
        serial = value.toordinal() - EPOCH_ORDINAL
    if serial < 61:
        serial -= 1
    if serial < 1:
        return f'<c r="{letter}{row}" t="inlineStr"><is><t>{value.isoformat()}</t></is></c>'
    return f'<c r="{letter}{row}" s="{style}"><v>{serial!r}</v></c>'


class Book:
    """One workbook, written to `out` (a path or a binary file) when closed. Sheets are written one after
    the other: starting a sheet ends the previous one."""

    # Fixed cell formats (indexes into styles.xml's cellXfs); amounts' formats are added as they are met.
    PLAIN, BOLD, DATE, DATETIME, BOLD_DATE, BOLD_DATETIME = range(6)

    def __init__(self, out):
        self.zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        # (number format id or 0, bold) per cell format, in cellXfs order.
        self.formats: list[tuple[int, bool]] = [(0, False), (0, True), (164, False), (165, False),
                                                (164, True), (165, True)]
        self.number_formats = {DATE_FORMAT: 164, DATETIME_FORMAT: 165}
        self._money: dict = {}
        self.sheets: list[Sheet] = []
        self.current: Sheet | None = None

    def money(self, currency: str | None, bold: bool = False) -> int:
        """An amount's cell format: its currency's decimals and code ("1.234.567 CLP", "12,50 USD")."""
        key = (currency, bold)
        if key not in self._money:
            decimals = MINOR_DIGITS.get(currency or "", 2)
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            if currency:
                pattern += f' "{SYMBOLS.get(currency, currency)}"'
            format_id = self.number_formats.setdefault(pattern, 164 + len(self.number_formats))
            self.formats.append((format_id, bold))
            self._money[key] = len(self.formats) - 1
        return self._money[key]

    def sheet(self, title: str, headers: Sequence[str], kinds: Sequence[str] | None = None,
              currency_columns: dict[int, int] | None = None) -> "Sheet":
        if self.current is not None:
            self.current.close()
        self.current = Sheet(self, title, headers, kinds or [TEXT] * len(headers), currency_columns or {})
        self.sheets.append(self.current)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
        if not self.sheets:
            self.sheet("Sheet1", []).close()
        write = self.zip.writestr
        count = len(self.sheets)
        write("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                      f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for n in range(1, count + 1))
            + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'extended-properties+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
            'core-properties+xml"/></Types>'))
        write("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'extended-properties" Target="docProps/app.xml"/></Relationships>'))
        write("docProps/app.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            '<Application>Vínculo</Application></Properties>'))
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        write("docProps/core.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created></cp:coreProperties>'))
        sheets, names = "", ""
        for n, sheet in enumerate(self.sheets, 1):
            sheets += f'<sheet name="{escape_attribute(sheet.name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
            if sheet.filter_ref:
                quoted = sheet.name.replace("'", "''")
                names += (f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n - 1}" hidden="1">'
                          f"{escape_attribute(chr(39) + quoted + chr(39))}!{absolute(sheet.filter_ref)}</definedName>")
        write("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>'
            + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>"))
        write("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      f'relationships/worksheet" Target="worksheets/sheet{n}.xml"/>' for n in range(1, count + 1))
            + f'<Relationship Id="rId{count + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/styles" Target="styles.xml"/></Relationships>'))
        write("xl/styles.xml", self._styles())
        self.zip.close()

    def _styles(self) -> str:
        number_formats = "".join(f'<numFmt numFmtId="{format_id}" formatCode="{escape_attribute(code, {chr(34): "&quot;"})}"/>'
                                 for code, format_id in self.number_formats.items())
        cell_formats = "".join(
            f'<xf numFmtId="{format_id}" fontId="{int(bold)}" fillId="0" borderId="0" xfId="0"'
            + (' applyNumberFormat="1"' if format_id else "") + (' applyFont="1"' if bold else "") + "/>"
            for format_id, bold in self.formats)
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<numFmts count="{len(self.number_formats)}">{number_formats}</numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(self.formats)}">{cell_formats}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>")


def absolute(ref: str) -> str:
    """A1:C3 → $A$1:$C$3."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


class Sheet:
    """A sheet of typed columns. `kinds[i]` says how column i is written; an amount (MONEY) takes its
    currency from the row's column `currency_columns[i]`, or is given as an (amount, currency) pair."""

    def __init__(self, book: Book, title: str, headers: Sequence[str], kinds: Sequence[str],
                 currency_columns: dict[int, int]):
        self.book = book
        # Excel refuses a sheet name over 31 characters or holding []:*?/\ .
        name = "".join(" " if char in "[]:*?/\\" else char for char in clean_text(str(title)))[:31].strip(" '")
        self.name = name or f"Sheet{len(book.sheets) + 1}"
        self.columns = len(headers)
        self.letters = [column_letter(index) for index in range(max(self.columns, 1))]
        self.row = 0
        self.filter_ref = ""
        self.pending: list[str] = []
        self.stream = book.zip.open(f"xl/worksheets/sheet{len(book.sheets) + 1}.xml", "w")
        cols = "".join(f'<col min="{index + 1}" max="{index + 1}" width="{WIDTHS.get(kind, WIDTHS[TEXT])}" '
                       'customWidth="1"/>' for index, kind in enumerate(kinds))
        selected = int(not book.sheets)
        self.stream.write((
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheetViews><sheetView tabSelected="{selected}" workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>").encode())
        self._plain(1, [str(header) for header in headers], bold=True)
        self.plan = [self._converter(index, kind, currency_columns.get(index)) for index, kind in enumerate(kinds)]

    def _converter(self, index: int, kind: str, currency_column: int | None) -> Callable:
        """The function giving one cell's XML of a column (`row` its row number), chosen once per column;
        "" for an empty cell (None or "")."""
        letter, book = self.letters[index], self.book
        if kind == NUMBER:
            def number(value, values, row):
                if value is None or value == "":
                    return ""
                text = _number(value)
                return f'<c r="{letter}{row}"><v>{text}</v></c>' if text else ""
            return number
        if kind == MONEY:
            styles: dict = {}

            def money(value, values, row):
                if value is None or value == "":
                    return ""
                if value.__class__ is tuple:
                    value, currency = value
                    if value is None:
                        return ""
                else:
                    currency = values[currency_column] if currency_column is not None else None
                style = styles.get(currency)
                if style is None:
                    style = styles[currency] = book.money(currency or None)
                text = _number(value)
                return f'<c r="{letter}{row}" s="{style}"><v>{text}</v></c>' if text else ""
            return money
        if kind in (DATE, DATETIME):
            style = Book.DATE if kind == DATE else Book.DATETIME

            def date(value, values, row):
                kind = value.__class__
                if kind is datetime.date and value >= MARCH_1900:
                    return f'<c r="{letter}{row}" s="{style}"><v>{value.toordinal() - EPOCH_ORDINAL}</v></c>'
                if kind is datetime.datetime and value.tzinfo is None and value >= MARCH_1900_AT:
                    return f'<c r="{letter}{row}" s="{Book.DATETIME}"><v>{(value - EPOCH) / ONE_DAY!r}</v></c>'
                if value is None or value == "":
                    return ""
                # A date in a datetime column shows as a date, a datetime in a date column as a datetime.
                if isinstance(value, datetime.datetime):
                    return _date_cell(value, letter, row, Book.DATETIME)
                if isinstance(value, datetime.date):
                    return _date_cell(value, letter, row, style)
                return _any(value, letter, row, False, book)
            return date
        if kind == BOOL:
            def boolean(value, values, row):
                if value is None or value == "":
                    return ""
                return f'<c r="{letter}{row}" t="b"><v>{int(bool(value))}</v></c>'
            return boolean

        def text(value, values, row):
            if value.__class__ is str:
                if not value:
                    return ""
                if len(value) > MAX_TEXT // 2 or special(value):
                    value = _escaped(value)
                    if not value:  # nothing but characters XML cannot hold
                        return ""
                return f'<c r="{letter}{row}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
            # A value a text column holds that is not text (a number in a mixed column) keeps its type.
            return _any(value, letter, row, False, book)
        special = _SPECIAL.search
        return text

    def _write(self, line: str) -> None:
        self.pending.append(line)
        if len(self.pending) >= CHUNK_ROWS:
            self.stream.write("".join(self.pending).encode())
            self.pending.clear()

    def append(self, values: Sequence) -> None:
        self.row = row = self.row + 1
        row += 1
        cells = [convert(value, values, row) for convert, value in zip(self.plan, values, strict=False)]
        self._write(f'<row r="{row}">{"".join(cells)}</row>')

    def extend(self, rows: Iterable[Sequence], progress: Callable[[int], None] | None = None) -> int:
        """Write every row; `progress(rows written)` is called every PROGRESS_EVERY rows and at the end."""
        plan, pending, stream, written, every = self.plan, self.pending, self.stream, 0, PROGRESS_EVERY
        number = self.row + 1
        for values in rows:
            number += 1
            cells = [convert(value, values, number) for convert, value in zip(plan, values, strict=False)]
            pending.append(f'<row r="{number}">{"".join(cells)}</row>')
            written += 1
            if len(pending) >= CHUNK_ROWS:
                stream.write("".join(pending).encode())
                pending.clear()
            if progress is not None and written % every == 0:
                progress(written)
        self.row = number - 1
        if progress is not None:
            progress(written)
        return written

    def append_plain(self, values: Sequence, bold: bool = False) -> None:
        """A row of values of any type (totals, subtotals), each written by its own type."""
        self.row += 1
        self._plain(self.row + 1, values, bold)

    def _plain(self, number: int, values: Sequence, bold: bool) -> None:
        letters = self.letters
        cells = "".join(_any(value, letters[col] if col < len(letters) else column_letter(col), number, bold, self.book)
                        for col, value in enumerate(values) if value is not None and value != "")
        self._write(f'<row r="{number}">{cells}</row>')

    def finish(self) -> None:
        """The autofilter over the header and every row written."""
        if self.columns:
            self.filter_ref = f"A1:{self.letters[self.columns - 1]}{self.row + 1}"

    def close(self) -> None:
        if self.stream is None:
            return
        tail = "</sheetData>" + (f'<autoFilter ref="{self.filter_ref}"/>' if self.filter_ref else "")
        self.stream.write(("".join(self.pending) + tail
                           + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                           'footer="0.3"/></worksheet>').encode())
        self.pending.clear()
        self.stream.close()
        self.stream = None


def _any(value, letter: str, row, bold: bool, book: Book) -> str:
    """One cell written by its value's own type; "" for an empty one (None or "")."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{letter}{row}"{_bold(bold)} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        text = _number(value)
        return f'<c r="{letter}{row}"{_bold(bold)}><v>{text}</v></c>' if text else ""
    if isinstance(value, datetime.datetime):
        return _date_cell(value, letter, row, Book.BOLD_DATETIME if bold else Book.DATETIME)
    if isinstance(value, datetime.date):
        return _date_cell(value, letter, row, Book.BOLD_DATE if bold else Book.DATE)
    text = _escaped(str(value))
    return f'<c r="{letter}{row}"{_bold(bold)} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>' if text else ""


def _bold(bold: bool) -> str:
    return f' s="{Book.BOLD}"' if bold else ""
