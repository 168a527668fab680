"""Every boundary of the sales rules that count days or rows, with the clock frozen on Tuesday 10 March 2026
(noon in Santiago) and every date and number written by hand:

- a board column shows at most 30 cards, the rest counted in a "more in the list" link;
- an open deal is past its close date from the day after it (closing today is not late);
- a quote is valid 30 days by default; a draft whose validity ended yesterday is not sent, one valid until
  today is; a revision keeps its validity in days (at least one day); a quote cannot expire before its date.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from vinculo.core.tests.api_client import ApiClient
from vinculo.sales import quoting
from vinculo.sales.models import Opportunity, PipelineStage, Quote

from .factories import OpportunityFactory
from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)
from .quote_fixtures import make_quote

pytestmark = pytest.mark.django_db

D = datetime.date
YESTERDAY, TODAY, TOMORROW = D(2026, 3, 9), D(2026, 3, 10), D(2026, 3, 11)


def first_stage():
    return PipelineStage.objects.filter(is_active=True).order_by("order").first()


def get(client, user, path, **params):
    client.force_login(user)
    response = client.get(path, params)
    assert response.status_code == 200
    return response


# ---------- Board: 30 cards a column ----------

@pytest.mark.parametrize("deals, cards, more", [(29, 29, 0), (30, 30, 0), (31, 30, 1)])
def test_a_board_column_shows_at_most_30_cards_and_counts_the_rest(client, org, frozen, deals, cards, more):
    stage = first_stage()
    Opportunity.objects.bulk_create([
        OpportunityFactory.build(account=org.north_account, owner=org.vendedor_norte, stage=stage,
                                 name=f"Negocio {n:02d}", expected_close_date=D(2026, 4, 1) + datetime.timedelta(days=n))
        for n in range(deals)
    ])
    response = get(client, org.vendedor_norte, reverse("sales:opportunity_board"))
    column = next(column for column in response.context["columns"] if column["stage"] == stage)
    assert (len(column["cards"]), column["more"], column["total"].count) == (cards, more, deals)
    html = response.content.decode()
    assert ("1 more in the list" in html) is (more == 1)
    # The soonest to close are on the board: of 31, the one closing last is left out.
    assert [card.name for card in column["cards"]] == [f"Negocio {n:02d}" for n in range(cards)]


# ---------- A deal past its close date ----------

CLOSING = {"Cierra ayer": YESTERDAY, "Cierra hoy": TODAY, "Cierra mañana": TOMORROW}
LATE = ["Cierra ayer"]


@pytest.fixture
def closing_deals(org):
    return {name: OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name=name,
                                     stage=first_stage(), expected_close_date=day)
            for name, day in CLOSING.items()}


def row_of(html: str, text: str) -> str:
    at = html.index(text)
    return html[html.rindex("<tr", 0, at):html.index("</tr>", at)]


def test_board_marks_only_the_card_whose_close_date_was_yesterday(client, org, frozen, closing_deals):
    response = get(client, org.vendedor_norte, reverse("sales:opportunity_board"))
    cards = [card for column in response.context["columns"] for card in column["cards"]]
    assert {card.name: card.overdue for card in cards} == {"Cierra ayer": True, "Cierra hoy": False,
                                                           "Cierra mañana": False}
    assert response.content.decode().count('class="deal-date overdue"') == 1


def test_list_marks_only_the_deal_whose_close_date_was_yesterday(client, org, frozen, closing_deals):
    html = get(client, org.vendedor_norte, reverse("sales:opportunity_list")).content.decode()
    late = [name for name in CLOSING if "overdue-date" in row_of(html, name)]
    assert late == LATE


@pytest.mark.parametrize("name", CLOSING)
def test_deal_page_marks_the_close_date_late_only_from_the_day_after(client, org, frozen, closing_deals, name):
    html = get(client, org.vendedor_norte, closing_deals[name].get_absolute_url()).content.decode()
    assert ("overdue-date" in html) is (name in LATE)


def test_a_closed_deal_is_never_late(client, org, frozen):
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Ganado ayer",
                              expected_close_date=YESTERDAY, status=Opportunity.Status.WON, closed_on=YESTERDAY)
    assert "overdue-date" not in get(client, org.vendedor_norte, deal.get_absolute_url()).content.decode()


# ---------- Quote validity ----------

def test_a_new_quote_is_valid_30_days_by_default(org, deal, frozen, client):
    assert quoting.create_quote(deal, org.vendedor_norte).valid_until == D(2026, 4, 9)  # 10 March + 30 days
    issued = quoting.create_quote(deal, org.vendedor_norte, issued_on=D(2026, 1, 31))
    assert issued.valid_until == D(2026, 3, 2)  # 31 January + 30 days, across February
    form = get(client, org.vendedor_norte, reverse("sales:quote_create"), opportunity=deal.pk).context["form"]
    assert (form.initial["issued_on"], form.initial["valid_until"]) == (TODAY, D(2026, 4, 9))
    body = ApiClient(org.vendedor_norte).post("/quotes", {"opportunity": deal.pk}).json()
    assert body["valid_until"] == "2026-04-09"


@pytest.mark.parametrize("valid_until, sent", [(YESTERDAY, False), (TODAY, True), (TOMORROW, True)])
def test_a_draft_is_sent_while_valid_including_its_last_day(org, deal, catalogue, frozen, valid_until, sent):
    quote = make_quote(deal, org.vendedor_norte, catalogue, issued_on=D(2026, 2, 1), valid_until=valid_until)
    if sent:
        quoting.send_quote(quote, org.vendedor_norte)
    else:
        with pytest.raises(ValidationError) as refused:
            quoting.send_quote(quote, org.vendedor_norte)
        assert list(refused.value.message_dict) == ["valid_until"]
    assert Quote.objects.get(pk=quote.pk).status == (Quote.Status.SENT if sent else Quote.Status.DRAFT)


@pytest.mark.parametrize("valid_until, status", [(YESTERDAY, 422), (TODAY, 200)])
def test_the_api_sends_a_draft_valid_until_today_and_refuses_one_expired_yesterday(
        org, deal, catalogue, frozen, valid_until, status):
    quote = make_quote(deal, org.vendedor_norte, catalogue, issued_on=D(2026, 2, 1), valid_until=valid_until)
    response = ApiClient(org.vendedor_norte).post(f"/quotes/{quote.pk}/send", {"version": quote.version})
    assert response.status_code == status


@pytest.mark.parametrize("issued_on, valid_until, new_valid_until", [
    (D(2026, 2, 1), D(2026, 3, 3), D(2026, 4, 9)),  # 30 days of validity → 10 March + 30
    (D(2026, 3, 1), D(2026, 3, 2), D(2026, 3, 11)),  # 1 day → 1 day
    (D(2026, 3, 10), D(2026, 3, 10), D(2026, 3, 11)),  # valid only on its own date → still 1 day
])
def test_a_revision_is_dated_today_and_keeps_its_validity_in_days(org, deal, catalogue, frozen, issued_on,
                                                                  valid_until, new_valid_until):
    quote = make_quote(deal, org.vendedor_norte, catalogue, issued_on=issued_on, valid_until=valid_until)
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.SENT)  # sent back when it was still valid
    revision = quoting.revise_quote(Quote.objects.get(pk=quote.pk), org.vendedor_norte)
    assert (revision.issued_on, revision.valid_until) == (TODAY, new_valid_until)


@pytest.mark.parametrize("valid_until, accepted", [(D(2026, 3, 9), False), (D(2026, 3, 10), True)])
def test_a_quote_may_expire_on_its_own_date_but_not_before(org, deal, frozen, valid_until, accepted):
    if accepted:
        assert quoting.create_quote(deal, org.vendedor_norte, issued_on=TODAY, valid_until=valid_until).pk
    else:
        with pytest.raises(ValidationError) as refused:
            quoting.create_quote(deal, org.vendedor_norte, issued_on=TODAY, valid_until=valid_until)
        assert "valid_until" in refused.value.message_dict
        assert not Quote.all_objects.exists()


def test_quote_amounts_in_the_api_are_rounded_tax_on_rounded_net(org, deal, frozen):
    """The rounding order reaches stored lines: 20,099 CLP −50% = 10,049.5 → 10,050; 19% = 1,909.5 → 1,910."""
    quote = quoting.create_quote(deal, org.vendedor_norte)
    quoting.add_line(quote, org.vendedor_norte, description="Mantención semestral", quantity=Decimal(1),
                     unit_price=Decimal("20099"), discount_percent=Decimal(50), tax_rate=Decimal(19))
    body = ApiClient(org.vendedor_norte).get(f"/quotes/{quote.pk}").json()
    line = body["lines"][0]
    assert (Decimal(line["net_amount"]), Decimal(line["tax_amount"]), Decimal(line["total_amount"])) == (
        Decimal("10050"), Decimal("1910"), Decimal("11960"))
    assert (Decimal(body["tax_total"]), Decimal(body["total"])) == (Decimal("1910"), Decimal("11960"))


# ---------- Date filters include both ends ----------

def test_close_date_filters_include_the_day_given(client, org, frozen, closing_deals):
    client.force_login(org.vendedor_norte)

    def listed(**query):
        return sorted(deal.name for deal in client.get(reverse("sales:opportunity_list"), query).context["object_list"])

    def answered(**query):
        return sorted(item["name"] for item in ApiClient(org.vendedor_norte).get("/opportunities", **query).json()["items"])

    assert listed(close_from="2026-03-10", close_to="2026-03-10") == ["Cierra hoy"]
    assert answered(close_from="2026-03-10", close_to="2026-03-10") == ["Cierra hoy"]
    assert listed(close_from="2026-03-10") == answered(close_from="2026-03-10") == ["Cierra hoy", "Cierra mañana"]
    assert listed(close_to="2026-03-10") == answered(close_to="2026-03-10") == ["Cierra ayer", "Cierra hoy"]


def test_quote_date_filters_include_the_day_given(client, org, deal, frozen):
    for issued in (YESTERDAY, TODAY, TOMORROW):
        quoting.create_quote(deal, org.vendedor_norte, issued_on=issued, notes=issued.isoformat())
    client.force_login(org.vendedor_norte)

    def listed(**query):
        return sorted(quote.notes for quote in client.get(reverse("sales:quote_list"), query).context["object_list"])

    def answered(**query):
        return sorted(item["notes"] for item in ApiClient(org.vendedor_norte).get("/quotes", **query).json()["items"])

    assert listed(issued_from="2026-03-10", issued_to="2026-03-10") == ["2026-03-10"]
    assert answered(issued_from="2026-03-10", issued_to="2026-03-10") == ["2026-03-10"]
    assert listed(issued_from="2026-03-10") == answered(issued_from="2026-03-10") == ["2026-03-10", "2026-03-11"]
    assert listed(issued_to="2026-03-10") == answered(issued_to="2026-03-10") == ["2026-03-09", "2026-03-10"]
