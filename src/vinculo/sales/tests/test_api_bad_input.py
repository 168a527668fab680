"""Sales input the API used to answer with a 500 (issue 9): winning a deal whose account is in the recycle bin,
and quote lines whose amount does not fit the stored amounts."""

import pytest
from django.utils import timezone

from vinculo.accounts.models import Account
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.sales import quoting
from vinculo.sales.models import Opportunity, QuoteLine

from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)
from .quote_fixtures import make_quote

pytestmark = pytest.mark.django_db


def to_the_recycle_bin(account):
    Account.all_objects.filter(pk=account.pk).update(deleted_at=timezone.now(), deleted_by=account.owner)


def test_closing_a_deal_as_won_whose_account_is_in_the_recycle_bin_is_refused(org, deal):
    org.north_account.account_type = Account.Type.PROSPECT
    org.north_account.save()
    to_the_recycle_bin(org.north_account)
    api = ApiClient(org.vendedor_norte)
    response = api.post(f"/opportunities/{deal.pk}/close", {"status": "won", "version": deal.version})
    assert response.status_code == 422
    assert "recycle bin" in response.json()["detail"][0]["message"]
    deal.refresh_from_db()
    assert deal.status == Opportunity.Status.OPEN
    account = Account.all_objects.get(pk=org.north_account.pk)
    assert account.account_type == Account.Type.PROSPECT and account.deleted_at is not None
    # Losing it needs no account: that still works.
    response = api.post(f"/opportunities/{deal.pk}/close", {"status": "lost", "reason": "competitor",
                                                             "version": deal.version})
    assert response.status_code == 200 and response.json()["status"] == "lost"


def test_accepting_a_quote_whose_account_is_in_the_recycle_bin_is_refused_and_changes_nothing(
        org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    to_the_recycle_bin(org.north_account)
    api = ApiClient(org.vendedor_norte)
    response = api.post(f"/quotes/{quote.pk}/accept", {"note": "OC 77"})
    assert response.status_code == 422 and "recycle bin" in response.json()["detail"][0]["message"]
    quote.refresh_from_db()
    deal.refresh_from_db()
    assert (quote.status, deal.status) == ("sent", Opportunity.Status.OPEN)
    # Accepting without winning the deal does not touch the account.
    response = api.post(f"/quotes/{quote.pk}/accept", {"mark_won": False})
    assert response.status_code == 200 and response.json()["status"] == "accepted"


# The stored line amounts have 18 digits, 2 of them decimals: an amount must stay under 10^16.

def test_a_line_whose_amount_overflows_is_refused_naming_the_quantity(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, lines=())
    api = ApiClient(org.vendedor_norte)
    # Quantity (11 integer digits) and unit price (14) each fit; their product (25 digits) does not.
    response = api.post(f"/quotes/{quote.pk}/lines", {"description": "Todo", "quantity": "99999999999",
                                                      "unit_price": "99999999999999", "tax_rate": "0"})
    assert response.status_code == 422 and error_fields(response) == {"quantity"}
    assert not QuoteLine.objects.filter(quote=quote).exists()


def test_a_line_just_under_the_limit_is_taken_and_one_at_it_is_refused(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, lines=())
    api = ApiClient(org.vendedor_norte)
    # 1000 × 9,999,999,999,999.99 = 9,999,999,999,999,990 < 10^16; 1000 × 10^13 = 10^16.
    under = api.post(f"/quotes/{quote.pk}/lines", {"description": "Casi", "quantity": "1000",
                                                   "unit_price": "9999999999999.99", "tax_rate": "0"})
    assert under.status_code == 201, under.json()
    assert under.json()["total"] == "9999999999999990"
    at = api.post(f"/quotes/{quote.pk}/lines", {"description": "Justo", "quantity": "1000",
                                                "unit_price": "10000000000000", "tax_rate": "0"})
    assert at.status_code == 422 and error_fields(at) == {"quantity"}


def test_lines_that_each_fit_but_overflow_the_quote_total_are_refused(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, lines=())
    api = ApiClient(org.vendedor_norte)
    line = {"description": "Mitad", "quantity": "1000", "unit_price": "9999999999999.99", "tax_rate": "0"}
    assert api.post(f"/quotes/{quote.pk}/lines", line).status_code == 201
    second = api.post(f"/quotes/{quote.pk}/lines", line)
    assert second.status_code == 422 and "too large" in second.json()["detail"][0]["message"]
    assert QuoteLine.objects.filter(quote=quote).count() == 1


def test_a_tax_that_pushes_the_line_total_over_is_refused(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, lines=())
    response = ApiClient(org.vendedor_norte).post(
        f"/quotes/{quote.pk}/lines", {"description": "Con IVA", "quantity": "1000",
                                      "unit_price": "9999999999999.99", "tax_rate": "19"})
    assert response.status_code == 422 and error_fields(response) == {"quantity"}
