"""Readers: every format of the acceptance, read from test files of our own."""

import csv
import io

import openpyxl
import pytest

from vinculo.exchange import readers
from vinculo.exchange.mapping import suggest

from .helpers import fixture, rows_of


def test_outlook_english_csv_in_windows_1252_is_recognised_and_mapped():
    table = readers.read(fixture("outlook_en.csv"), "contacts.csv")
    assert (table.format, table.encoding, table.delimiter) == ("outlook", "cp1252", ",")
    rows = rows_of(table)
    assert rows[0][2]["First Name"] == "Pedro" and rows[0][2]["Last Name"] == "González"
    mapping = suggest(table.headers, "contacts")
    assert mapping["E-mail Address"] == "email" and mapping["Mobile Phone"] == "mobile"
    assert mapping["Job Title"] == "title" and "Title" not in mapping  # Outlook's "Title" is Mr./Mrs.


def test_outlook_spanish_csv_with_semicolons_is_recognised_and_mapped():
    table = readers.read(fixture("outlook_es.csv"), "contactos.csv")
    assert (table.format, table.delimiter) == ("outlook", ";")
    mapping = suggest(table.headers, "contacts")
    assert mapping == {
        "Nombre": "first_name", "Segundo nombre": "middle_name", "Apellidos": "last_name", "Compañía": "account",
        "Departamento": "department", "Puesto": "title", "Ciudad de trabajo": "city",
        "País o región del trabajo": "country", "Teléfono del trabajo": "phone", "Teléfono móvil": "mobile",
        "Dirección de correo electrónico": "email", "Notas": "description",
    }
    numbers = [number for number, _error, _values in rows_of(table)]
    assert numbers == [2, 3, 4, 6]  # the empty row 5 is not a row; the others keep their numbers


def test_google_csv_with_bom_turns_typed_phone_pairs_into_columns():
    data = fixture("google.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    table = readers.read(data, "google.csv")
    assert (table.format, table.encoding) == ("google", "utf-8-sig")
    first = rows_of(table)[0][2]
    assert first["E-mail"] == "javiera@castro.cl" and first["E-mail 2"] == "javi@gmail.com"
    assert first["Mobile Phone"] == "+56 9 5555 4444" and first["Business Phone"] == "+56 2 2345 6789"
    assert first["Organization Name"] == "Viña Los Andes SpA"


def test_vcard_2_1_quoted_printable_in_two_charsets_with_a_soft_break_continued_by_a_space():
    rows = rows_of(readers.read(fixture("vcard21.vcf"), "x.vcf"))
    jose = rows[0][2]
    assert (jose["First name"], jose["Last name"]) == ("José", "Núñez")
    assert jose["Organization"] == "Compañía Minera del Sur"  # ISO-8859-1 in a UTF-8 file
    assert jose["Note"] == "Reunión en la faena, luego en Santiago"
    # PREF decides the first e-mail, whatever the order in the card; CELL is the mobile.
    assert (jose["E-mail"], jose["E-mail 2"]) == ("jose@example.cl", "jnunez@example.com")
    assert (jose["Mobile"], jose["Phone"]) == ("+56987654321", "(2) 2345 6789")
    assert rows[1][2] == {"First name": "Inés", "Last name": "Peña", "Mobile": "(09) 8765-4321"}
    assert rows[2][2] == {"Organization": "Solo Empresa Ltda."}


def test_vcard_3_0_from_ios_with_item_groups_and_a_photo():
    rows = rows_of(readers.read(fixture("vcard30_ios.vcf"), "x.vcf"))
    camila = rows[0][2]
    assert camila["E-mail"] == "Camila@VinaLosAndes.cl" and camila["E-mail 2"] == "camila.rojas@gmail.com"
    assert camila["Mobile"] == "+56 9 7777 1234" and camila["Phone"] == "+56 2 2345 6789"
    assert (camila["Organization"], camila["Department"], camila["Job title"]) == (
        "Viña Los Andes SpA", "Ventas", "Jefa de ventas")
    assert (camila["City"], camila["Country"], camila["Photo"]) == ("Las Condes", "Chile", "1")
    assert rows[1][2]["Mobile"] == "+56 9 4321 8765"


def test_vcard_4_0_with_uri_phones_and_pref_numbers():
    rows = rows_of(readers.read(fixture("vcard40.vcf"), "x.vcf"))
    pablo = rows[0][2]
    assert pablo["E-mail"] == "pablo@iberia.es"  # PREF=1 though listed second
    assert pablo["Mobile"] == "tel:+34-612-345-678" and pablo["Phone"] == "tel:+34912345678"
    assert rows[1][2]["Mobile"] == "tel:0034-699-111-222"


def test_a_broken_card_is_a_row_with_an_error_and_the_next_cards_are_read():
    data = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Uno;Ana\r\nEND:VCARD\r\n"
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nthis line has no colon\r\nEND:VCARD\r\n"
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Tres;Eva\r\nEND:VCARD\r\n")
    rows = rows_of(readers.read(data, "x.vcf"))
    assert [(number, bool(error)) for number, error, _values in rows] == [(1, False), (2, True), (3, False)]
    assert rows[2][2]["Last name"] == "Tres"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_csv_encodings_are_detected(encoding):
    text = "Nombre;Apellidos;Ciudad\r\nJosé;Núñez;Concepción\r\nÑuño;Peña;Valparaíso\r\n"
    table = readers.read(text.encode(encoding), "x.csv")
    assert rows_of(table)[1][2] == {"Nombre": "Ñuño", "Apellidos": "Peña", "Ciudad": "Valparaíso"}


def test_the_encoding_and_delimiter_can_be_overridden():
    data = "a|b\r\nJosé|1\r\n".encode("cp1252")
    table = readers.read(data, "x.csv", encoding="latin-1", delimiter="|")
    assert (table.encoding, table.delimiter) == ("latin-1", "|")
    assert rows_of(table)[0][2] == {"a": "José", "b": "1"}
    with pytest.raises(readers.UnreadableFile):
        readers.read(data, "x.csv", encoding="no-such-encoding")
    with pytest.raises(readers.UnreadableFile):  # codecs.lookup raises ValueError, not LookupError, here
        readers.read(data, "x.csv", encoding="utf\x00-8")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(delimiter):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([["Nombre", "Correo"], ["Ana, María", "ana@x.cl"]])
    table = readers.read(buffer.getvalue().encode(), "x.csv")
    assert table.delimiter == delimiter
    assert rows_of(table)[0][2] == {"Nombre": "Ana, María", "Correo": "ana@x.cl"}


def test_a_row_longer_than_its_header_is_an_error_of_that_row_only():
    rows = rows_of(readers.read(b"a,b\n1,2\n1,2,3\n4,5\n", "x.csv"))
    assert [(number, bool(error)) for number, error, _values in rows] == [(2, False), (3, True), (4, False)]


def test_duplicate_and_empty_headers_are_kept_apart():
    table = readers.read(b"Email,,Email\nx@y.cl,1,z@y.cl\n", "x.csv")
    assert table.headers == ["Email", "Column 2", "Email (2)"]


def test_xlsx_reads_the_first_sheet_with_typed_cells_and_formulas_as_text():
    import datetime

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Nombre", "Empleados", "Fecha", "Nota"])
    sheet.append(["Minera Atacama SpA", 120, datetime.date(2024, 3, 1), "=1+1"])
    sheet.append([None, None, None, None])
    sheet.append(["Viña Sur", 3.5, None, "ok"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = rows_of(readers.read(buffer.getvalue(), "cuentas.xlsx"))
    assert rows == [
        (2, "", {"Nombre": "Minera Atacama SpA", "Empleados": "120", "Fecha": "2024-03-01", "Nota": "=1+1"}),
        (4, "", {"Nombre": "Viña Sur", "Empleados": "3.5", "Nota": "ok"}),
    ]


def test_a_damaged_xlsx_or_an_empty_file_is_a_clear_error():
    with pytest.raises(readers.UnreadableFile, match="XLSX"):
        readers.read(b"PK\x03\x04 not really a zip", "x.xlsx")
    with pytest.raises(readers.UnreadableFile, match="empty"):
        readers.read(b"", "x.csv")
