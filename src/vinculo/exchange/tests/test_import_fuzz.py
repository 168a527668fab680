"""Fuzzed files through the whole import: no crash, every row accounted for, a reason for each rejection."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import csv_bytes

pytestmark = pytest.mark.django_db

cell = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["=cmd|' /C calc'!A0", "+56 9 8765 4321", "-1", "@SUM(1)", "a@b.cl", "(09) 8765-4321",
                     "76.123.456-0", "Chile", "España", "x" * 300]),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cell, min_size=5, max_size=7), min_size=1, max_size=12),
       kind=st.sampled_from(["contacts", "accounts", "leads"]),
       encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_fuzzed_rows_are_each_imported_skipped_or_rejected_with_a_reason(org, run_import, rows, kind, encoding):
    header = {"contacts": ["Nombre", "Apellidos", "Correo", "Móvil", "Empresa"],
              "accounts": ["Razón social", "RUT", "País", "Teléfono", "Sitio web"],
              "leads": ["Nombre", "Apellido", "Correo", "Teléfono", "Empresa"]}[kind]
    data = csv_bytes([header, *rows], delimiter=";", encoding=encoding, errors="replace")
    job = run_import(org.vendedor_norte, "f.csv", data, kind=kind, on_duplicate="overwrite")
    assert job.status == "done", job.error
    assert job.processed == job.total == job.created + job.updated + job.skipped + job.rejected
    assert job.rows.count() == job.processed
    assert not job.rows.filter(outcome="rejected", message="").exists()


def test_a_file_that_is_not_one_fails_the_job_with_a_clear_error(org, run_import):
    job = run_import(org.vendedor_norte, "x.xlsx", b"PK\x03\x04garbage")
    assert (job.status, job.error, job.processed) == ("failed", "This is not a readable XLSX workbook.", 0)
