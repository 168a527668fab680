"""Whatever the bytes, a reader gives rows (some with an error) or a clear UnreadableFile, never a crash."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vinculo.exchange import readers

FUZZ = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)


def read_all(data: bytes, name: str, **options) -> list:
    try:
        table = readers.read(data, name, **options)
    except readers.UnreadableFile as exc:
        assert str(exc)
        return []
    rows = list(table.rows)
    for row in rows:
        assert isinstance(row.values, dict) and all(isinstance(value, str) for value in row.values.values())
        assert row.error == "" or isinstance(row.error, str)
    return rows


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["x.csv", "x.xlsx", "x.vcf", "x"]))
def test_random_bytes_never_crash_a_reader(data, name):
    read_all(data, name)


cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@FUZZ
@given(st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=8),
       st.sampled_from([",", ";", "\t"]), st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1"]),
       st.sampled_from(["", "utf-8", "cp1252"]))
def test_broken_quoting_and_wrong_encodings_give_rows_or_row_errors(table, delimiter, encoding, told):
    lines = [delimiter.join(row) for row in table]
    # Unbalanced quotes on purpose: some rows start a quoted field they never close.
    text = "\r\n".join(line if index % 3 else f'"{line}' for index, line in enumerate(lines))
    data = text.encode(encoding, errors="replace")
    read_all(data, "x.csv", encoding=told)


def test_a_1_mb_field_is_read_and_a_larger_one_rejects_its_row_only():
    big = "x" * 1_000_000
    rows = read_all(f"a,b\n{big},1\n".encode(), "x.csv")
    assert rows[0].values["a"] == big and not rows[0].error
    too_big = "y" * (readers.MAX_FIELD + 10)
    rows = read_all(f'a,b\n"{too_big}",1\nok,2\n'.encode(), "x.csv")
    assert rows[0].error and "cannot be read" in rows[0].error


@FUZZ
@given(st.lists(st.sampled_from(["BEGIN:VCARD", "END:VCARD", "VERSION:2.1", "VERSION:4.0", "N:A;B",
                                 "FN:=C3=", "TEL;CELL:123", "EMAIL;PREF=x:a@b", "ORG;ENCODING=QUOTED-PRINTABLE:=",
                                 " folded", "item1.TEL;type=CELL:+56", "PHOTO;ENCODING=b:@@@", ":", ";;;"]),
                max_size=25))
def test_scrambled_vcards_give_rows_or_row_errors(lines):
    read_all("\r\n".join(["BEGIN:VCARD", *lines]).encode(), "x.vcf")
