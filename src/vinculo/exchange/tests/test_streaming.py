"""An import reads its file as a stream: a bounded chunk at a time, never whole, from the upload to the
last row, with the same rows whatever the chunks' size."""

import codecs
import io
import tracemalloc

import pytest
from django.core.files.uploadedfile import UploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vinculo.exchange import readers
from vinculo.exchange.forms import UploadForm
from vinculo.exchange.models import ImportJob

from .helpers import rows_of

# The largest read a reader may ask for: far below the files below, so that reading one whole fails.
LARGEST_READ = 256 * 1024


class Guarded(io.RawIOBase):
    """A binary file that fails a read giving more than LARGEST_READ bytes (the rest of the file, read
    whole), and counts the bytes read."""

    def __init__(self, data: bytes):
        self.inner = io.BytesIO(data)
        self.bytes_read = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def read(self, size=-1):
        data = self.inner.read(size)
        # zipfile reads its end record with read() after seeking close to the end: a read of the rest is
        # refused only where the rest is large.
        assert len(data) <= LARGEST_READ, f"read({size}) gave {len(data)} bytes"
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def seek(self, offset, whence=io.SEEK_SET):
        return self.inner.seek(offset, whence)

    def tell(self):
        return self.inner.tell()


def people_csv(rows: int, last: str = "Ana;Soto;Santiago", city: str = "Valparaíso") -> str:
    lines = ["Nombre;Apellidos;Ciudad"] + [f"Nombre{n};Apellido{n};{city}" for n in range(rows)] + [last]
    return "\r\n".join(lines) + "\r\n"


def test_a_csv_is_read_a_chunk_at_a_time_never_whole():
    data = people_csv(60_000).encode()  # 2 MB
    assert len(data) > 4 * LARGEST_READ
    file = Guarded(data)
    table = readers.read(file, "x.csv")
    assert table.encoding == "utf-8" and sum(1 for _row in table.rows) == 60_001


def test_the_first_rows_read_the_start_of_the_file_only_when_the_encoding_is_given():
    data = people_csv(60_000).encode()
    file = Guarded(data)
    table = readers.read(file, "x.csv", encoding="utf-8")
    first = [row.values for _number, row in zip(range(10), table.rows, strict=False)]
    assert first[9] == {"Nombre": "Nombre9", "Apellidos": "Apellido9", "Ciudad": "Valparaíso"}
    assert file.bytes_read < len(data) // 10


def test_reading_a_4_mb_csv_holds_a_small_part_of_it_in_memory():
    data = people_csv(120_000).encode()
    assert len(data) > 4_000_000
    file = io.BytesIO(data)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        count = sum(1 for _row in readers.read(file, "x.csv").rows)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 120_001
    assert peak < 1_000_000, peak  # under a quarter of the file: its text whole would be over 4 MB


def test_a_windows_1252_letter_on_the_last_row_of_a_large_file_decides_its_encoding():
    data = people_csv(60_000, last="José;Núñez;Concepción", city="Talca").encode("cp1252")
    assert data[:-40].decode("utf-8")  # everything before the last row is valid UTF-8 too
    table = readers.read(Guarded(data), "x.csv")
    assert table.encoding == "cp1252"
    assert list(table.rows)[-1].values == {"Nombre": "José", "Apellidos": "Núñez", "Ciudad": "Concepción"}


def test_utf_16_without_a_byte_order_mark_is_detected_and_read():
    text = "Nombre;Apellidos;Ciudad\r\n" + "".join(f"José{n};Núñez;Concepción\r\n" for n in range(3000))
    table = readers.read(Guarded(text.encode("utf-16-le")), "x.csv")
    assert table.encoding == "utf-16-le"
    rows = list(table.rows)
    assert len(rows) == 3000 and rows[-1].values == {"Nombre": "José2999", "Apellidos": "Núñez",
                                                     "Ciudad": "Concepción"}
    # Told "utf-16", a file without the mark is read as bytes.decode reads it (little-endian here).
    told = readers.read(text.encode("utf-16-le"), "x.csv", encoding="utf-16")
    assert next(told.rows).values["Nombre"] == "José0"


def test_a_codec_that_cannot_read_text_is_a_clear_error():
    for encoding in ("base64", "rot13", "idna"):
        with pytest.raises(readers.UnreadableFile, match="encoding"):
            readers.read(b"a,b\n1,2\n", "x.csv", encoding=encoding)


def test_vcards_are_read_card_by_card():
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Núñez;José\r\nFN:José Núñez\r\nEMAIL:jose{n}@x.cl\r\nEND:VCARD\r\n"
    data = "".join(card.format(n=n) for n in range(12_000)).encode()
    assert len(data) > 4 * LARGEST_READ
    rows = list(readers.read(Guarded(data), "x.vcf").rows)
    assert len(rows) == 12_000 and rows[-1].values["E-mail"] == "jose11999@x.cl"


def test_an_xlsx_is_read_from_the_file_not_from_its_bytes_whole():
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Nombre", "Correo"])
    for n in range(20_000):
        sheet.append([f"Nombre{n}", f"persona{n}@x.cl"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = list(readers.read(Guarded(buffer.getvalue()), "x.xlsx").rows)
    assert len(rows) == 20_000 and rows[-1].values == {"Nombre": "Nombre19999", "Correo": "persona19999@x.cl"}


lines = st.lists(st.text(alphabet="aé;,\"\r\n\x00\u2028€ñ", max_size=12), min_size=1, max_size=12)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lines, st.sampled_from(["\r\n", "\n", "\r"]), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
       st.integers(1, 9), st.sampled_from(["x.csv", "x.vcf"]))
def test_the_rows_do_not_depend_on_where_the_chunks_cut_the_file(monkeypatch_chunk, parts, end, encoding, size,
                                                                  name):
    text = end.join(parts)
    if name == "x.vcf":
        text = f"BEGIN:VCARD{end}VERSION:3.0{end}N:{text}{end}END:VCARD{end}" * 2
    data = text.encode(encoding, errors="replace")

    def rows(chunk: int):
        monkeypatch_chunk(chunk)
        try:
            table = readers.read(data, name)
        except readers.UnreadableFile as exc:
            return str(exc)
        return table.headers, table.encoding, table.delimiter, rows_of(table)

    assert rows(size) == rows(readers.CHUNK)


@pytest.fixture
def monkeypatch_chunk():
    saved = readers.CHUNK

    def set_chunk(size):
        readers.CHUNK = size

    yield set_chunk
    readers.CHUNK = saved


def _chunked_text(data: bytes, encoding: str) -> str:
    return "".join(readers.text_chunks(io.BytesIO(data), encoding))


def test_a_character_cut_by_a_chunk_is_decoded_whole(monkeypatch):
    monkeypatch.setattr(readers, "CHUNK", 1)
    assert _chunked_text("\ufeffJosé €\x00".encode(), "utf-8") == "José €"
    assert _chunked_text(codecs.BOM_UTF16_LE + "Ñuño".encode("utf-16-le") + b"\x00", "utf-16") == "Ñuño\ufffd"


@pytest.mark.django_db
def test_an_upload_is_checked_and_stored_then_imported_without_being_read_whole(org, monkeypatch, settings,
                                                                               tmp_path):
    from vinculo.exchange import importing

    data = ("Nombre,Apellidos,Correo\r\n" + "".join(f"Ana{n},Soto{n},ana{n}@x.cl\r\n" for n in range(20_000))).encode()
    assert len(data) > 2 * LARGEST_READ
    upload = UploadedFile(Guarded(data), name="personas.csv", content_type="text/csv", size=len(data))
    form = UploadForm({"kind": "contacts", "format": "auto", "on_duplicate": "skip"}, {"file": upload})
    assert form.is_valid(), form.errors
    assert form.headers == ["Nombre", "Apellidos", "Correo"]
    job = form.save(commit=False)
    job.user, job.filename, job.status = org.vendedor_norte, "personas.csv", ImportJob.Status.QUEUED
    job.save()
    with job.file.open("rb") as stored:
        assert stored.read() == data

    storage = job.file.storage
    opened = []

    def guarded_open(name, mode="rb"):
        with storage.__class__.open(storage, name, mode) as file:
            opened.append(Guarded(file.read()))
        return opened[-1]

    monkeypatch.setattr(storage, "open", guarded_open)
    job = importing.run(job)
    assert (job.status, job.total, job.created) == ("done", 20_000, 20_000), job.error
    assert opened and all(file.bytes_read for file in opened)
