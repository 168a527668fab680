from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def rows_of(table) -> list[tuple[int, str, dict]]:
    """(number, error, the non-empty values) of each row of a table."""
    return [(row.number, row.error, {key: value for key, value in row.values.items() if value})
            for row in table.rows]


def counts(job) -> dict:
    """The job's counts, as the result page and the API give them."""
    return {name: getattr(job, name) for name in ("total", "processed", "created", "updated", "skipped",
                                                    "rejected", "flagged")}


def outcomes(job) -> list[tuple[int, str]]:
    return list(job.rows.order_by("number").values_list("number", "outcome"))


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8", errors: str = "strict") -> bytes:
    import csv
    import io

    # Python 3.10's csv writer refuses a NUL in a field ("need to escape"): written as a stand-in, then put back.
    stand_in = "\ue000"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(
        [[str(cell).replace("\x00", stand_in) for cell in row] for row in rows])
    return buffer.getvalue().replace(stand_in, "\x00").encode(encoding, errors)


def export_links(html: str) -> dict[str, str]:
    """A list page's export links, by format."""
    import re
    from html import unescape
    from urllib.parse import urlsplit

    links = {}
    for href in re.findall(r'href="([^"]*/export/[a-z_]+\.[a-z]+\?[^"]*)"', html):
        href = unescape(href)
        links[urlsplit(href).path.rsplit(".", 1)[1]] = href
    return links


def csv_rows(response) -> list[list[str]]:
    """The rows of a streamed CSV export."""
    import csv
    import io

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(response) -> list[list]:
    """The cell values of a streamed XLSX export's sheet, as openpyxl reads them."""
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]

