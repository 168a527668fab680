"""The account page (Customer 360): alerts, computed sales, roll-up, related lists, financial gating, query count."""

import datetime
import random
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from vinculo.accounts import page
from vinculo.accounts.models import AccountTeamMember, Invoice, Payment
from vinculo.accounts.sales import sales_summary
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact, ContactAccountLink
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core import clock
from vinculo.core.templatetags.vinculo import money
from vinculo.customer360.models import (
    ContentDelivery,
    Contract,
    CustomerAsset,
    Document,
    DocumentVersion,
    Note,
)
from vinculo.customer360.tests.factories import ContractFactory

from .factories import InvoiceFactory
from .pages import load_sections, placeholders

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 5, 15)
NOW = timezone.make_aware(datetime.datetime(2026, 5, 15, 12, 0))


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    monkeypatch.setattr(clock, "now", lambda: NOW)


def page_html(client, user, account, query="", scrolled=True):
    """The account page as `user` reads it; `scrolled`: with the sections loaded on demand fetched from
    their fragment URLs, as when the reader scrolls to them."""
    client.force_login(user)
    response = client.get(reverse("accounts:detail", args=[account.pk]) + query)
    assert response.status_code == 200
    html = response.content.decode()
    return load_sections(client, html) if scrolled else html


def en_money(amount) -> str:
    with translation.override("en"):  # factory users read the page in English
        return money(amount, "CLP")


# ---------- Sales ----------

STATUSES = [Invoice.Status.ISSUED] * 5 + [Invoice.Status.PAID] * 3 + [
    Invoice.Status.PARTIALLY_PAID, Invoice.Status.DRAFT, Invoice.Status.CANCELLED,
]


def random_invoices(account, count, seed=7):
    """Invoices spread over January of last year to next month, in every status."""
    rng = random.Random(seed)
    invoices = []
    for n in range(count):
        issued = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(0, 530))
        amount = Decimal(rng.randrange(10_000, 5_000_000))
        status = rng.choice(STATUSES)
        balance = {Invoice.Status.PAID: Decimal(0), Invoice.Status.PARTIALLY_PAID: amount / 2}.get(status, amount)
        invoices.append(Invoice(
            account=account, number=f"S-{account.pk}-{seed}-{n}", issue_date=issued,
            due_date=issued + datetime.timedelta(days=30), amount=amount, balance=balance, status=status,
        ))
    return Invoice.objects.bulk_create(invoices)


def expected_sales(invoices):
    billed = [i for i in invoices if i.status not in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED)]

    def total(start, end):
        return sum((i.amount for i in billed if start <= i.issue_date <= end), Decimal(0))

    months = []
    for back in range(11, -1, -1):
        year, month = divmod(TODAY.year * 12 + TODAY.month - 1 - back, 12)
        start = datetime.date(year, month + 1, 1)
        end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        months.append((start, total(start, min(end, TODAY))))
    return {
        "month": total(datetime.date(2026, 5, 1), TODAY),
        "quarter": total(datetime.date(2026, 4, 1), TODAY),
        "year": total(datetime.date(2026, 1, 1), TODAY),
        "previous_year_to_date": total(datetime.date(2025, 1, 1), datetime.date(2025, 5, 15)),
        "outstanding": sum((i.balance for i in billed if i.balance > 0), Decimal(0)),
        "overdue": sum((i.balance for i in billed if i.balance > 0 and i.due_date < TODAY), Decimal(0)),
        "overdue_count": sum(1 for i in billed if i.balance > 0 and i.due_date < TODAY),
        "months": months,
    }


def test_sales_summary_equals_sums_computed_from_the_invoices(org):
    account = org.north_account
    invoices = random_invoices(account, 150)
    random_invoices(org.south_account, 20, seed=8)  # another account's sales count nowhere here
    expected = expected_sales(invoices)

    summary = sales_summary([account.pk], TODAY)

    assert summary.month == expected["month"]
    assert summary.quarter == expected["quarter"]
    assert summary.year == expected["year"]
    assert summary.previous_year_to_date == expected["previous_year_to_date"]
    assert summary.outstanding == expected["outstanding"]
    assert summary.overdue == expected["overdue"]
    assert summary.overdue_count == expected["overdue_count"]
    assert summary.last_12_months == expected["months"]
    change = (expected["year"] - expected["previous_year_to_date"]) / expected["previous_year_to_date"] * 100
    assert summary.year_over_year == change


def test_account_page_shows_the_computed_sales_figures(client, org):
    account = org.north_account
    expected = expected_sales(random_invoices(account, 80))
    html = page_html(client, org.vendedor_norte, account)
    sales = html[html.index('id="sales"'):html.index('id="timeline"')]
    for name in ("month", "quarter", "year", "outstanding", "overdue"):
        assert en_money(expected[name]) in sales, name
    for _month, total in expected["months"]:
        assert en_money(total) in sales  # the chart's text values
    assert "<svg" in sales and "<title" in sales


def test_sales_target_progress_and_potential_are_shown(client, org):
    account = org.north_account
    account.sales_target = Decimal("4000000")
    account.potential = Decimal("9000000")
    account.save()
    InvoiceFactory(account=account, issue_date=datetime.date(2026, 2, 1), due_date=datetime.date(2026, 7, 1),
                   amount=Decimal("1000000"))
    html = page_html(client, org.vendedor_norte, account)
    assert en_money(Decimal("4000000")) in html
    assert en_money(Decimal("9000000")) in html
    assert "25 % reached this year" in html


def test_account_without_invoices_shows_no_empty_chart(client, org):
    html = page_html(client, org.vendedor_norte, org.north_account)
    sales = html[html.index('id="sales"'):html.index('id="timeline"')]
    assert "No invoiced sales since January last year" in sales
    assert "<svg" not in sales


def test_roll_up_includes_a_childs_invoices_only_when_switched_on(client, org):
    parent = org.north_account
    child = AccountFactory(owner=org.vendedor_norte, parent=parent, legal_name="Filial Calama SpA")
    InvoiceFactory(account=parent, issue_date=datetime.date(2026, 5, 2), due_date=datetime.date(2026, 6, 2),
                   amount=Decimal("1111000"))
    InvoiceFactory(account=child, issue_date=datetime.date(2026, 5, 3), due_date=datetime.date(2026, 6, 3),
                   amount=Decimal("2222000"))
    client.force_login(org.vendedor_norte)

    alone = page_html(client, org.vendedor_norte, parent)
    assert en_money(Decimal("1111000")) in alone
    assert en_money(Decimal("3333000")) not in alone
    assert 'name="rollup"' in alone  # the toggle, since the account has children

    rolled = page_html(client, org.vendedor_norte, parent, "?rollup=1")
    assert en_money(Decimal("3333000")) in rolled

    fragment = client.get(reverse("accounts:sales", args=[parent.pk]), {"rollup": "1"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    assert en_money(Decimal("3333000")) in fragment.content.decode()
    assert fragment["HX-Push-Url"] == parent.get_absolute_url() + "?rollup=1"
    off = client.get(reverse("accounts:sales", args=[parent.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert en_money(Decimal("3333000")) not in off


def test_roll_up_leaves_out_children_the_viewer_may_not_see(client, org):
    parent = org.north_account
    visible = AccountFactory(owner=org.vendedor_norte, parent=parent)
    hidden = AccountFactory(owner=org.vendedor_sur, parent=parent)
    for account, amount in ((parent, "1000000"), (visible, "200000"), (hidden, "30000")):
        InvoiceFactory(account=account, issue_date=datetime.date(2026, 5, 2), due_date=datetime.date(2026, 6, 2),
                       amount=Decimal(amount))
    html = page_html(client, org.vendedor_norte, parent, "?rollup=1")
    assert en_money(Decimal("1200000")) in html
    assert en_money(Decimal("1230000")) not in html
    assert en_money(Decimal("1230000")) in page_html(client, org.admin, parent, "?rollup=1")


def test_accounts_without_children_offer_no_roll_up(client, org):
    html = page_html(client, org.vendedor_norte, org.north_account, "?rollup=1")
    assert 'name="rollup"' not in html


# ---------- Alerts ----------

def test_alerts_show_renewals_by_notice_period_and_overdue_invoices(client, org):
    account = org.north_account
    ContractFactory(account=account, number="CT-SOON", end_date=TODAY + datetime.timedelta(days=30))
    # 30 days' notice: alerted from 60 days before expiry; 90 days' notice: from 120 days before.
    ContractFactory(account=account, number="CT-LATER", end_date=TODAY + datetime.timedelta(days=90), notice_days=30)
    ContractFactory(account=account, number="CT-NOTICE90", end_date=TODAY + datetime.timedelta(days=90),
                    notice_days=90)
    InvoiceFactory(account=account, number="F-LATE", issue_date=datetime.date(2026, 3, 1),
                   due_date=datetime.date(2026, 4, 1), amount=Decimal("750000"))
    html = page_html(client, org.vendedor_norte, account)
    alerts = html[html.index('class="c360-alerts"'):html.index('class="section-nav"')]
    assert "CT-SOON" in alerts
    assert "in 30 days" in alerts
    assert "CT-LATER" not in alerts
    assert "CT-NOTICE90" in alerts and "in 90 days" in alerts
    assert "1 overdue invoice" in alerts
    assert en_money(Decimal("750000")) in alerts


def test_no_alerts_without_renewals_or_overdue_invoices(client, org):
    ContractFactory(account=org.north_account, end_date=TODAY + datetime.timedelta(days=90))
    InvoiceFactory(account=org.north_account, issue_date=TODAY, due_date=TODAY + datetime.timedelta(days=30))
    assert 'class="c360-alerts"' not in page_html(client, org.vendedor_norte, org.north_account)


def test_contracts_list_highlights_expiry_soon_and_marks_expired(client, org):
    account = org.north_account
    ContractFactory(account=account, number="CT-SOON", end_date=TODAY + datetime.timedelta(days=20))
    ContractFactory(account=account, number="CT-OLD", start_date=datetime.date(2020, 1, 1),
                    end_date=datetime.date(2024, 1, 1))
    ContractFactory(account=account, number="CT-FAR", end_date=TODAY + datetime.timedelta(days=400))
    html = page_html(client, org.vendedor_norte, account)
    contracts = html[html.index('id="contracts"'):html.index('id="invoices"')]
    assert contracts.index("CT-SOON") < contracts.index("CT-FAR") < contracts.index("CT-OLD")
    soon_row = contracts[contracts.rindex("<tr", 0, contracts.index("CT-SOON")):contracts.index("CT-FAR")]
    assert "row-warning" in soon_row and "expires in 20 days" in soon_row
    old_row = contracts[contracts.rindex("<tr", 0, contracts.index("CT-OLD")):]
    assert "Expired" in old_row


# ---------- Related lists ----------

def test_related_lists_show_counts_view_all_links_and_add_buttons_for_editors(client, org):
    account = org.north_account
    fill(account, org.vendedor_norte, 3)
    html = page_html(client, org.vendedor_norte, account)
    for name, list_url, create_url in (
        ("assets", "accounts:asset_list", "accounts:asset_create"),
        ("contracts", "accounts:contract_list", "accounts:contract_create"),
        ("invoices", "accounts:invoice_list", "accounts:invoice_create"),
        ("notes", "accounts:note_list", "accounts:note_create"),
        ("deliveries", "accounts:delivery_list", "accounts:delivery_create"),
        ("documents", "accounts:document_list", "accounts:document_create"),
    ):
        section = html[html.index(f'id="{name}"'):]
        section = section[:section.index("</section>")]
        assert "(3)" in section, name
        assert f'{reverse(list_url)}?account={account.pk}' in section, name
        assert reverse(create_url, args=[account.pk]) in section, name
    assert f'{reverse("activities:create")}?account={account.pk}' in html
    version = DocumentVersion.objects.filter(document__account=account).order_by("-number").first()
    assert reverse("accounts:document_download", args=[version.pk]) in html


def test_read_only_team_member_sees_the_lists_without_add_buttons(client, org):
    account = org.north_account
    fill(account, org.vendedor_norte, 2)
    AccountTeamMember.objects.create(account=account, user=org.vendedor_sur)
    html = page_html(client, org.vendedor_sur, account)
    assert "Compresor 0" in html
    for name in ("asset", "contract", "invoice", "note", "delivery", "document"):
        assert reverse(f"accounts:{name}_create", args=[account.pk]) not in html


def test_each_related_list_pages_through_its_own_fragment(client, org):
    account = org.north_account
    fill(account, org.vendedor_norte, 12)
    client.force_login(org.vendedor_norte)
    for name, first, last in (
        ("assets", "Compresor 11", "Compresor 0<"),
        ("invoices", "F-11-", "F-0-"),
        ("notes", "Nota 0<", "Nota 11"),  # newest first
        ("deliveries", "Catálogo 11", "Catálogo 0<"),
        ("documents", "Documento 11", "Documento 0<"),
    ):
        url = reverse("accounts:related", args=[account.pk, name])
        first_page = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        second_page = client.get(url, {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
        assert "<html" not in first_page
        assert first_page.lstrip().startswith("<section") and f'id="{name}"' in first_page
        assert first in first_page and last not in first_page, name
        assert last in second_page and first not in second_page, name
        assert "11–12 of 12" in second_page
    assert client.get(reverse("accounts:related", args=[account.pk, "secrets"])).status_code == 404


def test_the_page_itself_pages_a_list_without_javascript(client, org):
    account = org.north_account
    fill(account, org.vendedor_norte, 12)
    html = page_html(client, org.vendedor_norte, account, "?assets_page=2")
    assets = html[html.index('id="assets"'):html.index('id="documents"')]
    assert "Compresor 0<" in assets and "Compresor 11" not in assets


def test_outsider_gets_404_on_every_fragment_of_the_page(client, org):
    fill(org.north_account, org.vendedor_norte, 2)
    client.force_login(org.vendedor_sur)
    pk = org.north_account.pk
    urls = [reverse("accounts:related", args=[pk, name]) for name in
            ("assets", "contracts", "invoices", "payments", "notes", "deliveries", "documents")]
    urls += [reverse("accounts:timeline", args=[pk]), reverse("accounts:sales", args=[pk]),
             reverse("accounts:contacts", args=[pk])]
    for url in urls:
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404, url


def test_contact_of_another_account_is_named_only_if_the_viewer_may_see_it(client, org):
    account = org.north_account
    CustomerAsset.objects.create(account=account, product_name="Bomba", contact=org.south_contact)
    html = page_html(client, org.vendedor_norte, account)
    assert "Bomba" in html and org.south_contact.last_name not in html
    assert org.south_contact.last_name in page_html(client, org.admin, account)


# ---------- Financial gating ----------

@pytest.fixture
def restricted_amounts(settings):
    settings.VINCULO = {**settings.VINCULO, "INVOICE_AMOUNTS_RESTRICTED": True}


def _billed(account):
    invoice = InvoiceFactory(account=account, number="F-GATED", issue_date=datetime.date(2026, 3, 2),
                             due_date=datetime.date(2026, 4, 1), amount=Decimal("4321987"))
    Payment.objects.create(account=account, invoice=invoice, paid_on=datetime.date(2026, 3, 20),
                           amount=Decimal("1234567"))
    invoice.balance = Decimal("3087420")
    invoice.status = Invoice.Status.PARTIALLY_PAID
    invoice.save()


@pytest.mark.usefixtures("restricted_amounts")
def test_invoice_amounts_are_hidden_without_the_permission_when_the_org_restricts_them(client, org):
    _billed(org.north_account)
    html = page_html(client, org.gerente_norte, org.north_account)
    assert "F-GATED" in html
    assert "1 overdue invoice" in html
    for amount in ("4321987", "1234567", "3087420"):
        assert en_money(Decimal(amount)) not in html
    assert "4,321,987" not in html and "4.321.987" not in html
    assert "shows only to people with access to financial data" in html


@pytest.mark.usefixtures("restricted_amounts")
def test_finance_user_sees_invoice_amounts_when_the_org_restricts_them(client, org):
    _billed(org.north_account)
    html = page_html(client, org.finance, org.north_account)
    for amount in ("4321987", "1234567", "3087420"):
        assert en_money(Decimal(amount)) in html


def test_invoice_amounts_are_shown_to_everyone_who_sees_the_account_by_default(client, org):
    _billed(org.north_account)
    html = page_html(client, org.vendedor_norte, org.north_account)
    assert en_money(Decimal("4321987")) in html
    assert "Financial information" not in html  # the account's own financial group stays restricted


# ---------- Query count ----------

def fill(account, owner, n):
    """`n` rows of every kind on the account's page, in bulk."""
    contacts = Contact.objects.bulk_create(
        Contact(account=account, owner=owner, first_name="Ana", last_name=f"Contacto {i:04d}") for i in range(n)
    )
    CustomerAsset.objects.bulk_create(
        CustomerAsset(account=account, product_name=f"Compresor {i}", sale_date=TODAY - datetime.timedelta(days=n - i),
                      contact=contacts[i]) for i in range(n)
    )
    Contract.objects.bulk_create(
        Contract(account=account, number=f"CT-{account.pk}-{i}", start_date=datetime.date(2024, 1, 1),
                 end_date=TODAY + datetime.timedelta(days=i * 3), contact=contacts[i]) for i in range(n)
    )
    invoices = Invoice.objects.bulk_create(
        Invoice(account=account, number=f"F-{i}-{account.pk}", issue_date=TODAY - datetime.timedelta(days=n - i),
                due_date=TODAY - datetime.timedelta(days=n - i - 30), amount=Decimal(1000 + i), balance=Decimal(500))
        for i in range(n)
    )
    Payment.objects.bulk_create(
        Payment(account=account, invoice=invoice, paid_on=invoice.issue_date, amount=Decimal(500)) for invoice in invoices
    )
    notes = Note.objects.bulk_create(
        Note(account=account, title=f"Nota {i}", body="Llamar en marzo.", contact=contacts[i], created_by=owner)
        for i in range(n)
    )
    for i, note in enumerate(notes):  # between the activities on the timeline
        note.created_at = NOW - datetime.timedelta(hours=i, minutes=30)
    Note.objects.bulk_update(notes, ["created_at"])
    ContentDelivery.objects.bulk_create(
        ContentDelivery(account=account, title=f"Catálogo {i}", delivered_on=TODAY - datetime.timedelta(days=n - i),
                        contact=contacts[i], delivered_by=owner) for i in range(n)
    )
    documents = Document.objects.bulk_create(
        Document(account=account, title=f"Documento {i}", updated_by=owner) for i in range(n)
    )
    for i, document in enumerate(documents):  # newest last, like the other lists
        document.updated_at = NOW - datetime.timedelta(hours=n - i)
    Document.objects.bulk_update(documents, ["updated_at"])
    DocumentVersion.objects.bulk_create(
        DocumentVersion(document=document, number=number, file=f"documents/x{document.pk}/{number}.pdf",
                        original_name="oferta.pdf", size=2048, content_type="application/pdf",
                        uploaded_by=owner, uploaded_at=NOW)
        for document in documents for number in (1, 2)
    )
    activities = Activity.objects.bulk_create(
        Activity(account=account, owner=owner, kind=Activity.Kind.values[i % 5], subject=f"Actividad {i}",
                 occurred_at=NOW - datetime.timedelta(hours=i)) for i in range(n)
    )
    Activity.contacts.through.objects.bulk_create(
        Activity.contacts.through(activity=activity, contact=contacts[i]) for i, activity in enumerate(activities)
    )
    if n:  # a contact of another account, linked to this one and named on the newest activity
        other = ContactFactory(account=AccountFactory(owner=owner))
        ContactAccountLink.objects.create(contact=other, account=account)
        activities[0].contacts.add(other)


def page_queries(client, user, account) -> int:
    cache.clear()  # count the org-default lookup too, as on a cold worker
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.status_code == 200
    return len(captured)


# 35 while every section came with the page; the sections loaded on demand (all but the timeline and the
# contacts) run their queries in their own fragments, and the page counts them all in one query (25). 23
# since the team and address forms come on demand (their user choices are not queried) and the linked
# contacts the viewer may see are found in one query.
MAX_PAGE_QUERIES = 23


@pytest.mark.parametrize("who", ["vendedor_norte", "gerente_norte", "finance"])
def test_account_page_runs_the_same_bounded_number_of_queries_with_0_or_500_rows_of_each_kind(
    client, org, who, django_assert_max_num_queries
):
    user = getattr(org, who)
    empty = AccountFactory(owner=org.vendedor_norte)
    one = AccountFactory(owner=org.vendedor_norte)
    full = AccountFactory(owner=org.vendedor_norte)
    fill(one, org.vendedor_norte, 1)
    fill(full, org.vendedor_norte, 500)
    assert Activity.objects.filter(account=full).count() == 500

    client.force_login(user)
    cache.clear()
    with django_assert_max_num_queries(MAX_PAGE_QUERIES):
        html = client.get(reverse("accounts:detail", args=[full.pk])).content.decode()
    assert html.count("(500)") == 7  # every related list
    assert "(501)" in html  # contacts, with the linked one
    assert "(1,000)" in html  # the timeline: activities and notes
    timeline = html[html.index('id="timeline"'):html.index('id="contacts"')]
    assert "Actividad 0" in timeline and "Nota 0" in timeline

    with_500 = page_queries(client, user, full)
    assert with_500 <= MAX_PAGE_QUERIES
    assert page_queries(client, user, empty) <= with_500
    # Rows fetched per list do not depend on how many there are: one row or 500 cost the same.
    assert page_queries(client, user, one) == with_500


def test_the_page_shows_the_timeline_and_contacts_and_a_placeholder_with_its_url_for_every_other_section(
    client, org
):
    account = org.north_account
    fill(account, org.vendedor_norte, 3)
    html = page_html(client, org.vendedor_norte, account, scrolled=False)
    timeline = html[html.index('id="timeline"'):html.index('id="contacts"')]
    assert "Actividad 0" in timeline and "(6)" in timeline  # 3 activities and 3 notes
    contacts = Contact.objects.filter(account=account).count() + 1  # and the linked one
    assert f"({contacts})" in html[html.index('id="contacts"'):]
    lazy = [section for section in page.sections() if section.lazy]
    assert {"timeline", "contacts"}.isdisjoint(section.key for section in lazy)
    assert placeholders(html) == {section.key: section.fragment_url(account) for section in lazy}
    for section in lazy:
        placeholder = html[html.index(f'id="{section.key}"'):]
        placeholder = placeholder[:placeholder.index("</section>")]
        assert 'hx-trigger="intersect once"' in placeholder
        # Without scripts, the link opens the page with the section shown.
        assert f'href="{account.get_absolute_url()}?{section.key}_page=1#{section.key}"' in placeholder
    # Their counts come from the one counts query, in the placeholders and the section links.
    for name in ("assets", "contracts", "invoices", "payments", "notes", "deliveries", "documents"):
        placeholder = html[html.index(f'id="{name}"'):]
        assert "(3)" in placeholder[:placeholder.index("</section>")], name
        assert f'href="#{name}">' in html
    assert "Compresor 0" not in html and "F-0-" not in html  # no row of a section loaded on demand


def test_the_plain_link_of_a_placeholder_shows_that_section_in_the_page(client, org):
    account = org.north_account
    fill(account, org.vendedor_norte, 3)
    html = page_html(client, org.vendedor_norte, account, "?invoices_page=1", scrolled=False)
    assert "invoices" not in placeholders(html) and "assets" in placeholders(html)
    assert "F-0-" in html[html.index('id="invoices"'):html.index('id="payments"')]


def test_every_section_fragment_refuses_an_account_the_user_cannot_see(client, org):
    account = org.north_account
    fill(account, org.vendedor_norte, 2)
    for user, status in ((org.vendedor_sur, 404), (org.vendedor_norte, 200)):
        client.force_login(user)
        for section in page.sections():
            response = client.get(section.fragment_url(account), HTTP_HX_REQUEST="true")
            assert response.status_code == status, (section.key, user)
            if status == 404:
                assert "Compresor" not in response.content.decode()


def test_renewal_alerts_show_at_the_top_while_the_contracts_load_on_demand(client, org):
    account = org.north_account
    ContractFactory(account=account, number="CT-SOON", end_date=TODAY + datetime.timedelta(days=20))
    html = page_html(client, org.vendedor_norte, account, scrolled=False)
    assert "contracts" in placeholders(html)
    alerts = html[html.index('class="c360-alerts"'):html.index('class="section-nav"')]
    assert "CT-SOON" in alerts


# Each fragment: the session, the user and their role (3), the org defaults on a cold worker (1), the account
# with what its page needs (1), its count and its page of rows (2), the user's permissions (1), and what the
# rows need (contacts of other accounts, the plans' figures and global objectives: a few).
MAX_FRAGMENT_QUERIES = 12


@pytest.mark.parametrize("who", ["vendedor_norte", "finance"])
def test_every_section_fragment_runs_a_bounded_number_of_queries_with_1_or_500_rows(
    client, org, who, django_assert_max_num_queries
):
    user = getattr(org, who)
    one = AccountFactory(owner=org.vendedor_norte)
    full = AccountFactory(owner=org.vendedor_norte)
    fill(one, org.vendedor_norte, 1)
    fill(full, org.vendedor_norte, 500)
    client.force_login(user)
    for section in page.sections():
        counted = {}
        for account in (one, full):
            cache.clear()  # count the org-default lookup too, as on a cold worker
            with CaptureQueriesContext(connection) as captured:
                response = client.get(section.fragment_url(account), HTTP_HX_REQUEST="true")
            assert response.status_code == 200
            counted[account] = len(captured)
        assert counted[full] <= MAX_FRAGMENT_QUERIES, section.key
        assert counted[one] == counted[full], section.key
        cache.clear()
        with django_assert_max_num_queries(MAX_FRAGMENT_QUERIES):
            client.get(section.fragment_url(full), HTTP_HX_REQUEST="true")


# ---------- In the browser ----------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rep_pages_filters_and_rolls_up_without_leaving_the_page(browser_page, org):
    from playwright.sync_api import expect

    page = browser_page
    parent = org.north_account
    child = AccountFactory(owner=org.vendedor_norte, parent=parent)
    fill(parent, org.vendedor_norte, 12)
    InvoiceFactory(account=child, number="F-CHILD", issue_date=TODAY, due_date=TODAY + datetime.timedelta(days=30),
                   amount=Decimal("7000000"))
    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    page.goto(reverse("accounts:detail", args=[parent.pk]))
    page.evaluate("window.notReloaded = true")

    timeline = page.locator("#timeline")
    expect(timeline.locator(".pager .muted")).to_have_text("1–10 of 24")
    timeline.get_by_role("link", name="Next →").click()
    expect(page.locator("#timeline .pager .muted")).to_have_text("11–20 of 24")
    page.locator("#timeline .kind-chip", has_text="Visits").click()
    expect(page.locator("#timeline .kind-chip[aria-current]")).to_have_text("Visits")
    expect(page.locator("#timeline .timeline-entry:not(.kind-visit)")).to_have_count(0)

    page.locator("#invoices").scroll_into_view_if_needed()  # loaded on demand, once in view
    page.locator("#invoices").get_by_role("link", name="Next →").click()
    expect(page.locator("#invoices .pager .muted")).to_have_text("11–12 of 12")

    this_month = page.locator("#sales .kpi-value").first
    before = this_month.inner_text()
    page.check("#sales input[name=rollup]")
    expect(page.locator("#sales h2")).to_contain_text("2 accounts")
    assert this_month.inner_text() != before
    assert page.url.endswith(f"/accounts/{parent.pk}/?rollup=1")
    assert page.evaluate("window.notReloaded") is True


@pytest.mark.parametrize("value", [str(2**31), str(2**63), str(10**30)])
def test_a_page_number_past_any_end_shows_each_sections_last_page(client, org, value):
    """Found by the probe of issue #9: 2^63 made an offset SQLite cannot hold (500)."""
    account = org.north_account
    for n in range(12):
        Activity.objects.create(subject=f"Llamada {n:02d}", owner=org.vendedor_norte, account=account,
                                kind=Activity.Kind.CALL, occurred_at=timezone.now() - datetime.timedelta(hours=n))
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("accounts:detail", args=[account.pk]),
                      {"timeline_page": value, "contacts_page": value, "invoices_page": value})
    assert page.status_code == 200
    timeline = page.content.decode()
    assert "Llamada 11" in timeline and "Llamada 00" not in timeline  # the second page of two
    fragment = client.get(reverse("accounts:timeline", args=[account.pk]), {"page": value}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "Llamada 11" in fragment.content.decode()
