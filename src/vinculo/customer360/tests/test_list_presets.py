"""The predefined views of the contract and invoice lists, checked against records on both sides of their
boundaries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from vinculo.accounts.models import Invoice
from vinculo.accounts.tests.factories import InvoiceFactory
from vinculo.customer360.models import Contract
from vinculo.customer360.tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    moment = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(12)))
    monkeypatch.setattr("vinculo.core.clock.now", lambda: moment)


def _preset_link(client, url_name: str, slug: str) -> str:
    """The link the list's views menu gives the predefined view."""
    menu = client.get(reverse(url_name)).context["views_menu"]
    return next(preset["url"] for preset in menu["presets"] if f"preset={slug}" in preset["url"])


def test_contracts_expiring_in_60_days_run_from_today_to_day_60(client, org):
    days = datetime.timedelta
    for number, end, status in (
        ("ended yesterday", TODAY - days(1), Contract.Status.ACTIVE),
        ("ends today", TODAY, Contract.Status.ACTIVE),
        ("ends day 59", TODAY + days(59), Contract.Status.ACTIVE),
        ("ends day 60", TODAY + days(60), Contract.Status.ACTIVE),
        ("ends day 61", TODAY + days(61), Contract.Status.ACTIVE),
        ("terminated, ends day 30", TODAY + days(30), Contract.Status.TERMINATED),
    ):
        ContractFactory(account=org.north_account, number=number, end_date=end, status=status)
    ContractFactory(account=org.south_account, number="someone else's, day 10", end_date=TODAY + days(10))
    client.force_login(org.vendedor_norte)
    link = _preset_link(client, "accounts:contract_list", "expiring-60-days")
    numbers = {contract.number for contract in client.get(link).context["object_list"]}
    assert numbers == {"ends today", "ends day 59", "ends day 60"}


def test_overdue_invoices_are_billed_unpaid_and_due_before_today(client, org):
    days = datetime.timedelta
    for number, due, status, balance in (
        ("due yesterday", TODAY - days(1), Invoice.Status.ISSUED, Decimal("10")),
        ("partly paid, due last month", TODAY - days(31), Invoice.Status.PARTIALLY_PAID, Decimal("5")),
        ("due today", TODAY, Invoice.Status.ISSUED, Decimal("10")),
        ("paid, due last month", TODAY - days(31), Invoice.Status.PAID, Decimal("0")),
        ("draft, due last month", TODAY - days(31), Invoice.Status.DRAFT, Decimal("10")),
        ("cancelled, due last month", TODAY - days(31), Invoice.Status.CANCELLED, Decimal("10")),
    ):
        InvoiceFactory(account=org.north_account, number=number, issue_date=TODAY - days(60), due_date=due,
                       status=status, amount=Decimal("10"), balance=balance)
    InvoiceFactory(account=org.south_account, number="someone else's", issue_date=TODAY - days(60),
                   due_date=TODAY - days(2))
    client.force_login(org.vendedor_norte)
    link = _preset_link(client, "accounts:invoice_list", "overdue")
    numbers = {invoice.number for invoice in client.get(link).context["object_list"]}
    assert numbers == {"due yesterday", "partly paid, due last month"}
