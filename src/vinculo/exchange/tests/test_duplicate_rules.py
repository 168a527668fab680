"""Each duplicate rule against records in the database, and the four choices for a match."""

import pytest
from stdnum.cl import rut

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.sales.models import Lead

from .helpers import csv_bytes, outcomes

pytestmark = pytest.mark.django_db
HEADER = ["Nombre", "Apellidos", "Correo", "Móvil", "Cargo", "Ciudad"]


def valid_rut(body: str) -> str:
    return body + rut.calc_check_digit(body)


def test_an_email_matches_after_trimming_and_lower_casing(org, run_import):
    job = run_import(org.vendedor_norte, "c.csv", csv_bytes([HEADER, ["S", "Araya", "  ARAYA@Norte.CL ", "", "", ""]]))
    assert outcomes(job) == [(2, "skipped")]


def test_dots_and_plus_tags_make_different_emails(org, run_import):
    ContactFactory(owner=org.vendedor_norte, account=None, last_name="Pérez", email="ana.perez@x.cl")
    rows = [HEADER, ["Ana", "Pérez", "anaperez@x.cl", "", "", ""], ["Ana", "Pérez", "ana.perez+crm@x.cl", "", "", ""]]
    assert outcomes(run_import(org.vendedor_norte, "c.csv", csv_bytes(rows))) == [(2, "created"), (3, "created")]


def test_without_email_mobile_and_name_together_match(org, run_import):
    ContactFactory(owner=org.vendedor_norte, account=None, first_name="José", last_name="Núñez", email="",
                   mobile="+56987654321")
    rows = [HEADER,
            ["jose", "NUNEZ ", "", "(09) 8765-4321", "", ""],  # same mobile (old notation), same name
            ["Josefa", "Núñez", "", "+56 9 8765 4321", "", ""],  # same mobile, another name
            ["José", "Núñez", "", "+56 9 4321 8765", "", ""]]  # same name, another mobile
    job = run_import(org.vendedor_norte, "c.csv", csv_bytes(rows))
    assert outcomes(job) == [(2, "skipped"), (3, "created"), (4, "created")]


def test_never_on_the_name_alone(org, run_import):
    ContactFactory(owner=org.vendedor_norte, account=None, first_name="Ana", last_name="Soto", email="", mobile="")
    rows = [HEADER, ["Ana", "Soto", "", "", "", ""], ["Ana", "Soto", "ana.soto@x.cl", "", "", ""]]
    job = run_import(org.vendedor_norte, "c.csv", csv_bytes(rows))
    assert outcomes(job) == [(2, "rejected"), (3, "created")]
    assert job.rows.get(number=2).message.startswith("Nothing identifies this person")


def test_two_people_with_the_same_name_and_different_emails_are_never_merged(org, run_import):
    rows = [HEADER, ["Juan", "Pérez", "juan@uno.cl", "", "", ""], ["Juan", "Pérez", "juan@dos.cl", "", "", ""]]
    job = run_import(org.vendedor_norte, "c.csv", csv_bytes(rows), on_duplicate="overwrite")
    assert (job.created, job.updated, job.skipped) == (2, 0, 0)
    assert sorted(Contact.objects.filter(last_name="Pérez").values_list("email", flat=True)) == [
        "juan@dos.cl", "juan@uno.cl"]


def test_duplicates_within_the_file_are_skipped_naming_the_first_row(org, run_import):
    rows = [HEADER, ["Eva", "Díaz", "eva@x.cl", "", "", ""], ["Eva", "Diaz", "EVA@x.cl", "", "Jefa", ""]]
    job = run_import(org.vendedor_norte, "c.csv", csv_bytes(rows))
    assert outcomes(job) == [(2, "created"), (3, "skipped")]
    assert job.rows.get(number=3).message == "Same as row 2 of this file."


def test_a_record_the_importer_cannot_see_is_never_matched_nor_changed(org, run_import):
    rows = [HEADER, ["Otro", "Araya", "araya@norte.cl", "", "Espía", "Arica"]]
    job = run_import(org.vendedor_sur, "c.csv", csv_bytes(rows), on_duplicate="overwrite")
    assert outcomes(job) == [(2, "created")]
    org.north_contact.refresh_from_db()
    assert (org.north_contact.title, org.north_contact.version) != ("Espía", 2)
    assert Contact.objects.filter(email="araya@norte.cl").count() == 2


def test_fill_empty_overwrite_and_create_anyway(org, run_import):
    ContactFactory(owner=org.vendedor_norte, account=None, last_name="Lagos", email="lagos@x.cl", title="",
                   city="Talca")
    rows = [HEADER, ["", "Lagos", "lagos@x.cl", "", "Gerente", "Curicó"]]
    filled = run_import(org.vendedor_norte, "c.csv", csv_bytes(rows), on_duplicate="fill_empty")
    lagos = Contact.objects.get(email="lagos@x.cl")
    assert (filled.updated, lagos.title, lagos.city) == (1, "Gerente", "Talca")
    assert filled.rows.get().prior == {"title": ""}
    overwritten = run_import(org.vendedor_norte, "c.csv", csv_bytes(rows), on_duplicate="overwrite")
    lagos.refresh_from_db()
    assert (overwritten.updated, lagos.city) == (1, "Curicó")
    assert overwritten.rows.get().prior == {"city": "Talca"}
    created = run_import(org.vendedor_norte, "c.csv", csv_bytes(rows), on_duplicate="create")
    assert created.created == 1 and Contact.objects.filter(email="lagos@x.cl").count() == 2


def test_a_match_the_importer_may_see_but_not_change_is_skipped(org, run_import):
    from vinculo.accounts.models import AccountTeamMember

    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur,
                                     access=AccountTeamMember.Access.READ)
    rows = [HEADER, ["", "Araya", "araya@norte.cl", "", "Gerente", ""]]
    job = run_import(org.vendedor_sur, "c.csv", csv_bytes(rows), on_duplicate="overwrite")
    assert outcomes(job) == [(2, "skipped")]
    assert job.rows.get().message == "Matches a record you may see but not change."
    org.north_contact.refresh_from_db()
    assert org.north_contact.title != "Gerente"


ACCOUNT_HEADER = ["Razón social", "RUT", "Teléfono", "Sitio web"]


def test_accounts_match_on_the_compact_tax_id_then_on_the_legal_name(org, run_import):
    tax_id = valid_rut("76123456")
    AccountFactory(owner=org.vendedor_norte, legal_name="Viña Sur SpA", tax_id=tax_id, country="CL")
    AccountFactory(owner=org.vendedor_norte, legal_name="Minera Atacama SpA", tax_id="", country="CL")
    rows = [ACCOUNT_HEADER,
            ["Otro nombre Ltda.", rut.format(tax_id), "", ""],  # the tax id, formatted
            ["MINERA ATACAMA S.A.", "", "", ""],  # the name without accents, case, suffix
            ["Minera Atacama", "", "", ""],  # the same again: row 3 of the file
            ["Viña Sur S.A.", valid_rut("77000111"), "", ""]]  # same name, another tax id: another company
    job = run_import(org.vendedor_norte, "a.csv", csv_bytes(rows), kind="accounts")
    assert outcomes(job) == [(2, "skipped"), (3, "skipped"), (4, "skipped"), (5, "created")]
    assert job.rows.get(number=4).message == "Same as row 3 of this file."
    # "A second Minera Atacama SpA without a RUT" is no longer accepted without a word.
    assert Account.objects.filter(legal_name__icontains="atacama").count() == 1


def test_an_invalid_rut_rejects_the_row_naming_the_field(org, run_import):
    good = valid_rut("76123456")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    job = run_import(org.vendedor_norte, "a.csv", csv_bytes([ACCOUNT_HEADER, ["Mala SpA", bad, "", ""]]),
                     kind="accounts")
    assert outcomes(job) == [(2, "rejected")]
    assert job.rows.get().message == f"Tax id: “{bad}” is not a valid Chilean RUT (check digit)."


def test_a_tax_id_of_an_account_the_importer_cannot_see_rejects_the_row_without_naming_it(org, run_import):
    org.north_account.tax_id, org.north_account.country = valid_rut("76555444"), "CL"
    org.north_account.save()
    rows = [ACCOUNT_HEADER, ["Cualquier Nombre SpA", org.north_account.tax_id, "", ""]]
    job = run_import(org.vendedor_sur, "a.csv", csv_bytes(rows), kind="accounts", on_duplicate="overwrite")
    assert outcomes(job) == [(2, "rejected")]
    message = job.rows.get().message
    assert message == "Another account already has this tax id."
    assert "Minera" not in message and "norte" not in message
    org.north_account.refresh_from_db()
    assert org.north_account.legal_name == "Minera Norte Grande SpA"


def test_leads_follow_the_person_rules(org, run_import):
    rows = [["First name", "Last name", "Email", "Phone", "Company"],
            ["Rosa", "Vera", "rosa@x.cl", "", "Vera y Cía"],
            ["Rosa", "Vera", "ROSA@x.cl ", "", ""],
            ["Rosa", "Vera", "", "", "Vera y Cía"],
            ["Rosa", "Vera", "", "9 6543 2109", ""]]
    job = run_import(org.vendedor_norte, "l.csv", csv_bytes(rows), kind="leads")
    assert outcomes(job) == [(2, "created"), (3, "skipped"), (4, "rejected"), (5, "created")]
    assert Lead.objects.filter(last_name="Vera").count() == 2
    again = run_import(org.vendedor_norte, "l.csv", csv_bytes(rows), kind="leads", on_duplicate="overwrite")
    assert (again.created, again.updated) == (0, 0)


def test_a_row_the_database_refuses_in_a_bulk_write_is_rejected_alone(org, run_import, monkeypatch):
    # The tax id check before the write is skipped, as if another user took the tax id meanwhile: the batch's
    # bulk INSERT fails, and its rows are written one by one, so only the taken tax id's row is refused.
    from vinculo.exchange import importing

    monkeypatch.setattr(importing.AccountSpec, "unusable", lambda self, prepared: "")
    org.north_account.tax_id, org.north_account.country = valid_rut("76555444"), "CL"
    org.north_account.save()
    rows = [ACCOUNT_HEADER, ["Primera SpA", valid_rut("77111222"), "", ""],
            ["Cualquier Nombre SpA", org.north_account.tax_id, "", ""], ["Tercera SpA", "", "", ""]]
    job = run_import(org.vendedor_sur, "a.csv", csv_bytes(rows), kind="accounts")
    assert outcomes(job) == [(2, "created"), (3, "rejected"), (4, "created")]
    assert job.rows.get(number=3).message == "Tax id: Another account already has this tax id."
    assert set(Account.objects.filter(owner=org.vendedor_sur).values_list("legal_name", flat=True)) == {
        "Pesquera Sur Austral SpA", "Primera SpA", "Tercera SpA"}


def test_a_row_repeating_one_of_an_earlier_batch_is_found_in_the_database_also_after_a_resume(
        org, run_import, monkeypatch):
    from vinculo.exchange import importing

    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    rows = [HEADER, ["Ana", "Soto", "ana@x.cl", "", "", ""], ["Luis", "Paz", "luis@x.cl", "", "", ""],
            ["Eva", "Ríos", "eva@x.cl", "", "", ""], ["Ana", "Soto", "ANA@x.cl", "", "Jefa", ""],
            ["Luis", "Paz", "luis@x.cl", "", "", ""]]
    job = run_import(org.vendedor_norte, "c.csv", csv_bytes(rows), on_duplicate="fill_empty")
    assert outcomes(job) == [(2, "created"), (3, "created"), (4, "created"), (5, "skipped"), (6, "skipped")]
    assert job.rows.get(number=5).message == "Same as row 2 of this file."
    # A job resumed after its first batch still knows the rows that batch imported.
    job.rows.filter(number__gt=3).delete()
    Contact.objects.filter(email="eva@x.cl").delete()
    type(job).objects.filter(pk=job.pk).update(processed=2, created=2, skipped=0)
    job.refresh_from_db()
    job = importing.run(job)
    assert outcomes(job) == [(2, "created"), (3, "created"), (4, "created"), (5, "skipped"), (6, "skipped")]
    assert job.rows.get(number=6).message == "Same as row 3 of this file."
    assert Contact.objects.get(email="ana@x.cl").title == ""
