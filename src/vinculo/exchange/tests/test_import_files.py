"""Each test file of the acceptance imports with the counts worked out by hand from its rows."""

import pytest

from vinculo.contacts.models import Contact

from .helpers import counts, fixture, outcomes

pytestmark = pytest.mark.django_db


def test_english_outlook_csv(org, run_import):
    job = run_import(org.vendedor_norte, "outlook_en.csv", fixture("outlook_en.csv"))
    # 2 Pedro (e-mail), 3 María José (old mobile notation), 4 another Pedro González (other e-mail: never
    # merged), 5 a company without a person, 6 an invalid e-mail and no phone, 7 row 2 again.
    assert outcomes(job) == [(2, "created"), (3, "created"), (4, "created"), (5, "rejected"), (6, "rejected"),
                             (7, "skipped")]
    assert counts(job) == {"total": 6, "processed": 6, "created": 3, "updated": 0, "skipped": 1, "rejected": 2,
                           "flagged": 0}
    pedro = Contact.objects.get(email="pedro.gonzalez@mineranorte.cl")
    assert (pedro.account, pedro.mobile, pedro.phone, pedro.country) == (
        org.north_account, "+56991234567", "+56552263000", "CL")
    assert Contact.objects.get(last_name="Soto").mobile == "+56987654321"
    assert Contact.objects.filter(first_name="Pedro", last_name="González").count() == 2
    reasons = dict(job.rows.filter(outcome="rejected").values_list("number", "message"))
    assert reasons == {5: "The row names a company but no person.",
                       6: "“not-an-email” is not a valid e-mail and the row has no phone."}


def test_reimporting_the_same_file_changes_nothing(org, run_import):
    run_import(org.vendedor_norte, "outlook_en.csv", fixture("outlook_en.csv"))
    before = list(Contact.objects.values().order_by("pk"))
    for on_duplicate in ("skip", "fill_empty", "overwrite"):
        again = run_import(org.vendedor_norte, "outlook_en.csv", fixture("outlook_en.csv"), on_duplicate=on_duplicate)
        assert (again.created, again.updated, again.skipped, again.rejected) == (0, 0, 4, 2)
    assert list(Contact.objects.values().order_by("pk")) == before


def test_spanish_outlook_csv_flags_a_formula_cell_and_keeps_it_as_text(org, run_import):
    job = run_import(org.vendedor_norte, "outlook_es.csv", fixture("outlook_es.csv"))
    assert outcomes(job) == [(2, "created"), (3, "created"), (4, "rejected"), (6, "created")]
    assert (job.created, job.rejected, job.flagged) == (3, 1, 1)
    sofia = Contact.objects.get(email="sofia.araya@ejemplo.cl")
    assert sofia.title == '=HYPERLINK("http://x")'
    assert job.rows.get(number=6).flagged
    assert Contact.objects.get(last_name="Muñoz").mobile == "+56965432109"
    assert Contact.objects.get(last_name="Núñez").city == "Concepción"


def test_google_csv_with_bom(org, run_import):
    job = run_import(org.vendedor_norte, "google.csv", fixture("google.csv"))
    assert outcomes(job) == [(2, "created"), (3, "created"), (4, "rejected")]
    javiera = Contact.objects.get(email="javiera@castro.cl")
    assert (javiera.mobile, javiera.phone, javiera.title) == ("+56955554444", "+56223456789", "Gerente")
    # The company is no account the importer can see: imported without one, with a warning.
    assert javiera.account is None and job.flagged == 1


@pytest.mark.parametrize(("name", "expected", "emails"), [
    ("vcard21.vcf", [(1, "created"), (2, "created"), (3, "rejected")], ["jose@example.cl", ""]),
    ("vcard30_ios.vcf", [(1, "created"), (2, "created")], ["camila@vinalosandes.cl", ""]),
    ("vcard40.vcf", [(1, "created"), (2, "created")], ["pablo@iberia.es", ""]),
])
def test_vcards(org, run_import, name, expected, emails):
    job = run_import(org.vendedor_norte, name, fixture(name))
    assert outcomes(job) == expected
    created = Contact.objects.filter(pk__in=job.rows.filter(outcome="created").values("object_id"))
    assert sorted(created.values_list("email", flat=True)) == sorted(emails)
    again = run_import(org.vendedor_norte, name, fixture(name), on_duplicate="overwrite")
    assert (again.created, again.updated) == (0, 0)


def test_vcard_values_land_in_their_fields(org, run_import):
    run_import(org.vendedor_norte, "vcard40.vcf", fixture("vcard40.vcf"))
    pablo = Contact.objects.get(email="pablo@iberia.es")
    assert (pablo.mobile, pablo.phone, pablo.country, pablo.city, pablo.title) == (
        "+34612345678", "+34912345678", "ES", "Madrid", "Jefe de compras")
    assert Contact.objects.get(last_name="Martín").mobile == "+34699111222"
