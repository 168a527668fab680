from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def rows_of(table) -> list[tuple[int, str, dict]]:
    """(number, error, the non-empty values) of each row of a table."""
    return [(row.number, row.error, {key: value for key, value in row.values.items() if value})
            for row in table.rows]
