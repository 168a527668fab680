"""The XLSX writer (`exchange.xlsx`) on its own: the package's parts, text that round-trips through openpyxl
exactly as `clean_text` documents it, typed cells and their formats, bold total rows."""

import datetime
import io
import zipfile
import zoneinfo
from decimal import Decimal
from xml.etree import ElementTree

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from vinculo.exchange import xlsx
from vinculo.exchange.rules import neutralise

FUZZ = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)


def write(rows, kinds=None, headers=None, currency_columns=None, title="Datos") -> bytes:
    out = io.BytesIO()
    book = xlsx.Book(out)
    width = len(kinds) if kinds else len(rows[0]) if rows else 1
    sheet = book.sheet(title, headers or [f"H{n}" for n in range(width)], kinds, currency_columns)
    sheet.extend(rows)
    sheet.finish()
    book.close()
    return out.getvalue()


def read(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


TEXT = st.text(alphabet=st.one_of(
    st.characters(),  # any code point but lone surrogates, control characters included
    st.sampled_from(list("<>&\"'=+-@\t\r\n \x00\x01\x0b\x1f\ufffe\uffff\ud800😀\U0010ffff")),
), max_size=60)


@FUZZ
@given(st.lists(TEXT, min_size=1, max_size=4))
def test_text_round_trips_through_openpyxl_as_cleaned(texts):
    values = [neutralise(text) for text in texts]
    sheet = read(write([values], [xlsx.TEXT] * len(values)))
    for cell, value in zip(sheet[2], values, strict=True):
        expected = xlsx.clean_text(value)
        assert cell.value == (expected or None)
        if expected:
            assert cell.data_type == "s"


@FUZZ
@given(st.text(alphabet=st.sampled_from(["a", "😀", "\x00", "<", "\r"]), min_size=1, max_size=30),
       st.integers(min_value=16_000, max_value=40_000))
def test_long_text_is_cut_at_excels_limit_in_utf16_units(pattern, length):
    text = (pattern * (length // len(pattern) + 1))[:length]
    cell = read(write([[text]], [xlsx.TEXT]))["A2"]
    expected = xlsx.clean_text(text)
    assert (cell.value or "") == expected
    assert text.replace("\x00", "").startswith(expected)
    assert len(expected.encode("utf-16-le")) <= 2 * xlsx.MAX_TEXT


def test_clean_text_rule_by_hand():
    assert xlsx.clean_text("a\x00b\x08c\x0bd\x1fe\tf\ng\rh\ud800i\ufffe") == "abcde\tf\ng\rhi"
    assert xlsx.clean_text("a" * 40_000) == "a" * 32_767
    # An emoji is two UTF-16 units: 16,383 of them fill 32,766; the next one would be cut in half, so goes.
    assert xlsx.clean_text("😀" * 20_000) == "😀" * 16_383
    assert xlsx.clean_text("a" + "😀" * 20_000) == "a" + "😀" * 16_383


def test_formula_looking_text_stays_text():
    sheet = read(write([[neutralise("=1+1"), neutralise("+56 9"), neutralise("-2"), neutralise("@SUM(A1)"),
                         "007"]], [xlsx.TEXT] * 5))
    assert [(cell.value, cell.data_type) for cell in sheet[2]] == [
        ("'=1+1", "s"), ("'+56 9", "s"), ("'-2", "s"), ("'@SUM(A1)", "s"), ("007", "s")]


def test_typed_cells_formats_frozen_header_and_autofilter():
    rows = [
        ["Norte", Decimal("1500000"), "CLP", datetime.date(2026, 6, 30), datetime.datetime(2026, 1, 2, 3, 4, 5), 7, True],
        ["Sur", Decimal("1234.50"), "USD", None, "", 2.5, False],
        [None, (Decimal("9.99"), "EUR"), None, datetime.date(1900, 3, 1), None, None, None],
    ]
    kinds = [xlsx.TEXT, xlsx.MONEY, xlsx.TEXT, xlsx.DATE, xlsx.DATETIME, xlsx.NUMBER, xlsx.BOOL]
    sheet = read(write(rows, kinds, currency_columns={1: 2}))
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G4"
    assert all(cell.font.b for cell in sheet[1]) and not any(cell.font.b for cell in sheet[2])
    first, second, third = sheet[2], sheet[3], sheet[4]
    assert (first[1].value, first[1].number_format) == (1500000, '#,##0 "CLP"')
    assert (second[1].value, second[1].number_format) == (1234.5, '#,##0.00 "USD"')
    assert (third[1].value, third[1].number_format) == (9.99, '#,##0.00 "EUR"')
    assert (first[3].value, first[3].number_format) == (datetime.datetime(2026, 6, 30), "dd-mm-yyyy")
    assert (first[4].value, first[4].number_format) == (datetime.datetime(2026, 1, 2, 3, 4, 5), "dd-mm-yyyy hh:mm")
    # Day 61 of Excel's count (past its phantom 29-02-1900).
    assert third[3].value == datetime.datetime(1900, 3, 1)
    assert (first[5].value, second[5].value) == (7, 2.5)
    assert (first[6].value, second[6].value) == (True, False)
    assert second[3].value is None and second[4].value is None and third[0].value is None


def test_plain_rows_in_bold_keep_their_formats_and_several_sheets():
    out = io.BytesIO()
    book = xlsx.Book(out)
    rows = book.sheet("Filas: [uno]", ["A", "B"])
    rows.append_plain(["x", 1])
    rows.finish()
    groups = book.sheet("Grupos", ["Grupo", "Cantidad", "Fecha", "Monto"])
    groups.append_plain(["Norte", 2, datetime.date(2026, 1, 1), Decimal("10.5")])
    groups.append_plain(["Total", 3, datetime.date(2026, 2, 1), Decimal("11")], bold=True)
    groups.finish()
    book.close()
    workbook = load_workbook(io.BytesIO(out.getvalue()))
    assert workbook.sheetnames == ["Filas   uno", "Grupos"]
    sheet = workbook["Grupos"]
    assert sheet.auto_filter.ref == "A1:D3" and sheet.freeze_panes == "A2"
    assert [cell.font.b for cell in sheet[2]] == [False] * 4 and [cell.font.b for cell in sheet[3]] == [True] * 4
    assert [cell.value for cell in sheet[3]] == ["Total", 3, datetime.datetime(2026, 2, 1), 11]
    assert sheet["C3"].number_format == "dd-mm-yyyy"


def test_package_parts_are_well_formed_xml():
    data = write([["a", 1]], [xlsx.TEXT, xlsx.NUMBER], title="Oportunidades & más")
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        names = set(package.namelist())
        assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                "xl/styles.xml", "xl/worksheets/sheet1.xml"} <= names
        parts = {name: ElementTree.fromstring(package.read(name)) for name in names}
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    defined = parts["xl/workbook.xml"].find(f"{main}definedNames/{main}definedName")
    assert defined.attrib == {"name": "_xlnm._FilterDatabase", "localSheetId": "0", "hidden": "1"}
    assert defined.text == "'Oportunidades & más'!$A$1:$B$2"
    pane = parts["xl/worksheets/sheet1.xml"].find(f"{main}sheetViews/{main}sheetView/{main}pane")
    assert pane.attrib["ySplit"] == "1" and pane.attrib["topLeftCell"] == "A2" and pane.attrib["state"] == "frozen"


def test_column_letters():
    assert [xlsx.column_letter(n) for n in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_dates_around_excels_1900_count_and_before_it():
    zone = datetime.timezone(datetime.timedelta(hours=-4))
    rows = [[datetime.date(1900, 1, 1)], [datetime.date(1900, 2, 28)], [datetime.date(1900, 3, 1)],
            [datetime.date(1899, 12, 31)], [datetime.datetime(2026, 5, 4, 10, 30, tzinfo=zone)]]
    data = write(rows, [xlsx.DATE])
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        sheet_xml = package.read("xl/worksheets/sheet1.xml").decode()
    # Excel's own day numbers: 1 for 01-01-1900, 59 for 28-02-1900, 61 for 01-03-1900 (60 is its 29-02-1900).
    assert '<v>1</v>' in sheet_xml and '<v>59</v>' in sheet_xml and '<v>61</v>' in sheet_xml
    sheet = read(data)
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [
        datetime.datetime(1900, 1, 1), datetime.datetime(1900, 2, 28), datetime.datetime(1900, 3, 1),
        "1899-12-31", datetime.datetime(2026, 5, 4, 10, 30)]
    assert sheet["E1"].value is None and sheet["A6"].number_format == "dd-mm-yyyy hh:mm"


XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def sheet_cells(data: bytes) -> dict:
    """Each written cell's <t> element of the first sheet, by reference."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        root = ElementTree.fromstring(package.read("xl/worksheets/sheet1.xml"))
    return {cell.get("r"): cell.find(f"{MAIN}is/{MAIN}t") for cell in root.iter(f"{MAIN}c")}


@FUZZ
@given(st.lists(TEXT, min_size=1, max_size=12))
def test_a_text_column_written_a_chunk_at_a_time_round_trips_as_cleaned(texts):
    """Many rows of one text column go through one chunk: the chunk-wide checks (escaping, cleaning, white
    space) must give each cell what a cell written alone gets."""
    values = [neutralise(text) for text in texts]
    data = write([[value] for value in values], [xlsx.TEXT])
    sheet, cells = read(data), sheet_cells(data)
    for number, value in enumerate(values, 2):
        expected = xlsx.clean_text(value)
        assert sheet[f"A{number}"].value == (expected or None)
        if expected and (expected[0] in " \t\n\r" or expected[-1] in " \t\n\r"):
            assert cells[f"A{number}"].get(XML_SPACE) == "preserve"


def test_white_space_at_either_end_is_preserved_and_a_chunk_without_any_has_no_attribute():
    data = write([[" antes"], ["después "], ["en medio"], ["\tTab"], ["simple"]], [xlsx.TEXT])
    cells = sheet_cells(data)
    assert [cells[f"A{n}"].get(XML_SPACE) for n in (2, 3, 5)] == ["preserve"] * 3
    assert [row[0].value for row in read(data).iter_rows(min_row=2)] == [" antes", "después ", "en medio", "\tTab",
                                                                          "simple"]
    plain = sheet_cells(write([["uno"], ["dos tres"]], [xlsx.TEXT]))
    assert plain["A2"].get(XML_SPACE) is None and plain["A3"].get(XML_SPACE) is None


def test_one_odd_value_in_a_chunk_leaves_the_others_as_they_are():
    long = "x" * 40_000
    rows = [["Norte"], ["a & b <c>"], ["con\x01control"], [0], [None], [""], [5], [long], [Decimal("2.5")],
            ["=1+1"]]
    sheet = read(write(rows, [xlsx.TEXT]))
    values = [(row[0].value, row[0].data_type) for row in sheet.iter_rows(min_row=2, max_row=11)]
    assert values == [("Norte", "s"), ("a & b <c>", "s"), ("concontrol", "s"), (0, "n"), (None, "n"),
                      (None, "n"), (5, "n"), ("x" * 32_767, "s"), (2.5, "n"), ("=1+1", "s")]


def test_rows_in_several_chunks_keep_their_order_numbers_and_progress(monkeypatch):
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 3)
    monkeypatch.setattr(xlsx, "PROGRESS_EVERY", 2)
    out, seen = io.BytesIO(), []
    book = xlsx.Book(out)
    sheet = book.sheet("Datos", ["Nombre", "Monto", "Fecha"], [xlsx.TEXT, xlsx.MONEY, xlsx.DATE])
    sheet.append_plain(["antes", 1])
    written = sheet.extend(([f"fila {n}", (Decimal(n), "CLP"), datetime.date(2026, 1, n)] for n in range(1, 8)),
                           seen.append)
    sheet.append(["después", None, None])
    sheet.finish()
    book.close()
    assert written == 7 and seen == [2, 4, 6, 7]
    rows = list(read(out.getvalue()).iter_rows(min_row=2, values_only=True))
    assert rows == [("antes", 1, None)] + [(f"fila {n}", n, datetime.datetime(2026, 1, n)) for n in range(1, 8)] + [
        ("después", None, None)]
    assert read(out.getvalue()).auto_filter.ref == "A1:C10"


def test_short_rows_leave_their_missing_cells_empty():
    sheet = read(write([["a", 1, datetime.date(2026, 3, 1)], ["b"], ["c", 2]], [xlsx.TEXT, xlsx.NUMBER, xlsx.DATE]))
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        ("a", 1, datetime.datetime(2026, 3, 1)), ("b", None, None), ("c", 2, None)]


def test_datetimes_of_a_chunk_show_their_own_wall_clock_time_whatever_their_zone():
    santiago = zoneinfo.ZoneInfo("America/Santiago")
    madrid = zoneinfo.ZoneInfo("Europe/Madrid")
    rows = [[datetime.datetime(2026, 1, 2, 12, 30, tzinfo=santiago)],
            [datetime.datetime(2026, 7, 2, 8, 15, tzinfo=santiago)],  # winter time there: another offset, same zone
            [datetime.datetime(2026, 1, 2, 23, 59, 59, tzinfo=madrid)],
            [datetime.datetime(2026, 1, 3, 6, 0)],
            [datetime.date(2026, 1, 4)],
            [datetime.datetime(1900, 1, 1, 6, 0, tzinfo=santiago)],
            [None]]
    sheet = read(write(rows, [xlsx.DATETIME]))
    assert [row[0].value for row in sheet.iter_rows(min_row=2, max_row=8)] == [
        datetime.datetime(2026, 1, 2, 12, 30), datetime.datetime(2026, 7, 2, 8, 15),
        datetime.datetime(2026, 1, 2, 23, 59, 59), datetime.datetime(2026, 1, 3, 6, 0),
        datetime.datetime(2026, 1, 4), datetime.datetime(1900, 1, 1, 6, 0), None]
    assert sheet["A2"].number_format == "dd-mm-yyyy hh:mm"
