"""Invoice pages: created through the services (the balance follows), payments reduce the balance,
over-payment is refused, overdue invoices stand out, amounts stay hidden where the org restricts them."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from vinculo.accounts import services
from vinculo.accounts.models import AccountTeamMember, Invoice, Payment

from .factories import InvoiceFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 16)


def url(name, *args):
    return reverse(f"accounts:{name}", args=args)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: datetime.datetime(2025, 6, 16, 12, tzinfo=datetime.timezone.utc))


@pytest.fixture
def invoice(org):
    return InvoiceFactory(account=org.north_account, number="F-1001", amount=Decimal("1234567"),
                          issue_date=TODAY, due_date=TODAY + datetime.timedelta(days=30))


@pytest.fixture
def restricted(settings):
    settings.VINCULO = {**settings.VINCULO, "INVOICE_AMOUNTS_RESTRICTED": True}


def pay(client, invoice, amount, **extra):
    data = {"paid_on": "2025-06-16", "amount": amount, "method": "transfer", "reference": "TRX-1", **extra}
    return client.post(url("payment_create", invoice.pk), data)


INVOICE = {"number": "F-2000", "issue_date": "2025-06-01", "due_date": "2025-07-01", "status": "issued",
           "amount": "500000", "currency": "CLP"}


def test_created_invoice_starts_with_its_whole_amount_unpaid(client, org):
    client.force_login(org.vendedor_norte)
    assert client.post(url("invoice_create", org.north_account.pk), INVOICE).status_code == 302
    invoice = Invoice.objects.get(number="F-2000")
    assert invoice.balance == Decimal("500000") and invoice.status == Invoice.Status.ISSUED


@pytest.mark.parametrize("changes, field", [
    ({"amount": "-10"}, "amount"),
    ({"due_date": "2025-05-01"}, "due_date"),
    ({"number": ""}, "number"),
    ({"amount": "mucho"}, "amount"),
])
def test_bad_invoice_input_names_the_field_and_stores_nothing(client, org, changes, field):
    client.force_login(org.vendedor_norte)
    response = client.post(url("invoice_create", org.north_account.pk), {**INVOICE, **changes})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not Invoice.objects.exists()


def test_duplicate_invoice_number_is_refused_on_the_number_field(client, org, invoice):
    client.force_login(org.vendedor_norte)
    response = client.post(url("invoice_create", org.north_account.pk), {**INVOICE, "number": invoice.number})
    assert list(response.context["form"].errors) == ["number"]
    assert "Another invoice already has this number." in response.content.decode()
    assert Invoice.objects.count() == 1


def test_payments_reduce_the_balance_and_are_listed(client, org, invoice):
    client.force_login(org.vendedor_norte)
    response = pay(client, invoice, "234567")
    assert response.status_code == 302 and response["Location"] == invoice.get_absolute_url()
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("1000000") and invoice.status == Invoice.Status.PARTIALLY_PAID
    page = client.get(invoice.get_absolute_url())
    html = page.content.decode()
    assert "TRX-1" in html and "234,567" in html
    assert page.context["payment_form"]["amount"].value() == Decimal("1000000")


def test_over_payment_is_refused_with_a_message_naming_the_amount(client, org, invoice):
    client.force_login(org.vendedor_norte)
    response = pay(client, invoice, "2000000")
    assert response.status_code == 200
    form = response.context["payment_form"]
    assert list(form.errors) == ["amount"]
    assert "larger than the unpaid balance" in form.errors["amount"][0]
    html = response.content.decode()
    assert 'href="#id_amount"' in html and "field-error" in html
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("1234567")
    assert not Payment.all_objects.exists()


def test_paying_in_full_marks_the_invoice_paid_and_removes_the_payment_form(client, org, invoice):
    client.force_login(org.vendedor_norte)
    pay(client, invoice, "1234567")
    invoice.refresh_from_db()
    assert invoice.balance == 0 and invoice.status == Invoice.Status.PAID
    page = client.get(invoice.get_absolute_url())
    assert page.context["payment_form"] is None
    assert url("payment_create", invoice.pk) not in page.content.decode()


def test_removing_a_payment_restores_the_balance(client, org, invoice):
    client.force_login(org.vendedor_norte)
    pay(client, invoice, "1234567")
    payment = Payment.objects.get()
    response = client.post(url("payment_delete", payment.pk))
    assert response.status_code == 302 and response["Location"] == invoice.get_absolute_url()
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("1234567") and invoice.status == Invoice.Status.ISSUED
    assert not Payment.objects.exists()


def test_outsider_and_reader_cannot_register_or_remove_payments(client, org, invoice):
    payment = Payment(invoice=invoice, paid_on=TODAY, amount=Decimal("100"))
    services.register_payment(payment, by=org.vendedor_norte)
    client.force_login(org.vendedor_sur)
    assert pay(client, invoice, "100").status_code == 404
    assert client.post(url("payment_delete", payment.pk)).status_code == 404
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur)
    assert pay(client, invoice, "100").status_code == 403
    assert client.post(url("payment_delete", payment.pk)).status_code == 403
    html = client.get(invoice.get_absolute_url()).content.decode()
    assert url("payment_create", invoice.pk) not in html and url("payment_delete", payment.pk) not in html
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("1234467") and Payment.objects.count() == 1


def test_editing_the_amount_recomputes_the_balance(client, org, invoice):
    services.register_payment(Payment(invoice=invoice, paid_on=TODAY, amount=Decimal("234567")), by=org.vendedor_norte)
    invoice.refresh_from_db()
    client.force_login(org.vendedor_norte)
    form = client.get(url("invoice_edit", invoice.pk)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(amount="534567", issue_date="2025-06-16", due_date="2025-07-16")
    assert client.post(url("invoice_edit", invoice.pk), data).status_code == 302
    invoice.refresh_from_db()
    assert invoice.amount == Decimal("534567") and invoice.balance == Decimal("300000")
    assert invoice.status == Invoice.Status.PARTIALLY_PAID


def test_overdue_invoices_are_highlighted_and_filtered(client, org, invoice):
    late = InvoiceFactory(account=org.north_account, number="F-LATE", due_date=TODAY - datetime.timedelta(days=5))
    InvoiceFactory(account=org.north_account, number="F-PAIDLATE", due_date=TODAY - datetime.timedelta(days=5),
                   balance=0, status=Invoice.Status.PAID)
    client.force_login(org.vendedor_norte)
    listing = client.get(url("invoice_list"))
    rows = {record.number: record.overdue for record in listing.context["object_list"]}
    assert rows == {"F-1001": False, "F-LATE": True, "F-PAIDLATE": False}
    assert listing.content.decode().count('class="row-danger"') == 1
    overdue = client.get(url("invoice_list"), {"balance": "overdue"}).context["object_list"]
    assert [record.number for record in overdue] == ["F-LATE"]
    unpaid = client.get(url("invoice_list"), {"balance": "unpaid"}).context["object_list"]
    assert {record.number for record in unpaid} == {"F-1001", "F-LATE"}
    page = client.get(late.get_absolute_url()).content.decode()
    assert "status-overdue" in page and "alert-error" in page


# ---------- Amounts as restricted financial data ----------

def test_restricted_amounts_are_hidden_everywhere_without_the_permission(client, org, invoice, restricted):
    services.register_payment(Payment(invoice=invoice, paid_on=TODAY, amount=Decimal("34567"), reference="TRX-9"),
                              by=org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    listing = client.get(url("invoice_list"))
    assert "F-1001" in listing.content.decode()
    assert {header["column"].name for header in listing.context["headers"]}.isdisjoint({"amount", "balance"})
    assert client.get(url("invoice_list"), {"sort": "-amount"}).status_code == 200
    page = client.get(invoice.get_absolute_url())
    html = page.content.decode()
    assert "TRX-9" in html  # the payment is listed, without its amount
    for amount in ("1,234,567", "1,200,000", "34,567", "1234567", "34567"):
        assert amount not in html
    assert page.context["payment_form"] is None
    assert pay(client, invoice, "100").status_code == 403
    assert client.post(url("payment_delete", Payment.objects.get().pk)).status_code == 403
    assert 'name="amount"' not in client.get(url("invoice_edit", invoice.pk)).content.decode()


def test_restricted_amount_changes_are_left_out_of_the_history(client, org, invoice, restricted):
    invoice.amount = Decimal("7654321")
    services.update_invoice(invoice, by=org.admin)
    client.force_login(org.vendedor_norte)
    assert "7654321" not in client.get(invoice.get_absolute_url()).content.decode()
    client.force_login(org.finance)
    html = client.get(invoice.get_absolute_url()).content.decode()
    assert "7654321" in html and "7,654,321" in html


def test_users_with_the_permission_see_restricted_amounts(client, org, invoice, restricted):
    client.force_login(org.finance)
    assert "1,234,567" in client.get(url("invoice_list")).content.decode()
    assert "1,234,567" in client.get(invoice.get_absolute_url()).content.decode()


def test_saving_without_seeing_the_amount_keeps_it(client, org, invoice, restricted):
    client.force_login(org.vendedor_norte)
    form = client.get(url("invoice_edit", invoice.pk)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(external_ref="ERP-77", amount="1", issue_date="2025-06-16", due_date="2025-07-16")
    assert client.post(url("invoice_edit", invoice.pk), data).status_code == 302
    invoice.refresh_from_db()
    assert invoice.external_ref == "ERP-77" and invoice.amount == Decimal("1234567")
