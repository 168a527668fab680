"""The pipeline board: columns per stage with totals, cards capped per column, and moving a card with the
same permission and locking rules as the form."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.accounts.models import AccountTeamMember
from vinculo.core.models import ChangeLog
from vinculo.org.models import ExchangeRate
from vinculo.sales.models import Opportunity, PipelineStage
from vinculo.sales.views import opportunities as views

from .factories import OpportunityFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def stages():
    return list(PipelineStage.objects.filter(is_active=True).order_by("order"))


def board(client, user, query=""):
    client.force_login(user)
    response = client.get(reverse("sales:opportunity_board") + query)
    assert response.status_code == 200
    return response


def move(client, user, deal, stage, version=None, board_query="", htmx=True):
    client.force_login(user)
    data = {"stage": stage.pk, "version": deal.version if version is None else version}
    if htmx:
        data["board"] = board_query
    return client.post(reverse("sales:opportunity_move", args=[deal.pk]), data, headers=HTMX if htmx else {})


@pytest.fixture
def deal(org):
    return OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Flota de camiones")


def test_board_has_a_column_per_active_stage_with_its_open_deals(client, org, deal):
    first, second = stages()[:2]
    OpportunityFactory(account=org.north_account, name="Ganado ya", status=Opportunity.Status.WON,
                       closed_on=datetime.date(2026, 1, 5))
    second.is_active = False
    second.save()
    response = board(client, org.vendedor_norte)
    html = response.content.decode()
    assert [column["stage"] for column in response.context["columns"]] == stages()
    assert second.name not in html
    assert "Flota de camiones" in html
    assert "Ganado ya" not in html  # closed deals are not on the board


def test_a_card_shows_its_close_date_short_and_marks_it_overdue_when_past(client, org, monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.today", lambda: datetime.date(2026, 3, 10))
    OpportunityFactory(account=org.north_account, name="Vencida", expected_close_date=datetime.date(2026, 3, 9))
    OpportunityFactory(account=org.north_account, name="Hoy", expected_close_date=datetime.date(2026, 3, 10))
    OpportunityFactory(account=org.north_account, name="Misma fecha", expected_close_date=datetime.date(2026, 3, 9))
    html = board(client, org.vendedor_norte).content.decode()
    assert html.count('<time class="deal-date overdue" datetime="2026-03-09">2026-03-09</time>') == 2
    assert '<time class="deal-date" datetime="2026-03-10">2026-03-10</time>' in html


def test_column_totals_count_amount_and_weighted_in_the_users_currency(client, org):
    first = stages()[0]
    ExchangeRate.objects.create(currency="USD", date=datetime.date(2020, 1, 1), rate=Decimal("900"))
    OpportunityFactory(account=org.north_account, stage=first, probability=10, amount=Decimal("1000000"))
    OpportunityFactory(account=org.north_account, stage=first, probability=50, amount=Decimal("100"), currency="USD")
    column = board(client, org.vendedor_norte).context["columns"][0]
    assert column["total"].count == 2
    assert column["total"].amount == Decimal("1090000")
    assert column["total"].weighted == Decimal("100000") + Decimal("45000")


def test_board_filters_like_the_list(client, org, deal):
    other = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte2, name="Otro dueño")
    html = board(client, org.gerente_norte, f"?owner={org.vendedor_norte2.pk}").content.decode()
    assert other.name in html and deal.name not in html


def test_a_filtered_board_shows_each_viewer_their_own_cards_and_follows_a_moved_territory(client, org):
    """Its columns' query is compiled once for a user and their filters (core.compiled): a second view, another
    user with the same filter, and a territory moved under another all get the cards they should."""
    from vinculo.org.tests.factories import TerritoryFactory

    chile, peru = TerritoryFactory(name="Chile"), TerritoryFactory(name="Perú")
    norte = TerritoryFactory(name="Norte", parent=chile)
    for account, territory in ((org.north_account, norte), (org.south_account, chile)):
        account.territory = territory
        account.save()
    OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Camiones norte")
    OpportunityFactory(account=org.south_account, owner=org.vendedor_sur, name="Redes sur")

    def cards(user, territory):
        columns = board(client, user, f"?territory={territory.pk}").context["columns"]
        return sorted(card.name for column in columns for card in column["cards"])

    for _view in range(2):
        assert cards(org.vendedor_norte, chile) == ["Camiones norte"]
        assert cards(org.vendedor_sur, chile) == ["Redes sur"]  # same shape of user, same filter: their own
        assert cards(org.director, chile) == ["Camiones norte", "Redes sur"]
        assert cards(org.director, norte) == ["Camiones norte"]
    norte.parent = peru
    norte.save()
    assert cards(org.director, norte) == ["Camiones norte"]  # its path is another: so is the query
    assert cards(org.director, chile) == ["Redes sur"]
    assert cards(org.director, peru) == ["Camiones norte"]


def test_a_column_shows_a_bounded_number_of_cards_and_links_to_the_rest(client, org, monkeypatch):
    monkeypatch.setattr(views, "CARDS_PER_COLUMN", 3)
    first = stages()[0]
    for n in range(5):
        OpportunityFactory(account=org.north_account, stage=first, expected_close_date=datetime.date(2026, 1, n + 1))
    response = board(client, org.vendedor_norte)
    column = response.context["columns"][0]
    assert len(column["cards"]) == 3 and column["more"] == 2 and column["total"].count == 5
    # Closing soonest first.
    assert [card.expected_close_date.day for card in column["cards"]] == [1, 2, 3]
    assert f"stage={first.pk}" in column["list_url"] and "status=open" in column["list_url"]
    assert "2 more in the list" in response.content.decode()


def _queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("sales:opportunity_board")).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["vendedor_norte", "director", "admin"])
def test_board_runs_a_bounded_number_of_queries_with_few_or_many_deals(client, org, who, monkeypatch,
                                                                        django_assert_max_num_queries):
    monkeypatch.setattr(views, "CARDS_PER_COLUMN", 10)
    ExchangeRate.objects.create(currency="USD", date=datetime.date(2020, 1, 1), rate=Decimal("900"))
    user = getattr(org, who)
    for stage in stages():
        OpportunityFactory(account=org.north_account, stage=stage, currency="USD")
    _queries(client, user)  # warm the per-process caches (org defaults, content types)
    few = _queries(client, user)
    for stage in stages():
        OpportunityFactory.create_batch(15, account=org.north_account, stage=stage)
    with django_assert_max_num_queries(25):
        client.get(reverse("sales:opportunity_board"))
    assert _queries(client, user) == few


# ---------- Moving a card ----------

def test_move_puts_the_deal_in_the_stage_with_its_probability_and_records_history(client, org, deal):
    target = stages()[3]
    response = move(client, org.vendedor_norte, deal, target)
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == target and deal.probability == target.probability and deal.version == 2
    entry = ChangeLog.objects.filter(object_id=deal.pk, action=ChangeLog.Action.UPDATE).get()
    assert {change["field"] for change in entry.changes} == {"stage", "probability"}
    assert entry.user == org.vendedor_norte
    html = response.content.decode()
    assert 'id="board-columns"' in html and f"moved to {target.name}" in html
    # The re-rendered columns carry the new version, ready for the next move.
    assert f'data-version="{deal.version}"' in html


def test_move_by_a_read_only_user_is_refused_with_a_message_and_the_stage_stays(client, org, deal):
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_norte2,
                                     access=AccountTeamMember.Access.READ)
    response = move(client, org.vendedor_norte2, deal, stages()[2])
    assert response.status_code == 403
    assert "but not change it" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stages()[0] and deal.version == 1


def test_read_only_user_sees_the_card_but_it_is_not_draggable(client, org, deal):
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_norte2,
                                     access=AccountTeamMember.Access.READ)
    html = board(client, org.vendedor_norte2).content.decode()
    card = html[html.index(f'id="deal-{deal.pk}"'):]
    card = card[:card.index("</li>")]
    assert "draggable=\"true\"" not in card and "data-board-move" not in card
    assert 'draggable="true"' in board(client, org.vendedor_norte).content.decode()


def test_stale_move_gets_a_conflict_message_and_the_stage_stays(client, org, deal):
    read_version = deal.version
    deal.name = "Flota de camiones (ampliada)"
    from vinculo.core.services import update_record

    update_record(deal, by=org.gerente_norte)
    response = move(client, org.vendedor_norte, deal, stages()[2], version=read_version, board_query="owner=")
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed" in html and "Reload the board" in html and str(org.gerente_norte) in html
    deal.refresh_from_db()
    assert deal.stage == stages()[0] and deal.version == 2


def test_outsider_cannot_move_a_deal_they_cannot_see(client, org, deal):
    assert move(client, org.vendedor_sur, deal, stages()[2]).status_code == 404
    deal.refresh_from_db()
    assert deal.stage == stages()[0]


def test_a_closed_deal_or_an_unknown_stage_is_refused_with_422(client, org, deal):
    assert move(client, org.vendedor_norte, deal, PipelineStage(pk=9999)).status_code == 422
    deal.status, deal.closed_on = Opportunity.Status.WON, datetime.date(2026, 1, 1)
    deal.save()
    response = move(client, org.vendedor_norte, deal, stages()[2])
    assert response.status_code == 422 and "reopen it" in response.content.decode()


def test_move_menu_without_javascript_redirects_back_with_the_outcome(client, org, deal):
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_move", args=[deal.pk])
    board_url = reverse("sales:opportunity_board") + "?owner=1"
    response = client.post(url, {"stage": stages()[1].pk, "version": 1, "next": board_url}, follow=True)
    assert response.redirect_chain[-1][0] == board_url
    assert "moved to" in response.content.decode()
    # A stale menu post: refused, with the conflict as a message, and an outside `next` is not followed.
    response = client.post(url, {"stage": stages()[2].pk, "version": 1, "next": "https://evil.example/"})
    assert response.url == deal.get_absolute_url()
    deal.refresh_from_db()
    assert deal.stage == stages()[1]


def test_board_and_move_keep_the_filters_of_the_board(client, org, deal):
    OpportunityFactory(account=org.north_account, owner=org.vendedor_norte2, name="Otro dueño")
    response = move(client, org.gerente_norte, deal, stages()[1], board_query=f"owner={org.vendedor_norte.pk}")
    html = response.content.decode()
    assert deal.name in html and "Otro dueño" not in html
