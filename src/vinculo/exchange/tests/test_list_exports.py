"""The "Export" menu of a list page: its links carry the page's filters, sort and shown columns, and the file
holds exactly the rows the page lists (in its order) and exactly its columns (in its order), within the access
policy (another rep's private records, financial columns); past the inline threshold it becomes a job."""

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core import lists
from vinculo.core.tests.api_client import ApiClient
from vinculo.exchange import exporting
from vinculo.exchange.models import ExportJob
from vinculo.sales.models import Quote
from vinculo.sales.tests.factories import OpportunityFactory, QuoteFactory

from .helpers import csv_rows, export_links, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def english(org):
    for user in (org.vendedor_norte, org.vendedor_sur, org.finance):
        user.language = "en"
        user.save(update_fields=["language"])
    return org








def test_the_account_list_export_links_carry_its_filters_sort_and_shown_columns(client, english):
    client.force_login(english.vendedor_norte)
    html = client.get(reverse("accounts:list") + "?account_type=customer&sort=-name&cols=email,tax_id&page=1"
                      "&count=exact").content.decode()
    links = export_links(html)
    assert set(links) == {"csv", "xlsx"}  # vCard and Outlook are for contacts only
    query = parse_qs(urlsplit(links["csv"]).query)
    # The page's order of columns (the name is always shown), not the order in the address.
    assert query == {"account_type": ["customer"], "sort": ["-name"], "cols": ["name,tax_id,email"]}


def test_the_account_export_holds_exactly_the_listed_rows_and_shown_columns_in_order(client, english):
    north = english.north_account  # a customer, "Minera Norte Grande SpA"
    AccountFactory(owner=english.vendedor_norte, legal_name="Agrícola Andes SpA", email="a@andes.cl",
                   account_type=Account.Type.CUSTOMER)
    AccountFactory(owner=english.vendedor_norte, legal_name="Zeta Prospecto SpA", account_type=Account.Type.PROSPECT)
    client.force_login(english.vendedor_norte)
    html = client.get(reverse("accounts:list") + "?account_type=customer&sort=-name&cols=email,tax_id").content.decode()
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        rows = read(client.get(export_links(html)[fmt]))
        assert rows[0] == ["Name", "Tax id", "Email"]
        # Customers only (not the prospect, nor the south rep's account), by name descending, as the page lists them.
        assert [row[0] for row in rows[1:]] == ["Minera Norte Grande SpA", "Agrícola Andes SpA"]
        assert [row[2] or "" for row in rows[1:]] == [north.email, "a@andes.cl"]


def test_the_contact_export_follows_the_page_and_leaves_an_unseen_account_empty(client, english):
    org = english
    mine = ContactFactory(owner=org.vendedor_norte, account=org.south_account, first_name="Ana", last_name="Cruzada",
                          email="ana@x.cl", purchase_role=Contact.PurchaseRole.DECISION_MAKER)
    ContactFactory(account=org.north_account, first_name="Beto", last_name="Alba", email="beto@x.cl",
                   purchase_role=Contact.PurchaseRole.DECISION_MAKER)
    ContactFactory(account=org.north_account, first_name="Otro", last_name="Rol", email="otro@x.cl",
                   purchase_role=Contact.PurchaseRole.USER)
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("contacts:list") + "?purchase_role=decision_maker&cols=email,account").content.decode()
    links = export_links(html)
    assert set(links) == {"csv", "xlsx", "vcard", "outlook"}
    assert parse_qs(urlsplit(links["xlsx"]).query)["cols"] == ["name,account,email"]
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        rows = read(client.get(links[fmt]))
        assert rows[0] == ["Name", "Account", "Email"]
        # By surname, as the page: the contact the rep owns on the south rep's account names no account.
        assert [[value or "" for value in row] for row in rows[1:]] == [
            ["Beto Alba", "Minera Norte Grande SpA", "beto@x.cl"], ["Ana Cruzada", "", mine.email]]
    vcards = b"".join(client.get(links["vcard"]).streaming_content).decode()
    assert "beto@x.cl" in vcards and "ana@x.cl" in vcards and "otro@x.cl" not in vcards


def test_a_reps_export_holds_none_of_another_reps_private_records(client, english):
    ContactFactory(account=english.north_account, last_name="Privado", email="privado@norte.cl")
    client.force_login(english.vendedor_sur)
    html = client.get(reverse("contacts:list") + "?cols=email").content.decode()
    text = b"".join(client.get(export_links(html)["csv"]).streaming_content).decode()
    assert "bustos@sur.cl" in text and "norte.cl" not in text
    # Even asked for directly, with another rep's filters.
    direct = client.get(reverse("exchange:export", args=["contacts", "csv"]) + f"?owner={english.vendedor_norte.pk}&cols=email")
    assert "norte.cl" not in b"".join(direct.streaming_content).decode()


def test_a_financial_column_is_offered_and_exported_only_with_the_permission(client, english):
    url = reverse("exchange:export", args=["accounts", "csv"]) + "?cols=credit_grade,tax_id"
    client.force_login(english.finance)
    assert 'value="credit_grade"' in client.get(reverse("accounts:list")).content.decode()
    rows = csv_rows(client.get(url))
    assert rows[0] == ["Name", "Tax id", "Credit grade"]
    assert ["Minera Norte Grande SpA", english.north_account.tax_id, "B"] in rows
    client.force_login(english.vendedor_norte)
    assert 'value="credit_grade"' not in client.get(reverse("accounts:list")).content.decode()
    rows = csv_rows(client.get(url))
    assert rows[0] == ["Name", "Tax id"] and all(len(row) == 2 for row in rows)
    assert "Grade" not in str(rows) and "B" not in [value for row in rows for value in row]


def test_a_column_reading_a_related_records_financial_field_is_kept_from_who_may_not_read_it(english, monkeypatch):
    # No list shows one today; a column that would (the deal's account's credit grade) must be dropped for a
    # rep as surely as the deal's own financial fields are.
    monkeypatch.setitem(exporting.LISTS["deals"].cells, "territory", exporting.Cell(("account__credit_grade",)))
    assert [c.name for c in exporting.columns("deals", english.vendedor_norte, shown=["territory"])] == []
    assert [c.name for c in exporting.columns("deals", english.finance, shown=["territory"])] == ["territory"]


def test_unknown_or_unreadable_columns_are_ignored_as_the_page_ignores_them(client, english):
    client.force_login(english.vendedor_norte)
    url = reverse("exchange:export", args=["accounts", "csv"])
    assert csv_rows(client.get(url + "?cols=bank_details,nothing,email"))[0] == ["Name", "Email"]
    # None known: the page shows its default columns, and so does the file.
    assert csv_rows(client.get(url + "?cols=bank_details"))[0] == [
        "Name", "Tax id", "Type", "Owner", "Territory", "Relationship", "Updated"]
    # No `cols` at all (the import and export page's links): every field the user may read.
    every = csv_rows(client.get(url))[0]
    assert "Legal name" in every and "Bank details" not in every


def test_the_deal_export_writes_the_lists_computed_and_related_columns(client, english):
    OpportunityFactory(account=english.north_account, name="Grande", amount=Decimal("1000"), probability=25)
    client.force_login(english.vendedor_norte)
    html = client.get(reverse("sales:opportunity_list") + "?cols=amount,weighted,owner").content.decode()
    rows = csv_rows(client.get(export_links(html)["csv"]))
    assert rows[0] == ["Name", "Amount", "Weighted", "Owner"]
    assert rows[1] == ["Grande", "1000.00", "250.00", english.vendedor_norte.get_full_name()]
    sheet = xlsx_rows(client.get(export_links(html)["xlsx"]))
    assert sheet[1][1] == 1000 and sheet[1][2] == 250


def test_a_list_export_past_the_threshold_becomes_a_job_with_the_pages_rows_and_columns(
        client, english, settings, django_capture_on_commit_callbacks):
    settings.VINCULO_EXPORT_INLINE_MAX_ROWS = 1
    for name in ("Carla", "Berta"):
        ContactFactory(account=english.north_account, first_name=name, last_name="Diaz", email=f"{name}@x.cl",
                       purchase_role=Contact.PurchaseRole.DECISION_MAKER)
    client.force_login(english.vendedor_norte)
    html = client.get(reverse("contacts:list") + "?purchase_role=decision_maker&sort=-name&cols=email").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(export_links(html)["csv"])
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("exchange:export_detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.total) == ("done", 2)
    rows = list(csv.reader(io.StringIO(job.file.open("rb").read().decode("utf-8-sig"))))
    assert rows == [["Name", "Email"], ["Carla Diaz", "Carla@x.cl"], ["Berta Diaz", "Berta@x.cl"]]


@pytest.mark.parametrize("url_name", ["accounts:list", "contacts:list", "sales:lead_list", "sales:opportunity_list",
                                      "sales:quote_list", "activities:list"])
def test_the_export_menu_adds_no_query_to_the_list_page(client, org, url_name, monkeypatch):
    client.force_login(org.vendedor_norte)
    url = reverse(url_name) + "?sort=-created_at&cols=email"

    client.get(url)  # the session's first request saves what later ones only read
    with CaptureQueriesContext(connection) as with_menu:
        assert "/export/" in client.get(url).content.decode()
    monkeypatch.setattr(lists, "list_actions", {})
    with CaptureQueriesContext(connection) as without_menu:
        assert "/export/" not in client.get(url).content.decode()
    assert len(with_menu) == len(without_menu)


# ---------- Quotes and activities ----------

def test_the_quote_export_holds_exactly_the_listed_rows_and_shown_columns_in_order(client, english):
    org = english
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Ampliación planta")
    QuoteFactory(opportunity=deal, number="COT-A", status=Quote.Status.SENT, issued_on=datetime.date(2026, 11, 3),
                 valid_until=datetime.date(2026, 12, 3), total=Decimal("1190000.00"))
    QuoteFactory(opportunity=deal, number="COT-B", revision=2, status=Quote.Status.SENT,
                 issued_on=datetime.date(2026, 11, 5), total=Decimal("59.50"), currency="USD")
    QuoteFactory(opportunity=deal, number="COT-C", status=Quote.Status.DRAFT)  # filtered out: a draft
    # The south rep's deal: not the north rep's to see, nor its quote.
    QuoteFactory(opportunity=OpportunityFactory(account=org.south_account, owner=org.vendedor_sur), number="COT-SUR",
                 status=Quote.Status.SENT)
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("sales:quote_list") + "?status=sent&sort=issued_on&cols=total,issued_on,account"
                      ).content.decode()
    links = export_links(html)
    assert set(links) == {"csv", "xlsx"}
    assert parse_qs(urlsplit(links["csv"]).query)["cols"] == ["number,account,issued_on,total"]
    rows = csv_rows(client.get(links["csv"]))
    assert rows == [["Number", "Account", "Date", "Total"],
                    ["COT-A", "Minera Norte Grande SpA", "2026-11-03", "1190000.00"],
                    ["COT-B rev. 2", "Minera Norte Grande SpA", "2026-11-05", "59.50"]]
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert sheet[0] == ["Number", "Account", "Date", "Total"]
    assert [row[0] for row in sheet[1:]] == ["COT-A", "COT-B rev. 2"]
    # Typed cells: a date, an amount.
    assert sheet[1][2] == datetime.datetime(2026, 11, 3) and sheet[2][2] == datetime.datetime(2026, 11, 5)
    assert sheet[1][3] == 1190000 and sheet[2][3] == Decimal("59.5")


def test_a_reps_quote_export_holds_none_of_another_reps_private_deals_quotes(client, english):
    org = english
    QuoteFactory(opportunity=OpportunityFactory(account=org.north_account, owner=org.vendedor_norte), number="COT-N")
    QuoteFactory(opportunity=OpportunityFactory(account=org.south_account, owner=org.vendedor_sur), number="COT-S")
    client.force_login(org.vendedor_sur)
    html = client.get(reverse("sales:quote_list") + "?cols=opportunity").content.decode()
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        assert [row[0] for row in read(client.get(export_links(html)[fmt]))[1:]] == ["COT-S"]
    # Even asked for directly, with the other rep as owner.
    direct = client.get(reverse("exchange:export", args=["quotes", "csv"]) + f"?owner={org.vendedor_norte.pk}&cols=total")
    assert csv_rows(direct) == [["Number", "Total"]]


def _activity(org, subject, when, **fields):
    fields.setdefault("owner", org.vendedor_norte)
    fields.setdefault("account", org.north_account)
    return Activity.objects.create(subject=subject, occurred_at=when, **fields)


def test_the_activity_export_holds_exactly_the_listed_rows_and_shown_columns_in_order(client, english):
    org = english
    utc = datetime.timezone.utc
    _activity(org, "Llamada de cierre", datetime.datetime(2026, 11, 2, 13, 30, tzinfo=utc), kind=Activity.Kind.CALL,
              duration_minutes=25)
    _activity(org, "Otra llamada", datetime.datetime(2026, 11, 4, 9, 0, tzinfo=utc), kind=Activity.Kind.CALL)
    _activity(org, "Visita a faena", datetime.datetime(2026, 11, 3, 9, 0, tzinfo=utc), kind=Activity.Kind.VISIT)
    _activity(org, "Llamada ajena", datetime.datetime(2026, 11, 3, 9, 0, tzinfo=utc), kind=Activity.Kind.CALL,
              owner=org.vendedor_sur, account=org.south_account)
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("activities:list") + "?kind=call&sort=occurred_at&cols=duration_minutes,account,"
                      "occurred_at").content.decode()
    links = export_links(html)
    assert parse_qs(urlsplit(links["csv"]).query)["cols"] == ["occurred_at,subject,account,duration_minutes"]
    rows = csv_rows(client.get(links["csv"]))
    assert rows[0] == ["Date", "Subject", "Account", "Duration"]
    assert rows[1:] == [
        ["2026-11-02T13:30:00+00:00", "Llamada de cierre", "Minera Norte Grande SpA", "25"],
        ["2026-11-04T09:00:00+00:00", "Otra llamada", "Minera Norte Grande SpA", ""]]
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert sheet[0] == ["Date", "Subject", "Account", "Duration"]
    assert [row[1] for row in sheet[1:]] == ["Llamada de cierre", "Otra llamada"]
    # Typed cells: the date and time on Santiago's clock (UTC-3 in November), the duration a number.
    assert sheet[1][0] == datetime.datetime(2026, 11, 2, 10, 30)
    assert sheet[1][3] == 25 and sheet[2][3] is None


def test_a_reps_activity_export_holds_none_of_another_reps_private_activities(client, english):
    org = english
    _activity(org, "Del norte", datetime.datetime(2026, 11, 2, tzinfo=datetime.timezone.utc))
    # About the north rep's deal, though on no account: inherits the deal's visibility.
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte)
    _activity(org, "Sobre el negocio del norte", datetime.datetime(2026, 11, 2, tzinfo=datetime.timezone.utc),
              account=None, opportunity=deal)
    _activity(org, "Del sur", datetime.datetime(2026, 11, 2, tzinfo=datetime.timezone.utc), owner=org.vendedor_sur,
              account=org.south_account)
    client.force_login(org.vendedor_sur)
    html = client.get(reverse("activities:list") + "?cols=owner").content.decode()
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        assert read(client.get(export_links(html)[fmt])) == [["Subject", "Owner"], ["Del sur", "Usuario Vendedor Sur"]]
    direct = b"".join(client.get(reverse("exchange:export", args=["activities", "csv"])
                                 + f"?owner={org.vendedor_norte.pk}").streaming_content).decode()
    assert "Del norte" not in direct and "Sobre el negocio" not in direct


def test_an_activity_export_past_the_threshold_becomes_a_job_with_the_pages_rows_and_columns(
        client, english, settings, django_capture_on_commit_callbacks):
    settings.VINCULO_EXPORT_INLINE_MAX_ROWS = 1
    for day, subject in ((2, "Primera"), (3, "Segunda")):
        _activity(english, subject, datetime.datetime(2026, 11, day, 12, tzinfo=datetime.timezone.utc))
    client.force_login(english.vendedor_norte)
    html = client.get(reverse("activities:list") + "?sort=-occurred_at&cols=subject").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(export_links(html)["csv"])
    job = ExportJob.objects.get()
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.kind, job.status, job.total) == ("activities", "done", 2)
    rows = list(csv.reader(io.StringIO(job.file.open("rb").read().decode("utf-8-sig"))))
    assert rows == [["Subject"], ["Segunda"], ["Primera"]]


def test_a_quote_export_of_every_field_names_its_contact_only_when_the_user_may_see_it(client, english):
    org = english
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte)
    QuoteFactory(opportunity=deal, number="COT-VISTO", contact=org.north_contact)
    QuoteFactory(opportunity=deal, number="COT-AJENO", contact=org.south_contact)  # the south rep's contact
    client.force_login(org.vendedor_norte)
    rows = csv_rows(client.get(reverse("exchange:export", args=["quotes", "csv"])))
    at = rows[0].index("Addressed to")
    assert {row[0]: row[at] for row in rows[1:]} == {"COT-VISTO": org.north_contact.full_name, "COT-AJENO": ""}


def test_the_api_exports_a_reps_activities_and_none_of_another_reps(english, django_capture_on_commit_callbacks):
    org = english
    _activity(org, "Del norte", datetime.datetime(2026, 11, 2, tzinfo=datetime.timezone.utc))
    _activity(org, "Del sur", datetime.datetime(2026, 11, 3, tzinfo=datetime.timezone.utc), owner=org.vendedor_sur,
              account=org.south_account)
    api = ApiClient(org.vendedor_sur)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/exports", {"kind": "activities", "format": "csv", "columns": ["subject"]})
    assert response.status_code == 201, response.content
    status = api.get(f"/exports/{response.json()['id']}").json()
    assert (status["status"], status["total"]) == ("done", 1)
    text = b"".join(api.client.get(status["download_url"]).streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["Subject"], ["Del sur"]]
