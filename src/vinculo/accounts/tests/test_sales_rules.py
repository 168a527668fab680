"""The rules of an account's sales figures, as a rep reads them on the account page.

- Sales are issued invoices by issue date: this month, this quarter (January, April, July or October
  onwards), this year, last year, and last year up to today's date ("same period last year"; on 29
  February that is 28 February). Nothing dated after today counts, nor anything before January of last
  year. The chart shows the last twelve months, this one included.
- An invoice in another currency counts at the rate in force on the last day of its month (today's for
  this month); what is still owed counts at today's rate. Converted figures are rounded half up to the
  currency's minor unit once per month. A currency without a rate is left out and named.
Every date and amount below is written out by hand. Amounts use one digit position per invoice, so a
total shows which invoices it took.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vinculo.accounts.models import Invoice
from vinculo.accounts.sales import account_ids, sales_summary
from vinculo.org.models import ExchangeRate

from .factories import AccountFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 5, 15)


@pytest.fixture(autouse=True)
def base_currency_clp(settings):
    settings.VINCULO = {**settings.VINCULO, "BASE_CURRENCY": "CLP"}


@pytest.fixture
def account(org):
    return AccountFactory(owner=org.vendedor_norte, currency="CLP")


def sale(account, issued, amount, currency="CLP", balance="0", due=None, status=Invoice.Status.PAID):
    """An invoice; paid unless `balance` says what is still owed."""
    balance = Decimal(balance)
    if balance and status == Invoice.Status.PAID:
        status = Invoice.Status.ISSUED
    return InvoiceFactory(account=account, issue_date=issued, due_date=due or issued + datetime.timedelta(days=30),
                          amount=Decimal(amount), currency=currency, balance=balance, status=status)


def rate(currency, day, value):
    ExchangeRate.objects.create(currency=currency, date=day, rate=Decimal(value))


def figures(summary):
    return {"month": summary.month, "quarter": summary.quarter, "year": summary.year,
            "previous_year_to_date": summary.previous_year_to_date, "previous_year": summary.previous_year}


# ---------- Periods ----------

def test_each_invoice_counts_in_the_periods_its_date_falls_in(account):
    sale(account, D(2026, 5, 15), "1")  # today
    sale(account, D(2026, 5, 1), "20")  # first day of this month
    sale(account, D(2026, 4, 1), "300")  # first day of this quarter
    sale(account, D(2026, 3, 31), "4000")  # last day of the previous quarter
    sale(account, D(2026, 1, 1), "50000")  # first day of this year
    sale(account, D(2026, 5, 16), "8")  # tomorrow: not sold yet
    sale(account, D(2025, 1, 1), "600000")  # first day of last year
    sale(account, D(2025, 5, 15), "7000000")  # same day last year: still the same period
    sale(account, D(2025, 5, 16), "80000000")  # the day after: last year, not the same period
    sale(account, D(2025, 12, 31), "900000000")  # last day of last year
    sale(account, D(2024, 12, 31), "5")  # before January of last year: counts nowhere
    summary = sales_summary([account.pk], TODAY, "CLP")
    assert figures(summary) == {
        "month": Decimal("21"),
        "quarter": Decimal("321"),
        "year": Decimal("54321"),
        "previous_year_to_date": Decimal("7600000"),
        "previous_year": Decimal("987600000"),
    }
    assert summary.last_12_months == [
        (D(2025, 6, 1), 0), (D(2025, 7, 1), 0), (D(2025, 8, 1), 0), (D(2025, 9, 1), 0), (D(2025, 10, 1), 0),
        (D(2025, 11, 1), 0), (D(2025, 12, 1), Decimal("900000000")), (D(2026, 1, 1), Decimal("50000")),
        (D(2026, 2, 1), 0), (D(2026, 3, 1), Decimal("4000")), (D(2026, 4, 1), Decimal("300")),
        (D(2026, 5, 1), Decimal("21")),
    ]
    assert summary.best_month == Decimal("900000000")
    assert (summary.outstanding, summary.overdue, summary.overdue_count) == (0, 0, 0)


def test_only_the_accounts_asked_for_count(org, account):
    other = AccountFactory(owner=org.vendedor_norte)
    sale(account, D(2026, 5, 4), "1000", balance="1000")
    sale(other, D(2026, 5, 4), "20000", balance="20000")
    assert (sales_summary([account.pk], TODAY).month, sales_summary([account.pk], TODAY).outstanding) == (
        Decimal("1000"), Decimal("1000"))
    both = sales_summary([account.pk, other.pk], TODAY)
    assert (both.month, both.outstanding) == (Decimal("21000"), Decimal("21000"))


# An invoice of 10^(m-1) pesos on the first day of every month m of 2026.
MONTHLY = {month: Decimal(10) ** (month - 1) for month in range(1, 13)}


@pytest.mark.parametrize("today, quarter, year", [
    (D(2026, 1, 31), "1", "1"),
    (D(2026, 3, 31), "111", "111"),  # January + February + March
    (D(2026, 4, 1), "1000", "1111"),  # a new quarter starts in April
    (D(2026, 6, 30), "111000", "111111"),
    (D(2026, 7, 1), "1000000", "1111111"),
    (D(2026, 9, 30), "111000000", "111111111"),
    (D(2026, 10, 1), "1000000000", "1111111111"),
    (D(2026, 12, 31), "111000000000", "111111111111"),
])
def test_quarters_start_in_january_april_july_and_october(account, today, quarter, year):
    for month, amount in MONTHLY.items():
        sale(account, D(2026, month, 1), amount)
    summary = sales_summary([account.pk], today, "CLP")
    assert (summary.month, summary.quarter, summary.year) == (
        MONTHLY[today.month], Decimal(quarter), Decimal(year))


@pytest.mark.parametrize("today, first, last", [
    (D(2026, 1, 10), D(2025, 2, 1), D(2026, 1, 1)),  # the chart crosses the new year
    (D(2026, 11, 30), D(2025, 12, 1), D(2026, 11, 1)),
    (D(2026, 12, 31), D(2026, 1, 1), D(2026, 12, 1)),  # December: the chart is this calendar year
])
def test_the_chart_shows_the_twelve_months_ending_with_this_one(account, today, first, last):
    months = [month for month, _total in sales_summary([account.pk], today, "CLP").last_12_months]
    assert len(months) == 12 and (months[0], months[-1]) == (first, last)
    assert all(month.day == 1 for month in months)
    assert len(set(months)) == 12 and months == sorted(months)


def test_on_29_february_the_same_period_last_year_ends_on_28_february(account):
    sale(account, D(2027, 1, 15), "1")
    sale(account, D(2027, 2, 28), "20")  # last day of February 2027
    sale(account, D(2027, 3, 1), "300")
    sale(account, D(2028, 2, 29), "4000")
    summary = sales_summary([account.pk], D(2028, 2, 29), "CLP")
    assert (summary.previous_year_to_date, summary.previous_year, summary.month, summary.year) == (
        Decimal("21"), Decimal("321"), Decimal("4000"), Decimal("4000"))


@pytest.mark.parametrize("this_year, change", [
    ("150000", Decimal("25")),  # 150,000 against 120,000: +25 %
    ("90000", Decimal("-25")),
    ("120000", Decimal("0")),
])
def test_change_against_the_same_period_last_year_in_percent(account, this_year, change):
    sale(account, D(2025, 3, 10), "120000")
    sale(account, D(2025, 6, 10), "999999")  # after the same day last year: not compared
    sale(account, D(2026, 3, 10), this_year)
    assert sales_summary([account.pk], TODAY, "CLP").year_over_year == change


def test_no_change_is_given_without_sales_in_the_same_period_last_year(account):
    sale(account, D(2025, 6, 10), "999999")  # last year, but after 15 May: not compared
    sale(account, D(2026, 3, 10), "150000")
    summary = sales_summary([account.pk], TODAY, "CLP")
    assert summary.previous_year == Decimal("999999") and summary.year_over_year is None


def test_an_account_without_invoices_has_zero_everywhere(account):
    summary = sales_summary([account.pk], TODAY)
    assert summary.currency == "CLP"  # the base currency when none is asked for
    assert figures(summary) == dict.fromkeys(figures(summary), 0)
    assert [total for _month, total in summary.last_12_months] == [0] * 12
    assert (summary.best_month, summary.year_over_year, summary.unconverted) == (0, None, [])
    assert (summary.outstanding, summary.overdue, summary.overdue_count) == (0, 0, 0)


# ---------- Balances ----------

def test_outstanding_and_overdue_count_one_invoice_per_unpaid_invoice_in_any_currency(account):
    rate("USD", D(2026, 5, 1), "1000")
    sale(account, D(2026, 4, 1), "5000", balance="5000", due=D(2026, 5, 14))  # overdue since yesterday
    sale(account, D(2026, 4, 2), "10", currency="USD", balance="4", due=D(2026, 5, 1))  # overdue
    sale(account, D(2026, 4, 3), "2000", balance="2000", due=D(2026, 5, 15))  # due today: not overdue
    sale(account, D(2026, 4, 4), "300", due=D(2026, 4, 10))  # paid late: nothing owed
    summary = sales_summary([account.pk], TODAY, "CLP")
    assert (summary.outstanding, summary.overdue, summary.overdue_count) == (
        Decimal("11000"), Decimal("9000"), 2)


# ---------- Other currencies ----------

def test_other_currencies_count_at_their_months_rate_and_balances_at_todays(account):
    rate("USD", D(2026, 3, 31), "900")  # set on the last day of March: March's rate
    rate("USD", D(2026, 4, 1), "950")
    rate("USD", D(2026, 5, 15), "1000")  # today's
    rate("USD", D(2026, 5, 16), "2000")  # tomorrow's: not known yet
    sale(account, D(2026, 3, 5), "10", currency="USD")  # 10 × 900 = 9,000
    sale(account, D(2026, 4, 10), "10", currency="USD", balance="10", due=D(2026, 5, 10))  # 10 × 950 = 9,500
    sale(account, D(2026, 5, 2), "10", currency="USD")  # 10 × 1,000 = 10,000
    sale(account, D(2026, 5, 3), "5000", balance="5000", due=D(2026, 5, 14))
    sale(account, D(2026, 5, 4), "2000", balance="2000", due=D(2026, 6, 4))
    in_pesos = sales_summary([account.pk], TODAY, "CLP")
    assert figures(in_pesos) == {"month": Decimal("17000"), "quarter": Decimal("26500"), "year": Decimal("35500"),
                                 "previous_year_to_date": 0, "previous_year": 0}
    # The unpaid April invoice is owed at today's rate: 10 × 1,000.
    assert (in_pesos.outstanding, in_pesos.overdue, in_pesos.overdue_count) == (
        Decimal("17000"), Decimal("15000"), 2)
    assert in_pesos.currency == "CLP" and in_pesos.unconverted == []
    # In dollars: pesos at the same rates (7,000 pesos of May at 1,000 = 7 dollars).
    in_dollars = sales_summary([account.pk], TODAY, "USD")
    assert figures(in_dollars) == {"month": Decimal("17.00"), "quarter": Decimal("27.00"), "year": Decimal("37.00"),
                                   "previous_year_to_date": 0, "previous_year": 0}
    assert (in_dollars.outstanding, in_dollars.overdue) == (Decimal("17.00"), Decimal("15.00"))


def test_converted_months_are_rounded_half_up_to_whole_pesos_once_per_month(account):
    rate("USD", D(2025, 5, 1), "950.3")
    rate("EUR", D(2025, 5, 1), "1050.3")
    rate("CLF", D(2025, 5, 1), "39000.5")
    sale(account, D(2025, 5, 10), "1", currency="USD")
    sale(account, D(2025, 5, 11), "1", currency="EUR")
    # May 2025: 950.3 + 1,050.3 = 2,000.6 → 2,001 (rounding each first would give 950 + 1,050 = 2,000).
    summary = sales_summary([account.pk], TODAY, "CLP")
    assert (summary.previous_year_to_date, summary.previous_year) == (Decimal("2001"), Decimal("2001"))
    assert D(2025, 5, 1) not in dict(summary.last_12_months)  # May last year is outside the chart


def test_converted_balances_are_rounded_half_up_to_whole_pesos(account):
    rate("USD", D(2025, 5, 1), "950.3")
    rate("CLF", D(2025, 5, 1), "39000.5")
    # Issued before January of last year: owed, but no longer in the sales figures.
    sale(account, D(2024, 12, 1), "1", currency="USD", balance="1", due=D(2026, 6, 1))
    sale(account, D(2024, 12, 2), "1", currency="CLF", balance="1", due=D(2025, 1, 2))  # overdue
    summary = sales_summary([account.pk], TODAY, "CLP")
    # Owed: 950.3 + 39,000.5 = 39,950.8 → 39,951; overdue: 39,000.5 → 39,001 (half up).
    assert (summary.outstanding, summary.overdue, summary.overdue_count) == (Decimal("39951"), Decimal("39001"), 1)
    assert summary.year == 0 and summary.previous_year == 0


def test_a_currency_without_a_rate_is_left_out_and_named(account):
    rate("USD", D(2026, 4, 1), "1000")  # no dollar rate before April
    sale(account, D(2026, 3, 10), "10", currency="USD")  # no rate in March: left out
    sale(account, D(2026, 4, 10), "10", currency="USD")  # 10,000
    sale(account, D(2026, 4, 11), "10", currency="EUR", balance="10", due=D(2026, 6, 1))  # never a rate
    sale(account, D(2026, 5, 4), "300")
    summary = sales_summary([account.pk], TODAY, "CLP")
    assert (summary.month, summary.quarter, summary.year) == (Decimal("300"), Decimal("10300"), Decimal("10300"))
    assert summary.outstanding == 0
    assert summary.unconverted == ["EUR", "USD"]


@pytest.mark.parametrize("currency", ["CLP", "USD"])
def test_an_account_invoicing_in_one_currency_costs_two_queries(account, currency):
    rate("USD", D(2026, 5, 1), "1000")
    sale(account, D(2026, 5, 4), "300", currency=currency, balance="300", due=D(2026, 5, 10))
    with CaptureQueriesContext(connection) as queries:
        summary = sales_summary([account.pk], TODAY, currency)
    assert len(queries) == 2
    assert (summary.month, summary.overdue) == (Decimal("300"), Decimal("300"))


# ---------- The accounts of a roll-up ----------

def test_a_roll_up_takes_the_account_first_then_its_children_and_their_children(org, account):
    child = AccountFactory(owner=org.vendedor_norte, parent=account)
    second_child = AccountFactory(owner=org.vendedor_norte, parent=account)
    grandchild = AccountFactory(owner=org.vendedor_norte, parent=child)
    AccountFactory(owner=org.vendedor_norte, parent=org.north_account)  # someone else's child
    assert account_ids(account) == [account.pk]
    with_children = account_ids(account, include_children=True)
    assert with_children[0] == account.pk
    assert sorted(with_children) == sorted([account.pk, child.pk, second_child.pk, grandchild.pk])
    assert account_ids(grandchild, include_children=True) == [grandchild.pk]
