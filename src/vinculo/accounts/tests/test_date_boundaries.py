"""Every day that decides a dated rule of accounts, on every channel that applies it.

The rules, as users read them:
- a contract's renewal is alerted from 30 days before its decision date (its expiry less its notice period)
  up to its expiry, while it is active: with the usual 30 days' notice from day 60 before expiry (day 60
  included, day 61 not, yesterday not), with 90 days' notice from day 120, with none from day 30;
- an invoice is overdue when it is issued, not fully paid, and its due date is before today (due today
  is not overdue yet);
- a contract's renewal must be decided by its expiry less its notice period.

"Today" is the local date of `core.clock`, frozen here at Friday 15 May 2026, noon in Santiago. Every date
below is written out by hand: 15 May + 59 days = 13 July (16 days to 31 May, 30 in June, 13 in July);
15 May + 120 days = 12 September (+ 31 in July, 31 in August, 12 in September).
"""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from vinculo.accounts.models import Invoice
from vinculo.accounts.sales import sales_summary
from vinculo.core import clock
from vinculo.core.tests.api_client import ApiClient
from vinculo.customer360.models import Contract
from vinculo.customer360.tests.factories import ContractFactory

from .factories import InvoiceFactory

pytestmark = pytest.mark.django_db

SANTIAGO = ZoneInfo("America/Santiago")
D = datetime.date


def at(monkeypatch, moment: datetime.datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: moment)


@pytest.fixture(autouse=True)
def frozen(monkeypatch, settings):
    settings.TIME_ZONE = "America/Santiago"
    at(monkeypatch, datetime.datetime(2026, 5, 15, 12, 0, tzinfo=SANTIAGO))


def get_html(client, user, path, **params):
    client.force_login(user)
    response = client.get(path, params)
    assert response.status_code == 200
    return response


def row_of(html: str, text: str) -> str:
    """The table row that contains `text`."""
    at_text = html.index(text)
    return html[html.rindex("<tr", 0, at_text):html.index("</tr>", at_text)]


def alerts_of(html: str) -> str:
    if 'class="c360-alerts"' not in html:
        return ""
    return html[html.index('class="c360-alerts"'):html.index('class="section-nav"')]


# ---------- Renewal window with the usual 30 days' notice: today … today + 60 days ----------

RENEWALS = {
    # number: (end date, status, due for renewal?); the factory's notice period, 30 days
    "CT-YESTERDAY": (D(2026, 5, 14), Contract.Status.ACTIVE, False),  # expired yesterday
    "CT-TODAY": (D(2026, 5, 15), Contract.Status.ACTIVE, True),  # day 0
    "CT-IN59": (D(2026, 7, 13), Contract.Status.ACTIVE, True),
    "CT-IN60": (D(2026, 7, 14), Contract.Status.ACTIVE, True),  # last day of the window
    "CT-IN61": (D(2026, 7, 15), Contract.Status.ACTIVE, False),  # first day outside
    "CT-ENDED": (D(2026, 6, 1), Contract.Status.TERMINATED, False),  # inside, but not active
}
DUE = ["CT-TODAY", "CT-IN59", "CT-IN60"]


@pytest.fixture
def contracts(org):
    return {
        number: ContractFactory(account=org.north_account, number=number, start_date=D(2025, 1, 1), end_date=end,
                                status=status)
        for number, (end, status, _due) in RENEWALS.items()
    }


def test_renewal_alerts_on_the_account_page_cover_day_0_to_day_60(client, org, contracts):
    html = get_html(client, org.vendedor_norte, org.north_account.get_absolute_url()).content.decode()
    alerts = alerts_of(html)
    assert "Contract renewals to decide" in alerts
    shown = [number for number in RENEWALS if number in alerts]
    assert shown == DUE
    assert "expires today" in alerts
    assert "in 59 days" in alerts and "in 60 days" in alerts
    assert "in 61 days" not in alerts


def test_no_renewal_alert_for_a_contract_expiring_on_day_61(client, org):
    ContractFactory(account=org.north_account, number="CT-IN61", end_date=D(2026, 7, 15))
    html = get_html(client, org.vendedor_norte, org.north_account.get_absolute_url()).content.decode()
    assert alerts_of(html) == ""


def section_of(client, user, account, name: str) -> str:
    """The account page's section `name`, which the page loads on demand from its fragment URL."""
    return get_html(client, user, reverse("accounts:related", args=[account.pk, name])).content.decode()


def test_account_page_contracts_list_flags_renewals_due_from_day_0_to_day_60(client, org, contracts):
    section = section_of(client, org.vendedor_norte, org.north_account, "contracts")
    flagged = [number for number in RENEWALS if "row-warning" in row_of(section, number)]
    assert flagged == DUE
    assert "expires in 60 days" in row_of(section, "CT-IN60")
    assert "expires today" in row_of(section, "CT-TODAY")
    # Renewals due lead the list, soonest first.
    assert [number for number in re.findall(r"CT-[A-Z0-9]+", section) if number in DUE][:3] == DUE


def test_contract_list_page_flags_renewals_due_from_day_0_to_day_60(client, org, contracts):
    response = get_html(client, org.vendedor_norte, reverse("accounts:contract_list"))
    flags = {contract.number: contract.renewal_due for contract in response.context["object_list"]}
    assert flags == {number: due for number, (_end, _status, due) in RENEWALS.items()}
    assert response.content.decode().count('class="row-warning"') == 3


@pytest.mark.parametrize("number", RENEWALS)
def test_contract_page_warns_of_the_renewal_only_inside_the_window(client, org, contracts, number):
    html = get_html(client, org.vendedor_norte, contracts[number].get_absolute_url()).content.decode()
    assert ("alert-warning" in html) is RENEWALS[number][2]


def test_expiring_within_60_days_filter_and_api_include_day_0_and_day_60_only(client, org, contracts):
    listed = get_html(client, org.vendedor_norte, reverse("accounts:contract_list"), expiring=60)
    assert sorted(contract.number for contract in listed.context["object_list"]) == sorted(DUE)
    items = ApiClient(org.vendedor_norte).get("/contracts", expiring_within=60).json()["items"]
    assert sorted(item["number"] for item in items) == sorted(DUE)
    assert sorted(Contract.objects.renewals_due(D(2026, 5, 15)).values_list("number", flat=True)) == sorted(DUE)


def test_api_flags_and_filters_the_renewals_due(org, contracts):
    api = ApiClient(org.vendedor_norte)
    flags = {item["number"]: item["renewal_due"] for item in api.get("/contracts", limit=50).json()["items"]}
    assert flags == {number: due for number, (_end, _status, due) in RENEWALS.items()}
    assert sorted(item["number"] for item in api.get("/contracts", renewal_due="true").json()["items"]) == sorted(DUE)
    assert len(api.get("/contracts", renewal_due="false").json()["items"]) == len(RENEWALS) - len(DUE)


def test_api_days_to_expiry_counts_from_today(org, contracts):
    items = ApiClient(org.vendedor_norte).get("/contracts", limit=50).json()["items"]
    days = {item["number"]: item["days_to_expiry"] for item in items}
    assert days == {"CT-YESTERDAY": -1, "CT-TODAY": 0, "CT-IN59": 59, "CT-IN60": 60, "CT-IN61": 61, "CT-ENDED": 17}


def test_the_window_moves_with_the_clock(client, org, monkeypatch):
    ContractFactory(account=org.north_account, number="CT-JULY15", end_date=D(2026, 7, 15))
    url = org.north_account.get_absolute_url()
    assert "CT-JULY15" not in alerts_of(get_html(client, org.vendedor_norte, url).content.decode())
    at(monkeypatch, datetime.datetime(2026, 5, 16, 9, 0, tzinfo=SANTIAGO))  # 15 July is now day 60
    assert "CT-JULY15" in alerts_of(get_html(client, org.vendedor_norte, url).content.decode())


# ---------- Each contract's own notice period: alerted from 30 days before expiry − notice days ----------

NOTICES = {
    # number: (end date, notice days, due for renewal today?) — the alert opens on end − notice − 30 days.
    "CT-N90-IN":  (D(2026, 9, 11), 90, True),  # decide by 13 June, alert from 14 May: inside
    "CT-N90-AT":  (D(2026, 9, 12), 90, True),  # decide by 14 June, alert from 15 May: its first day
    "CT-N90-OUT": (D(2026, 9, 13), 90, False),  # alert from 16 May: not yet
    "CT-N90-IN90": (D(2026, 8, 13), 90, True),  # 90 days to expiry, decide by today: a 60-day window would miss it
    "CT-N30-AT":  (D(2026, 7, 14), 30, True),  # decide by 14 June, alert from 15 May
    "CT-N30-OUT": (D(2026, 7, 15), 30, False),  # a 90-day notice would alert it; 30 days do not yet
    "CT-N0-AT":   (D(2026, 6, 14), 0, True),  # no notice: decide on the last day, alert from 15 May
    "CT-N0-OUT":  (D(2026, 6, 15), 0, False),
    "CT-N90-PAST": (D(2026, 6, 1), 90, True),  # decision date (3 March) passed: alerted until it expires
}


@pytest.fixture
def notices(org):
    return {
        number: ContractFactory(account=org.north_account, number=number, start_date=D(2025, 1, 1), end_date=end,
                                notice_days=notice)
        for number, (end, notice, _due) in NOTICES.items()
    }


def test_each_contract_is_alerted_from_30_days_before_its_own_decision_date(org, notices):
    today = D(2026, 5, 15)
    due = sorted(number for number, (_end, _notice, due) in NOTICES.items() if due)
    assert sorted(Contract.objects.renewals_due(today).values_list("number", flat=True)) == due
    assert {number: contract.renewal_due_on(today) for number, contract in notices.items()} == {
        number: due for number, (_end, _notice, due) in NOTICES.items()}


def test_every_channel_alerts_the_renewals_by_notice_period(client, org, notices):
    due = [number for number, (_end, _notice, due) in NOTICES.items() if due]
    listing = get_html(client, org.vendedor_norte, reverse("accounts:contract_list"))
    assert {contract.number: contract.renewal_due for contract in listing.context["object_list"]} == {
        number: due for number, (_end, _notice, due) in NOTICES.items()}
    items = ApiClient(org.vendedor_norte).get("/contracts", renewal_due="true", limit=50).json()["items"]
    assert sorted(item["number"] for item in items) == sorted(due)
    section = section_of(client, org.vendedor_norte, org.north_account, "contracts")
    assert sorted(number for number in NOTICES if "row-warning" in row_of(section + "</tr>", f">{number}<")) == sorted(due)


def test_the_alert_names_each_decision_date_soonest_first(client, org, notices):
    response = get_html(client, org.vendedor_norte, org.north_account.get_absolute_url())
    alerts = alerts_of(response.content.decode())
    # Five shown of six, by decision date: 3 March (passed), 15 May (today), 13 June, then two of 14 June.
    assert re.findall(r"CT-N[0-9A-Z-]+", alerts)[:3] == ["CT-N90-PAST", "CT-N90-IN90", "CT-N90-IN"]
    assert "decision was due March 3, 2026" in alerts
    assert "decide by May 15, 2026" in alerts and "decide by June 13, 2026" in alerts
    assert "90 days notice" in alerts
    assert "More renewals in the contracts list" in alerts


@pytest.mark.parametrize("moment, due", [
    (datetime.datetime(2026, 5, 14, 23, 59, tzinfo=SANTIAGO), False),  # the day before the alert opens
    (datetime.datetime(2026, 5, 15, 0, 1, tzinfo=SANTIAGO), True),  # end − 90 − 30 days
    (datetime.datetime(2026, 6, 14, 12, 0, tzinfo=SANTIAGO), True),  # the decision date
    (datetime.datetime(2026, 9, 12, 12, 0, tzinfo=SANTIAGO), True),  # the expiry
    (datetime.datetime(2026, 9, 13, 0, 1, tzinfo=SANTIAGO), False),  # expired
])
def test_a_90_day_notice_contract_is_alerted_from_120_days_before_expiry(client, org, monkeypatch, moment, due):
    contract = ContractFactory(account=org.north_account, number="CT-N90", end_date=D(2026, 9, 12), notice_days=90)
    at(monkeypatch, moment)
    assert Contract.objects.renewals_due(clock.today()).filter(pk=contract.pk).exists() is due
    assert ApiClient(org.vendedor_norte).get(f"/contracts/{contract.pk}").json()["renewal_due"] is due
    html = get_html(client, org.vendedor_norte, org.north_account.get_absolute_url()).content.decode()
    assert ("CT-N90" in alerts_of(html)) is due


# ---------- Notice period: the renewal is decided by expiry − notice days ----------

@pytest.mark.parametrize("end, notice, decide_by", [
    (D(2026, 6, 14), 30, D(2026, 5, 15)),  # decided today
    (D(2026, 6, 14), 0, D(2026, 6, 14)),  # no notice: decided on the last day
    (D(2026, 3, 1), 1, D(2026, 2, 28)),  # 2026 is not a leap year
    (D(2027, 1, 10), 365, D(2026, 1, 10)),
    (None, 30, None),  # open-ended: nothing to decide
])
def test_renewal_decision_date_is_expiry_less_notice_days(org, end, notice, decide_by):
    contract = ContractFactory(account=org.north_account, number="CT-NOTICE", start_date=D(2025, 1, 1),
                               end_date=end, notice_days=notice)
    assert contract.renewal_decision_date == decide_by
    data = ApiClient(org.vendedor_norte).get(f"/contracts/{contract.pk}").json()
    assert data["renewal_decision_date"] == (decide_by.isoformat() if decide_by else None)


def test_contract_page_names_the_decision_date(client, org):
    contract = ContractFactory(account=org.north_account, number="CT-NOTICE", end_date=D(2026, 6, 14), notice_days=30)
    response = get_html(client, org.vendedor_norte, contract.get_absolute_url())
    assert response.context["record"].renewal_decision_date == D(2026, 5, 15)
    html = response.content.decode()
    assert "Renewal to be decided by" in html and "Renewal decision by" in html


# ---------- Overdue: due before today, issued, not fully paid ----------

INVOICES = {
    # number: (due date, unpaid balance, overdue?)
    "F-DUE-YESTERDAY": (D(2026, 5, 14), Decimal("100000"), True),
    "F-DUE-TODAY": (D(2026, 5, 15), Decimal("20000"), False),
    "F-DUE-TOMORROW": (D(2026, 5, 16), Decimal("3000"), False),
}
# Only yesterday's 100,000 is past due; today's and tomorrow's are outstanding.
OVERDUE, OUTSTANDING = Decimal("100000"), Decimal("123000")


@pytest.fixture
def invoices(org):
    return {
        number: InvoiceFactory(account=org.north_account, number=number, issue_date=D(2026, 4, 15), due_date=due,
                               amount=balance, balance=balance, currency="CLP")
        for number, (due, balance, _overdue) in INVOICES.items()
    }


def test_sales_summary_counts_only_the_invoice_due_yesterday_as_overdue(org, invoices):
    summary = sales_summary([org.north_account.pk], D(2026, 5, 15), "CLP")
    assert (summary.overdue, summary.overdue_count, summary.outstanding) == (OVERDUE, 1, OUTSTANDING)


def test_account_page_alert_and_sales_panel_count_only_the_invoice_due_yesterday(client, org, invoices):
    response = get_html(client, org.vendedor_norte, org.north_account.get_absolute_url())
    summary = response.context["sales"].summary
    assert (summary.overdue, summary.overdue_count) == (OVERDUE, 1)
    alerts = alerts_of(response.content.decode())
    assert "1 overdue invoice" in alerts and "overdue invoices" not in alerts


def test_no_overdue_alert_for_an_invoice_due_today(client, org):
    InvoiceFactory(account=org.north_account, number="F-DUE-TODAY", issue_date=D(2026, 4, 15), due_date=D(2026, 5, 15))
    response = get_html(client, org.vendedor_norte, org.north_account.get_absolute_url())
    assert alerts_of(response.content.decode()) == ""
    assert response.context["sales"].summary.overdue == 0


def test_account_page_invoices_list_marks_only_the_invoice_due_yesterday(client, org, invoices):
    section = section_of(client, org.vendedor_norte, org.north_account, "invoices")
    marked = [number for number in INVOICES if "row-danger" in row_of(section, number)]
    assert marked == ["F-DUE-YESTERDAY"]
    assert "1 day overdue" in row_of(section, "F-DUE-YESTERDAY")


def test_invoice_list_page_flags_and_filters_only_the_invoice_due_yesterday(client, org, invoices):
    listing = get_html(client, org.vendedor_norte, reverse("accounts:invoice_list"))
    assert {invoice.number: invoice.overdue for invoice in listing.context["object_list"]} == {
        number: overdue for number, (_due, _balance, overdue) in INVOICES.items()}
    assert listing.content.decode().count('class="row-danger"') == 1
    overdue = get_html(client, org.vendedor_norte, reverse("accounts:invoice_list"), balance="overdue")
    assert [invoice.number for invoice in overdue.context["object_list"]] == ["F-DUE-YESTERDAY"]
    unpaid = get_html(client, org.vendedor_norte, reverse("accounts:invoice_list"), balance="unpaid")
    assert sorted(invoice.number for invoice in unpaid.context["object_list"]) == sorted(INVOICES)


@pytest.mark.parametrize("number", INVOICES)
def test_invoice_page_shows_the_overdue_badge_only_when_due_before_today(client, org, invoices, number):
    html = get_html(client, org.vendedor_norte, invoices[number].get_absolute_url()).content.decode()
    assert ("status-overdue" in html) is INVOICES[number][2]


def test_api_flags_and_filters_only_the_invoice_due_yesterday(org, invoices):
    api = ApiClient(org.vendedor_norte)
    assert {item["number"]: item["is_overdue"] for item in api.get("/invoices").json()["items"]} == {
        number: overdue for number, (_due, _balance, overdue) in INVOICES.items()}
    assert [item["number"] for item in api.get("/invoices", overdue="true").json()["items"]] == ["F-DUE-YESTERDAY"]
    assert sorted(item["number"] for item in api.get("/invoices", overdue="false").json()["items"]) == [
        "F-DUE-TODAY", "F-DUE-TOMORROW"]
    sales = api.get(f"/accounts/{org.north_account.pk}/sales").json()
    assert (Decimal(sales["overdue"]), sales["overdue_count"]) == (OVERDUE, 1)
    assert Decimal(sales["outstanding"]) == OUTSTANDING


def test_an_invoice_becomes_overdue_the_day_after_its_due_date(client, org, monkeypatch):
    invoice = InvoiceFactory(account=org.north_account, number="F-15MAY", issue_date=D(2026, 4, 15),
                             due_date=D(2026, 5, 15))
    # 23:30 on the due date in Santiago is already the 16th in UTC: still not overdue.
    at(monkeypatch, datetime.datetime(2026, 5, 15, 23, 30, tzinfo=SANTIAGO))
    assert invoice.is_overdue(clock.today()) is False
    assert not Invoice.objects.overdue(clock.today()).exists()
    assert ApiClient(org.vendedor_norte).get(f"/invoices/{invoice.pk}").json()["is_overdue"] is False
    at(monkeypatch, datetime.datetime(2026, 5, 16, 0, 30, tzinfo=SANTIAGO))
    assert ApiClient(org.vendedor_norte).get(f"/invoices/{invoice.pk}").json()["is_overdue"] is True
    assert sales_summary([org.north_account.pk], clock.today(), "CLP").overdue_count == 1


@pytest.mark.parametrize("status, balance, overdue", [
    (Invoice.Status.ISSUED, Decimal("0.01"), True),  # one cent unpaid is still owed
    (Invoice.Status.PARTIALLY_PAID, Decimal("500"), True),
    (Invoice.Status.PAID, Decimal("0"), False),
    (Invoice.Status.DRAFT, Decimal("1000"), False),  # not issued: nobody owes it yet
    (Invoice.Status.CANCELLED, Decimal("1000"), False),
])
def test_only_issued_unpaid_invoices_due_yesterday_are_overdue(org, status, balance, overdue):
    invoice = InvoiceFactory(account=org.north_account, number="F-LATE", issue_date=D(2026, 4, 15),
                             due_date=D(2026, 5, 14), amount=Decimal("1000"), balance=balance, status=status)
    assert invoice.is_overdue(D(2026, 5, 15)) is overdue
    assert Invoice.objects.overdue(D(2026, 5, 15)).exists() is overdue
    assert sales_summary([org.north_account.pk], D(2026, 5, 15), "CLP").overdue_count == (1 if overdue else 0)


# ---------- Sales periods: up to today; last year up to the same day ----------

def test_sales_count_an_invoice_issued_today_and_not_one_dated_tomorrow(org):
    for number, issued, amount in [("F-HOY", D(2026, 5, 15), Decimal("1000")), ("F-MANANA", D(2026, 5, 16),
                                                                                   Decimal("20"))]:
        InvoiceFactory(account=org.north_account, number=number, issue_date=issued, due_date=D(2026, 6, 30),
                       amount=amount, balance=Decimal(0), status=Invoice.Status.PAID)
    summary = sales_summary([org.north_account.pk], D(2026, 5, 15), "CLP")
    assert (summary.month, summary.quarter, summary.year) == (Decimal("1000"),) * 3


def test_last_year_to_date_ends_on_the_same_day_last_year(org):
    for number, issued, amount in [("F-ANTES", D(2025, 5, 14), Decimal("1")), ("F-MISMO", D(2025, 5, 15),
                                                                                Decimal("20")),
                                   ("F-DESPUES", D(2025, 5, 16), Decimal("300"))]:
        InvoiceFactory(account=org.north_account, number=number, issue_date=issued, due_date=D(2025, 6, 30),
                       amount=amount, balance=Decimal(0), status=Invoice.Status.PAID)
    summary = sales_summary([org.north_account.pk], D(2026, 5, 15), "CLP")
    assert (summary.previous_year_to_date, summary.previous_year) == (Decimal("21"), Decimal("321"))


def test_on_29_february_last_year_to_date_ends_on_28_february(org):
    for number, issued, amount in [("F-28", D(2027, 2, 28), Decimal("20")), ("F-1MAR", D(2027, 3, 1), Decimal("300"))]:
        InvoiceFactory(account=org.north_account, number=number, issue_date=issued, due_date=D(2027, 3, 31),
                       amount=amount, balance=Decimal(0), status=Invoice.Status.PAID)
    summary = sales_summary([org.north_account.pk], D(2028, 2, 29), "CLP")
    assert summary.previous_year_to_date == Decimal("20")


def test_a_new_invoice_is_dated_today_and_due_in_30_days(client, org):
    form = get_html(client, org.vendedor_norte, reverse("accounts:invoice_create", args=[org.north_account.pk]))
    initial = form.context["form"].initial
    assert (initial["issue_date"], initial["due_date"]) == (D(2026, 5, 15), D(2026, 6, 14))  # 16 + 14 days
