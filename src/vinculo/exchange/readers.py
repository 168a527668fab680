"""Reading an uploaded file into rows: CSV (any delimiter and encoding), XLSX and vCard (2.1, 3.0, 4.0).

Every reader gives a `Table`: the column headers and the rows, each a mapping of header to text with its
row number. A row the reader cannot make sense of (a broken card, a field past the size limit) is a row
with an `error`, so one bad row never stops the rest; a file that cannot be read at all raises
`UnreadableFile` with a message for the user. Outlook and Google Contacts CSV are CSV files whose
headers the column mapping recognises (Google's numbered "Phone 1 - Type/Value" pairs are turned into
plain columns first)."""

import codecs
import csv
import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import charset_normalizer
from django.utils.translation import gettext as _

# The largest cell a CSV row may carry (a 1 MB note is read, a larger field rejects its row).
MAX_FIELD = 2 * 1024 * 1024
DELIMITERS = ",;\t|"


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


# ---------- Text: encodings ----------

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(data: bytes) -> str:
    """The encoding of `data`: its byte-order mark, else UTF-8 when it decodes as such, else what
    charset-normalizer finds; Windows-1252 (Latin-1's superset, what Excel and Outlook write) otherwise."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    if best is not None and best.encoding in {"utf_16", "utf_16_le", "utf_16_be"}:
        return best.encoding.replace("_", "-")
    # Most 8-bit files here are Spanish from Windows; charset-normalizer's guesses between the Latin
    # code pages are decided by the few accented letters, so cp1252 is the safer reading.
    return "cp1252"


def decode(data: bytes, encoding: str = "") -> tuple[str, str]:
    """`data` as text and the encoding used: `encoding` when given (the user's override), else detected.
    Bytes the encoding cannot read become U+FFFD rather than failing the file."""
    encoding = encoding or detect_encoding(data)
    try:
        codecs.lookup(encoding)
    except (LookupError, ValueError) as exc:
        raise UnreadableFile(_("Unknown encoding “%(name)s”.") % {"name": encoding}) from exc
    text = data.decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\x00", ""), encoding


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


def read_csv(data: bytes, encoding: str = "", delimiter: str = "") -> Table:
    text, encoding = decode(data, encoding)
    delimiter = delimiter or sniff_delimiter(text[:50_000])
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
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


def read_xlsx(data: bytes) -> Table:
    import openpyxl

    try:
        # Formulas are read as their text (=SUM(…)): imported as text and flagged, never evaluated.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
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


def _join_soft_breaks(text: str) -> str:
    """Logical lines: vCard 2.1 quoted-printable values end a line with "=" to continue on the next one,
    which may start with a space that belongs to the value (so it is not a fold); other lines starting
    with a space or tab are folds."""
    joined: list[str] = []
    continuing = False
    for line in text.splitlines():
        if continuing:
            joined[-1] = joined[-1][:-1] + line
        elif line[:1] in (" ", "\t") and joined:
            joined[-1] += line[1:]  # a folded line (RFC 6350 3.2), unfolded here so commas are seen whole
        else:
            joined.append(line)
        head = joined[-1].split(":", 1)[0].upper()
        continuing = "QUOTED-PRINTABLE" in head and joined[-1].endswith("=")
    return "\r\n".join(joined) + "\r\n"


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


def _cards(text: str) -> Iterator[str]:
    card: list[str] | None = None
    for line in text.splitlines():
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


def read_vcard(data: bytes, encoding: str = "") -> Table:
    import vobject

    text, encoding = decode(data, encoding)
    if "BEGIN:VCARD" not in text.upper():
        raise UnreadableFile(_("No vCard was found in the file."))
    text = _join_soft_breaks(text)

    def rows() -> Iterator[Row]:
        for number, card_text in enumerate(_cards(text), start=1):
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


def read(data: bytes, filename: str = "", format: str = "auto", encoding: str = "", delimiter: str = "") -> Table:
    """The table in `data`; `format` "auto" decides by the file's content (and name)."""
    name = (filename or "").lower()
    if format == "auto":
        if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
            format = "xlsx"
        elif name.endswith((".vcf", ".vcard")) or b"BEGIN:VCARD" in data[:4096].upper().replace(b"\x00", b""):
            format = "vcard"
        else:
            format = "csv"
    if format == "xlsx":
        return read_xlsx(data)
    if format == "vcard":
        return read_vcard(data, encoding)
    return read_csv(data, encoding, delimiter)
