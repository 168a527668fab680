"""Spreadsheets as exports write them, straight into the zip package: each sheet's XML is streamed into
its zip entry a chunk of rows at a time (CHUNK_ROWS), so memory stays flat whatever the row count and no
per-cell library code runs. A chunk is converted column by column: each column's converter, chosen once,
is one list comprehension over the chunk for the common values (text needing no escaping, checked once
for the whole chunk; ints, Decimals, dates, datetimes of one time zone), one function call per cell only
for the rest; the cells are then joined row by row into one write. Typed cells (numbers, dates with a
date format, amounts as numbers with their currency's format), a bold header row that stays frozen, and
an autofilter over the rows.

Sheets are deflated at zlib level 1, the fastest: compressing is a large share of an export's time. On
the XML of 200,000 deals (125 MB) level 1 takes 0.48 s of CPU for 16.1 MB, level 3 0.67 s for 14.8 MB,
the default level 6 1.21 s for 12.6 MB.

Text is always written as an inline string, never as a formula or a link; the callers neutralise what a
spreadsheet would run once it is retyped (`rules.neutralise`). xml:space="preserve" is written in a
chunk where some text starts or ends with white space (which Excel would otherwise trim), else left out.
Text is cleaned the one way XML forces: characters XML 1.0 cannot hold (control characters other than
tab, line feed and carriage return, lone surrogates, U+FFFE/U+FFFF) are dropped, and a cell keeps at most
Excel's 32,767 characters as Excel counts them (`clean_text`). Known limit: Excel (not openpyxl) reads
"_xHHHH_" in a cell's text as an escaped character; such text is written as is."""

import datetime
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from itertools import chain, islice, repeat, zip_longest
from xml.sax.saxutils import escape as escape_attribute

from vinculo.core.money import MINOR_DIGITS, SYMBOLS

TEXT, NUMBER, MONEY, DATE, DATETIME, BOOL = "text", "number", "money", "date", "datetime", "bool"
DATE_FORMAT = "dd-mm-yyyy"
DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
# How often a long write reports its progress (rows).
PROGRESS_EVERY = 2000
# Rows converted column by column and joined into one write to the zip entry.
CHUNK_ROWS = 2000
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


# Text cells of a chunk are checked at once, joined by a printable character that needs no escaping and is
# no white space (a value holding it can only make the white-space check say "maybe": the safe side).
SEPARATOR = "~"
# A value starting or ending with XML white space, within the joined chunk.
_EDGE_SPACE = re.compile(r"(?:^|~)[ \t\n\r]|[ \t\n\r](?:~|$)")
SPACED = "spaced"
PRESERVE = ' xml:space="preserve"'


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


def _dated_cell(value, letter: str, row, style: int, book: "Book") -> str:
    """A cell of a date column (`style` its format) that is not a plain date from 01-03-1900 on: a datetime
    shows as a datetime in either column, a date as a date; any other value by its own type."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        return _date_cell(value, letter, row, Book.DATETIME)
    if isinstance(value, datetime.date):
        return _date_cell(value, letter, row, style)
    return _any(value, letter, row, False, book)


def _number_cell(value, letter: str, row) -> str:
    if value is None or value == "":
        return ""
    text = _number(value)
    return f'<c r="{letter}{row}"><v>{text}</v></c>' if text else ""


def _money_cell(value, letter: str, row, style: int) -> str:
    if value is None or value == "":
        return ""
    text = _number(value)
    return f'<c r="{letter}{row}" s="{style}"><v>{text}</v></c>' if text else ""


def _text_cell(value, letter: str, row, book: "Book") -> str:
    if value.__class__ is str:
        value = _escaped(value)
        if not value:  # empty, or nothing but characters XML cannot hold
            return ""
        spaced = value[0].isspace() or value[-1].isspace() or value.startswith("&#13;") or value.endswith("&#13;")
        preserve = PRESERVE if spaced else ""
        return f'<c r="{letter}{row}" t="inlineStr"><is><t{preserve}>{value}</t></is></c>'
    # A value a text column holds that is not text (a number in a mixed column) keeps its type.
    return _any(value, letter, row, False, book)


def _plain_texts(values: Sequence):
    """Whether a chunk of a text column can be copied into the XML as it is: every truthy value is text (a
    falsy one is empty or keeps its type), none needs escaping or cleaning, none is long enough to be cut;
    SPACED (true) when a value may start or end with white space. One join and two searches over the whole
    chunk instead of a check per cell."""
    try:
        joined = SEPARATOR.join(filter(None, values))
    except TypeError:  # a value that is not text
        return False
    if len(joined) > MAX_TEXT // 2 and max(map(len, filter(None, values))) > MAX_TEXT // 2:
        return False
    if joined.isprintable():
        # No control character, surrogate or U+FFFE/U+FFFF (none is printable), no tab or line break: the
        # fast string searches suffice.
        if "&" in joined or "<" in joined or ">" in joined:
            return False
        spaced = " ~" in joined or "~ " in joined or joined[:1] == " " or joined[-1:] == " "
    else:
        if _SPECIAL.search(joined):
            return False
        spaced = _EDGE_SPACE.search(joined) is not None
    return SPACED if spaced else True


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
        """The function giving a chunk of rows' cells of one column, chosen once per column: (the column's values,
        their row numbers, every column of the chunk) → one cell's XML per row, "" for an empty cell (None or
        ""). The common values (text that needs no escaping, an int, a Decimal, a date) are written by one list
        comprehension per chunk, not one function call per cell; any other value cell by cell."""
        letter, book = self.letters[index], self.book
        if kind == NUMBER:
            def number(values, numbers, columns):
                return [f'<c r="{letter}{n}"><v>{v}</v></c>'
                        if v.__class__ is int or (v.__class__ is Decimal and v.is_finite())
                        else _number_cell(v, letter, n) for v, n in zip(values, numbers, strict=True)]
            return number
        if kind == MONEY:
            styles: dict = {}  # a currency's cell format

            def money(values, numbers, columns):
                of_row = columns[currency_column] if currency_column is not None else [None] * len(values)
                if tuple in map(type, values):  # (amount, currency) pairs
                    pairs = [v if v.__class__ is tuple else (v, c) for v, c in zip(values, of_row, strict=True)]
                    amounts, currencies = [p[0] for p in pairs], [p[1] for p in pairs]
                else:
                    amounts, currencies = values, of_row
                for currency in set(currencies) - styles.keys():
                    styles[currency] = book.money(currency or None)
                return [f'<c r="{letter}{n}" s="{styles[c]}"><v>{v}</v></c>'
                        if v.__class__ is Decimal and v.is_finite() or v.__class__ is int
                        else _money_cell(v, letter, n, styles[c])
                        for v, c, n in zip(amounts, currencies, numbers, strict=True)]
            return money
        if kind == DATE:
            def date(values, numbers, columns):
                return [f'<c r="{letter}{n}" s="{Book.DATE}"><v>{v.toordinal() - EPOCH_ORDINAL}</v></c>'
                        if v.__class__ is datetime.date and v >= MARCH_1900
                        else _dated_cell(v, letter, n, Book.DATE, book) for v, n in zip(values, numbers, strict=True)]
            return date
        if kind == DATETIME:
            def moment(values, numbers, columns):
                # An aware datetime is written as its wall-clock time: the distance to an epoch in the same time
                # zone (the same tzinfo) is the wall-clock distance, with no conversion per cell.
                zone = next((v.tzinfo for v in values if v.__class__ is datetime.datetime), None)
                epoch = EPOCH if zone is None else EPOCH.replace(tzinfo=zone)
                return [f'<c r="{letter}{n}" s="{Book.DATETIME}"><v>{serial!r}</v></c>'
                        if v.__class__ is datetime.datetime and v.tzinfo is zone
                        and (serial := (v - epoch) / ONE_DAY) >= 61
                        else _dated_cell(v, letter, n, Book.DATETIME, book) for v, n in zip(values, numbers, strict=True)]
            return moment
        if kind == BOOL:
            def boolean(values, numbers, columns):
                return [f'<c r="{letter}{n}" t="b"><v>{1 if v else 0}</v></c>' if v is not None and v != "" else ""
                        for v, n in zip(values, numbers, strict=True)]
            return boolean

        def text(values, numbers, columns):
            plain = _plain_texts(values)
            if plain:
                # Every value is text to copy as it is, or an empty or falsy value (None, "", a 0 keeps its type).
                # Only white space at either end needs xml:space="preserve" (else Excel trims it, as XlsxWriter
                # knows); without any in the chunk the attribute is left out.
                start = f'" t="inlineStr"><is><t{PRESERVE if plain is SPACED else ""}>'
                return [f'<c r="{letter}{n}{start}{v}</t></is></c>' if v
                        else ("" if v is None or v == "" else _any(v, letter, n, False, book))
                        for v, n in zip(values, numbers, strict=True)]
            return [_text_cell(v, letter, n, book) for v, n in zip(values, numbers, strict=True)]
        return text

    def _chunk(self, rows: list[Sequence]) -> None:
        """Write `rows`: their values taken column by column (`zip_longest`: a short row's missing cells are
        empty), each column's cells by its converter, then joined row by row into one write."""
        first = self.row + 2
        numbers = range(first, first + len(rows))
        columns = list(zip_longest(*rows))
        cells = [convert(values, numbers, columns) for convert, values in zip(self.plan, columns, strict=False)]
        starts = [f'<row r="{n}">' for n in numbers]
        xml = "".join(chain.from_iterable(zip(starts, *cells, repeat("</row>", len(rows)), strict=True)))
        if self.pending:
            xml = "".join(self.pending) + xml
            self.pending.clear()
        self.stream.write(xml.encode())
        self.row += len(rows)

    def _write(self, line: str) -> None:
        self.pending.append(line)
        if len(self.pending) >= CHUNK_ROWS:
            self.stream.write("".join(self.pending).encode())
            self.pending.clear()

    def append(self, values: Sequence) -> None:
        self._chunk([values])

    def extend(self, rows: Iterable[Sequence], progress: Callable[[int], None] | None = None) -> int:
        """Write every row, CHUNK_ROWS at a time; `progress(rows written)` is called every PROGRESS_EVERY rows
        and at the end."""
        rows, written, every = iter(rows), 0, PROGRESS_EVERY
        size = max(1, min(CHUNK_ROWS, every))
        while chunk := list(islice(rows, size)):
            self._chunk(chunk)
            written += len(chunk)
            if progress is not None and written // every != (written - len(chunk)) // every:
                progress(written)
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
