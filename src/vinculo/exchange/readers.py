"""Reading an uploaded file into rows: CSV (any delimiter and encoding), XLSX and vCard (2.1, 3.0, 4.0).

Every reader gives a `Table`: the column headers and the rows, each a mapping of header to text with its
row number. A row the reader cannot make sense of (a broken card, a field past the size limit) is a row
with an `error`, so one bad row never stops the rest; a file that cannot be read at all raises
`UnreadableFile` with a message for the user. Outlook and Google Contacts CSV are CSV files whose
headers the column mapping recognises (Google's numbered "Phone 1 - Type/Value" pairs are turned into
plain columns first).

A file is read as a stream, a chunk at a time, never whole: the rows are produced as they are read, so
a file of a million rows takes the memory of a few rows (a CSV line, a vCard, an XLSX row). The source
is bytes or a binary file open for reading and seekable (an upload, a stored job's file); it must stay
open while the table's rows are read, and each pass starts from its beginning."""

import codecs
import csv
import datetime
import io
import itertools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

import charset_normalizer
from django.utils.translation import gettext as _

# The largest cell a CSV row may carry (a 1 MB note is read, a larger field rejects its row).
MAX_FIELD = 2 * 1024 * 1024
DELIMITERS = ",;\t|"
# How much of the file is read at a time.
CHUNK = 64 * 1024
# A line longer than this (many fields at their limit) is handed to the CSV reader in pieces rather than
# held whole: its row is then read wrong or rejected, and memory stays bounded.
MAX_LINE = 4 * MAX_FIELD


class UnreadableFile(Exception):
    """The file is not one of the formats read here, or is damaged beyond its rows."""


@dataclass
class Row:
    number: int  # the row as a spreadsheet numbers it (the header is row 1), or the card's position
    values: dict[str, str] = field(default_factory=dict)
    error: str = ""


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[Row]
    encoding: str = ""
    delimiter: str = ""
    format: str = ""


Source = bytes | BinaryIO


def _binary(source: Source) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes | bytearray | memoryview) else source


def _head(file: BinaryIO, size: int) -> bytes:
    """The first `size` bytes of `file` (fewer if it is shorter), leaving it at its beginning."""
    file.seek(0)
    data = b""
    while len(data) < size and (chunk := file.read(size - len(data))):
        data += chunk
    file.seek(0)
    return data


def _byte_chunks(file: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    """The file from its beginning, `size` bytes at a time (the seek happens when the first is asked for)."""
    file.seek(0)
    while chunk := file.read(size):
        yield chunk


# ---------- Text: encodings ----------

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# What charset-normalizer is shown: enough text for its guess, a bounded part of any file.
DETECTION_SAMPLE = 200_000


def detect_encoding(source: Source) -> str:
    """The encoding of the file: its byte-order mark, else UTF-8 when the whole file decodes as such (checked
    in one pass a chunk at a time, so an accented letter in another encoding on the last row is seen), else
    what charset-normalizer finds in the file's first bytes; Windows-1252 (Latin-1's superset, what Excel
    and Outlook write) otherwise."""
    file = _binary(source)
    head = _head(file, 4)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _byte_chunks(file):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    finally:
        file.seek(0)
    best = charset_normalizer.from_bytes(_head(file, DETECTION_SAMPLE)).best()
    if best is not None and best.encoding in {"utf_16", "utf_16_le", "utf_16_be"}:
        return best.encoding.replace("_", "-")
    # Most 8-bit files here are Spanish from Windows; charset-normalizer's guesses between the Latin
    # code pages are decided by the few accented letters, so cp1252 is the safer reading.
    return "cp1252"


def text_encoding(file: BinaryIO, encoding: str = "") -> str:
    """`encoding` when given (the user's override), else detected; one that cannot decode text is refused."""
    encoding = encoding or detect_encoding(file)
    try:
        codecs.getincrementaldecoder(encoding)
        # A codec that is not a text encoding (base64) or takes no error handler (idna) cannot read a file.
        b"ab".decode(encoding, "replace")
    except (LookupError, ValueError) as exc:
        raise UnreadableFile(_("Unknown encoding “%(name)s”.") % {"name": encoding}) from exc
    return encoding


_NO_BOM = {"utf-16": (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE),
           "utf-32": (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)}


def _stream_codec(file: BinaryIO, encoding: str) -> str:
    """The codec to read `file` with a chunk at a time. UTF-16 and UTF-32 without a byte-order mark are read
    in this machine's byte order, as bytes.decode reads them (their incremental decoders refuse them)."""
    name = codecs.lookup(encoding).name
    if name in _NO_BOM and not _head(file, 4).startswith(_NO_BOM[name]):
        return f"{name}-{'le' if sys.byteorder == 'little' else 'be'}"
    return encoding


def text_chunks(file: BinaryIO, encoding: str) -> Iterator[str]:
    """The file as text, a chunk at a time: a byte-order mark left by the codec is dropped, bytes the
    encoding cannot read become U+FFFD rather than failing the file, and NUL characters are removed."""
    decoder = codecs.getincrementaldecoder(_stream_codec(file, encoding))(errors="replace")
    started = False
    for data in itertools.chain(_byte_chunks(file), [None]):
        try:
            text = decoder.decode(data or b"", final=data is None)
        except UnicodeError as exc:  # a codec that refuses some bytes even with errors="replace"
            raise UnreadableFile(_("The file cannot be read as %(name)s.") % {"name": encoding}) from exc
        if not started and text:
            started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        text = text.replace("\x00", "")
        if text:
            yield text


_LINE_END = re.compile(r"\r\n|\r|\n")


def text_lines(chunks: Iterator[str]) -> Iterator[str]:
    """The lines of the text, with their line ends, cut where io.StringIO(newline="") cuts them (at \\r\\n,
    \\r or \\n) though the text comes in chunks that may cut a line, or a \\r\\n, in two."""
    pending: list[str] = []
    pending_length = 0
    carry = ""
    for chunk in chunks:
        text = carry + chunk
        carry = ""
        if text.endswith("\r"):  # perhaps the first half of a \r\n
            text, carry = text[:-1], "\r"
        start = 0
        for found in _LINE_END.finditer(text):
            pending.append(text[start:found.end()])
            yield "".join(pending)
            pending, pending_length, start = [], 0, found.end()
        if start < len(text):
            pending.append(text[start:])
            pending_length += len(text) - start
            if pending_length > MAX_LINE:
                yield "".join(pending)
                pending, pending_length = [], 0
    tail = "".join(pending) + carry
    if tail:
        yield tail


# ---------- CSV ----------

def sniff_delimiter(sample: str) -> str:
    first_lines = "\n".join(sample.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(first_lines, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def unique_headers(headers: list[str]) -> list[str]:
    """Headers made unique ("E-mail", "E-mail (2)") and never empty ("Column 3"), so no column is lost."""
    seen: dict[str, int] = {}
    result = []
    for index, header in enumerate(headers, start=1):
        header = (header or "").strip()[:200] or _("Column %(number)s") % {"number": index}
        if header in seen:
            seen[header] += 1
            header = f"{header} ({seen[header]})"
        else:
            seen[header] = 1
        result.append(header)
    return result


def read_csv(source: Source, encoding: str = "", delimiter: str = "") -> Table:
    file = _binary(source)
    encoding = text_encoding(file, encoding)
    chunks = text_chunks(file, encoding)
    # The delimiter is sniffed from the file's first 50,000 characters; those chunks are then read again.
    sample: list[str] = []
    for chunk in chunks:
        sample.append(chunk)
        if sum(map(len, sample)) >= 50_000:
            break
    delimiter = delimiter or sniff_delimiter("".join(sample)[:50_000])
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(text_lines(itertools.chain(sample, chunks)), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise UnreadableFile(_("The file is empty.")) from None
    except csv.Error as exc:
        raise UnreadableFile(_("The header row cannot be read: %(error)s") % {"error": exc}) from exc
    headers = unique_headers(headers)

    def rows() -> Iterator[Row]:
        number = 1
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Row(number, error=_("This row cannot be read: %(error)s") % {"error": exc})
                continue
            number = max(number, reader.line_num)
            if not any(cell.strip() for cell in cells):
                continue
            row = Row(number, dict(zip(headers, cells, strict=False)))
            if len(cells) > len(headers) and any(cell.strip() for cell in cells[len(headers):]):
                row.error = _("This row has %(found)s columns, the header %(expected)s.") % {
                    "found": len(cells), "expected": len(headers)}
            yield row

    table = Table(headers, rows(), encoding, delimiter, "csv")
    if is_google(headers):
        table.rows, table.headers, table.format = google_rows(table.rows), GOOGLE_COLUMNS, "google"
    elif is_outlook(headers):
        table.format = "outlook"
    return table


# ---------- Outlook and Google Contacts CSV ----------

_OUTLOOK_MARKERS = ({"first name", "last name", "e-mail address"},
                    {"nombre", "apellidos", "dirección de correo electrónico"})


def is_outlook(headers: list[str]) -> bool:
    lowered = {header.strip().lower() for header in headers}
    return any(marker <= lowered for marker in _OUTLOOK_MARKERS)


def is_google(headers: list[str]) -> bool:
    lowered = {header.strip().lower() for header in headers}
    return "e-mail 1 - value" in lowered or ("phone 1 - value" in lowered and "given name" in lowered)


# Google writes each e-mail and phone as a numbered pair of columns whose type is in the row ("Mobile",
# "Work"); these plain columns are what the mapping sees instead.
GOOGLE_COLUMNS = ["Given Name", "Additional Name", "Family Name", "Name", "E-mail", "E-mail 2", "Mobile Phone",
                  "Business Phone", "Organization Name", "Organization Title", "Organization Department",
                  "City", "Country", "Notes"]
_GOOGLE_NUMBERED = re.compile(r"^(e-mail|phone) (\d+) - (type|value)$", re.IGNORECASE)


def google_rows(rows: Iterator[Row]) -> Iterator[Row]:
    for row in rows:
        if row.error:
            yield row
            continue
        pairs: dict[tuple[str, str], dict[str, str]] = {}
        plain = {}
        for header, value in row.values.items():
            found = _GOOGLE_NUMBERED.match(header.strip())
            if found:
                pairs.setdefault((found[1].lower(), found[2]), {})[found[3].lower()] = value
            else:
                plain[header.strip().lower()] = value
        values = {
            "Given Name": plain.get("given name", ""), "Additional Name": plain.get("additional name", ""),
            "Family Name": plain.get("family name", ""), "Name": plain.get("name", ""),
            "Organization Name": plain.get("organization 1 - name", plain.get("organization name", "")),
            "Organization Title": plain.get("organization 1 - title", plain.get("organization title", "")),
            "Organization Department": plain.get("organization 1 - department", ""),
            "City": plain.get("address 1 - city", ""), "Country": plain.get("address 1 - country", ""),
            "Notes": plain.get("notes", ""),
        }
        emails, mobiles, phones = [], [], []
        for (kind, _number), pair in sorted(pairs.items(), key=lambda item: (item[0][0], int(item[0][1]))):
            # A Google cell may hold several values joined by " ::: ".
            for value in filter(None, (part.strip() for part in pair.get("value", "").split(":::"))):
                if kind == "e-mail":
                    emails.append(value)
                elif "mobile" in pair.get("type", "").lower():
                    mobiles.append(value)
                else:
                    phones.append(value)
        values["E-mail"], values["E-mail 2"] = (emails + ["", ""])[:2]
        values["Mobile Phone"] = mobiles[0] if mobiles else ""
        values["Business Phone"] = phones[0] if phones else ""
        yield Row(row.number, values)


# ---------- XLSX ----------

def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    return str(value)


def read_xlsx(source: Source) -> Table:
    """The first sheet, a row at a time (openpyxl's read-only mode streams the sheet from the file)."""
    import openpyxl

    file = _binary(source)
    try:
        file.seek(0)
        # Formulas are read as their text (=SUM(…)): imported as text and flagged, never evaluated.
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        headers = None
        number = 0
        for cells in lines:
            number += 1
            if any(cell not in (None, "") for cell in cells):
                headers = unique_headers([_cell_text(cell) for cell in cells])
                break
    except Exception as exc:  # openpyxl raises zipfile, XML and its own errors on a damaged file
        raise UnreadableFile(_("This is not a readable XLSX workbook.")) from exc
    if headers is None:
        raise UnreadableFile(_("The file is empty."))
    while headers and headers[-1].startswith(_("Column %(number)s") % {"number": len(headers)}):
        headers.pop()

    def rows() -> Iterator[Row]:
        line = number
        for cells in lines:
            line += 1
            texts = [_cell_text(cell) for cell in cells]
            if not any(text.strip() for text in texts):
                continue
            yield Row(line, dict(zip(headers, texts, strict=False)))
        workbook.close()

    return Table(headers, rows(), format="xlsx")


# ---------- vCard ----------

VCARD_COLUMNS = ["First name", "Last name", "Full name", "E-mail", "E-mail 2", "Mobile", "Phone", "Organization",
                 "Job title", "Department", "City", "Country", "Note", "Photo"]


def _logical_lines(lines: Iterator[str]) -> Iterator[str]:
    """Logical lines: vCard 2.1 quoted-printable values end a line with "=" to continue on the next one,
    which may start with a space that belongs to the value (so it is not a fold); other lines starting
    with a space or tab are folds."""
    current: str | None = None
    continuing = False
    for line in lines:
        if continuing:
            current = current[:-1] + line
        elif line[:1] in (" ", "\t") and current is not None:
            current += line[1:]  # a folded line (RFC 6350 3.2), unfolded here so commas are seen whole
        else:
            if current is not None:
                yield current
            current = line
        colon = current.find(":")
        head = (current if colon < 0 else current[:colon]).upper()
        continuing = "QUOTED-PRINTABLE" in head and current.endswith("=")
    if current is not None:
        yield current


# Text properties that are one value: a comma in them is text, though vobject reads an unescaped one as a
# list separator (2.1 writers never escape it, some 3.0 writers forget).
_SINGLE_TEXT = {"FN", "NOTE", "TITLE", "ROLE", "ORG", "LABEL"}
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


def _escape_commas(line: str) -> str:
    head, colon, value = line.partition(":")
    name = head.split(";", 1)[0].rsplit(".", 1)[-1].upper()
    if colon and name in _SINGLE_TEXT:
        return head + colon + _UNESCAPED_COMMA.sub(r"\\,", value)
    return line


def _cards(lines: Iterator[str]) -> Iterator[str]:
    card: list[str] | None = None
    for line in lines:
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            card = [line]
        elif card is not None:
            card.append(_escape_commas(line))
            if upper == "END:VCARD":
                yield "\r\n".join(card) + "\r\n"
                card = None


def _types(line) -> set[str]:
    types = {str(value).lower() for value in line.singletonparams}
    for value in line.params.get("TYPE", []):
        types |= {part.strip().strip('"').lower() for part in str(value).split(",")}
    if line.params.get("PREF"):
        types.add("pref")
    return types


def _preferred_first(lines):
    def rank(line):
        pref = line.params.get("PREF", [""])[0]
        return (0 if "pref" in _types(line) else 1, int(pref) if str(pref).isdigit() else 100)
    return sorted(lines, key=rank)


def card_values(card) -> dict[str, str]:
    """One vobject card as the columns above: preferred e-mail first, a cell phone as mobile."""
    contents = card.contents
    values = dict.fromkeys(VCARD_COLUMNS, "")
    if "n" in contents:
        name = contents["n"][0].value
        values["First name"] = " ".join(filter(None, [_text(name.given), _text(name.additional)]))
        values["Last name"] = _text(name.family)
    if "fn" in contents:
        values["Full name"] = _text(contents["fn"][0].value)
    emails = [_text(line.value) for line in _preferred_first(contents.get("email", []))]
    values["E-mail"], values["E-mail 2"] = ([email for email in emails if email] + ["", ""])[:2]
    phones = _preferred_first(contents.get("tel", []))
    mobiles = [line for line in phones if _types(line) & {"cell", "mobile", "iphone"}]
    others = [line for line in phones if line not in mobiles and not _types(line) & {"fax"}]
    values["Mobile"] = _text(mobiles[0].value) if mobiles else ""
    values["Phone"] = _text(others[0].value) if others else ""
    if "org" in contents:
        org = contents["org"][0].value
        parts = [_text(part) for part in (org if isinstance(org, list) else [org])]
        values["Organization"] = parts[0] if parts else ""
        values["Department"] = parts[1] if len(parts) > 1 else ""
    for key, column in (("title", "Job title"), ("note", "Note")):
        if key in contents:
            values[column] = _text(contents[key][0].value)
    if "adr" in contents:
        address = _preferred_first(contents["adr"])[0].value
        values["City"] = _text(getattr(address, "city", ""))
        values["Country"] = _text(getattr(address, "country", ""))
    if "photo" in contents:
        values["Photo"] = "1"
    return values


def _text(value) -> str:
    if isinstance(value, list):
        value = " ".join(str(part) for part in value)
    if isinstance(value, bytes):
        return ""
    return str(value or "").strip()


def _has_card(chunks: Iterator[str]) -> bool:
    marker = "BEGIN:VCARD"
    overlap = ""
    for chunk in chunks:
        text = overlap + chunk
        if marker in text.upper():
            return True
        overlap = text[-len(marker):]
    return False


def read_vcard(source: Source, encoding: str = "") -> Table:
    """The cards of the file, read one card at a time (a card is held whole, with its photo: the upload's
    size limit bounds it)."""
    import vobject

    file = _binary(source)
    encoding = text_encoding(file, encoding)
    if not _has_card(text_chunks(file, encoding)):
        raise UnreadableFile(_("No vCard was found in the file."))

    def lines() -> Iterator[str]:
        # str.splitlines's line ends (form feeds, U+2028 too), as the file read whole was cut.
        for line in text_lines(text_chunks(file, encoding)):
            yield from line.splitlines()

    def rows() -> Iterator[Row]:
        for number, card_text in enumerate(_cards(_logical_lines(lines())), start=1):
            try:
                card = vobject.readOne(card_text)
                values = card_values(card)
            except Exception as exc:  # vobject raises its own ParseError and codec errors per card
                yield Row(number, error=_("This card cannot be read: %(error)s") % {"error": str(exc)[:200]})
                continue
            yield Row(number, values)

    return Table(VCARD_COLUMNS, rows(), encoding, format="vcard")


# ---------- Choosing a reader ----------

FORMATS = ("auto", "csv", "xlsx", "outlook", "google", "vcard")


def read(source: Source, filename: str = "", format: str = "auto", encoding: str = "", delimiter: str = "") -> Table:
    """The table in `source` (bytes, or a seekable binary file kept open while its rows are read);
    `format` "auto" decides by the file's first bytes (and name)."""
    file = _binary(source)
    name = (filename or "").lower()
    if format == "auto":
        head = _head(file, 4096)
        if head[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
            format = "xlsx"
        elif name.endswith((".vcf", ".vcard")) or b"BEGIN:VCARD" in head.upper().replace(b"\x00", b""):
            format = "vcard"
        else:
            format = "csv"
    if format == "xlsx":
        return read_xlsx(file)
    if format == "vcard":
        return read_vcard(file, encoding)
    return read_csv(file, encoding, delimiter)
