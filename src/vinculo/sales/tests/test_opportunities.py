"""Opportunity pages: the permission matrix, the list with its totals, the deal's page and the writes on it."""

import datetime
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.accounts.models import Account, AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core import clock
from vinculo.core.models import ChangeLog
from vinculo.core.money import format_money
from vinculo.org.models import ExchangeRate, SalesTeam, SalesTeamMember, Territory
from vinculo.sales.models import (
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    PipelineStage,
)
from vinculo.sales.totals import pipeline_totals

from .factories import (
    CompetitorFactory,
    OpportunityFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


def stages():
    return list(PipelineStage.objects.filter(is_active=True).order_by("order"))


@pytest.fixture
def deal(org):
    return OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Flota de camiones")


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def detail_url(deal):
    return reverse("sales:opportunity_detail", args=[deal.pk])


# ---------- Who sees and edits a deal ----------

# who → (sees, edits) vendedor.norte's deal on his private account.
MATRIX = {
    "vendedor_norte": (True, True),  # owner
    "gerente_norte": (True, True),  # manager above
    "director": (True, True),
    "admin": (True, True),
    "vendedor_norte2": (False, False),  # peer
    "vendedor_sur": (False, False),  # outsider
    "gerente_sur": (False, False),
}


@pytest.mark.parametrize("who", MATRIX)
def test_permission_matrix_in_list_board_detail_and_edit(client, org, deal, who):
    sees, edits = MATRIX[who]
    user = getattr(org, who)
    listed = get(client, user, reverse("sales:opportunity_list")).content.decode()
    on_board = get(client, user, reverse("sales:opportunity_board")).content.decode()
    assert (deal.name in listed) is sees and (deal.name in on_board) is sees
    page = get(client, user, detail_url(deal))
    assert page.status_code == (200 if sees else 404)
    edit = get(client, user, reverse("sales:opportunity_edit", args=[deal.pk]))
    assert edit.status_code == (200 if edits else 404)


def test_sales_team_member_sees_and_edits_the_deal(client, org, deal):
    team = SalesTeam.objects.create(name="Grandes cuentas")
    SalesTeamMember.objects.create(team=team, user=org.vendedor_sur)
    deal.sales_team = team
    deal.save()
    assert get(client, org.vendedor_sur, detail_url(deal)).status_code == 200
    edit_url = reverse("sales:opportunity_edit", args=[deal.pk])
    form = get(client, org.vendedor_sur, edit_url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    response = client.post(edit_url, {**data, "name": "Flota de camiones (equipo)"})
    assert response.status_code == 302 and response["Location"] == detail_url(deal)
    deal.refresh_from_db()
    assert (deal.name, deal.version, deal.updated_by) == ("Flota de camiones (equipo)", 2, org.vendedor_sur)


def test_territory_member_sees_the_deals_of_the_accounts_in_it(client, org, deal):
    north = Territory.objects.create(name="Norte", grants_access=True)
    org.vendedor_sur.territories.add(north)
    Account.objects.filter(pk=org.north_account.pk).update(territory=north)
    assert get(client, org.vendedor_sur, detail_url(deal)).status_code == 200


def test_read_only_account_team_member_sees_no_edit_button_and_gets_403_on_writes(client, org, deal):
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_norte2,
                                     access=AccountTeamMember.Access.READ)
    html = get(client, org.vendedor_norte2, detail_url(deal)).content.decode()
    assert deal.name in html
    assert reverse("sales:opportunity_edit", args=[deal.pk]) not in html
    assert reverse("sales:opportunity_close", args=[deal.pk]) not in html
    assert get(client, org.vendedor_norte2, reverse("sales:opportunity_edit", args=[deal.pk])).status_code == 403
    for name in ("opportunity_delete", "opportunity_close", "opportunity_reopen", "opportunity_line_add",
                 "opportunity_contact_add", "opportunity_competitor_add"):
        assert client.post(reverse(f"sales:{name}", args=[deal.pk]), {"version": 1}).status_code == 403, name
    assert Opportunity.objects.filter(pk=deal.pk, version=1).exists()


def test_global_search_finds_only_visible_deals(client, org, deal):
    client.force_login(org.vendedor_norte)
    assert deal.name in client.get(reverse("search"), {"q": "flota"}).content.decode()
    client.force_login(org.vendedor_sur)
    assert deal.name not in client.get(reverse("search"), {"q": "flota"}).content.decode()


# ---------- The list and its totals ----------

def test_list_filters_by_stage_status_owner_territory_and_close_dates(client, org):
    north = Territory.objects.create(name="Norte")
    antofagasta = Territory.objects.create(name="Antofagasta", parent=north)
    Account.objects.filter(pk=org.north_account.pk).update(territory=antofagasta)
    first, second = stages()[:2]
    a = OpportunityFactory(account=org.north_account, stage=first, expected_close_date=datetime.date(2026, 3, 1))
    b = OpportunityFactory(account=org.north_account, stage=second, expected_close_date=datetime.date(2026, 6, 1))
    c = OpportunityFactory(account=org.south_account, stage=second, status=Opportunity.Status.LOST, expected_close_date=None,
                           closed_on=datetime.date(2026, 2, 1), close_reason="price")

    def names(**params):
        client.force_login(org.director)
        response = client.get(reverse("sales:opportunity_list"), params)
        return {deal.name for deal in response.context["object_list"]}

    assert names() == {a.name, b.name}  # open deals unless asked otherwise
    assert names(stage=second.pk) == {b.name}
    assert names(stage=second.pk, status="any") == {b.name, c.name}
    assert names(status="lost") == {c.name}
    assert names(status="won") == set()
    assert names(territory=north.pk) == {a.name, b.name}  # the territory and below
    assert names(close_from="2026-04-01") == {b.name}
    assert names(close_to="2026-04-01") == {a.name}
    assert names(owner=org.vendedor_sur.pk) == set()
    assert names(owner=org.vendedor_sur.pk, status="any") == {c.name}
    assert names(q="Pesquera", status="any") == {c.name}  # the account's name


def test_list_totals_per_stage_equal_independently_computed_sums_with_conversion(client, org):
    ExchangeRate.objects.create(currency="USD", date=clock.today() - datetime.timedelta(days=3), rate=Decimal("950"))
    ExchangeRate.objects.create(currency="USD", date=clock.today() + datetime.timedelta(days=3), rate=Decimal("1"))
    first, second = stages()[:2]
    deals = [
        OpportunityFactory(account=org.north_account, stage=first, probability=10, amount=Decimal("1234567")),
        OpportunityFactory(account=org.north_account, stage=first, probability=25, amount=Decimal("1500.50"),
                           currency="USD"),
        OpportunityFactory(account=org.north_account, stage=second, probability=33, amount=Decimal("999999")),
        OpportunityFactory(account=org.south_account, stage=second, amount=Decimal("5000000")),  # not visible
    ]
    rates = {"CLP": Decimal(1), "USD": Decimal("950")}
    response = get(client, org.vendedor_norte, reverse("sales:opportunity_list"))
    totals = response.context["totals"]
    for stage in (first, second):
        mine = [d for d in deals[:3] if d.stage == stage]
        total = totals.get(stage.pk)
        assert total.count == len(mine)
        assert total.amount == round(sum(d.amount * rates[d.currency] for d in mine))
        assert total.weighted == round(sum(d.amount * d.probability / 100 * rates[d.currency] for d in mine))
    assert totals.overall.amount == Decimal("1234567") + Decimal("1425475") + Decimal("999999")
    assert format_money(Decimal("3660041"), "CLP", "en_US") in response.content.decode()

    # In a user's own currency: dollars, with two decimals.
    org.vendedor_norte.currency = "USD"
    org.vendedor_norte.save()
    totals = get(client, org.vendedor_norte, reverse("sales:opportunity_list")).context["totals"]
    assert totals.currency == "USD"
    assert totals.overall.amount == (Decimal("3660041") / Decimal("950")).quantize(Decimal("0.01"))


def test_default_totals_count_open_deals_and_show_won_and_lost_apart(client, org):
    first, second = stages()[:2]
    today = clock.today()
    OpportunityFactory(account=org.north_account, stage=first, amount=Decimal("1000"))
    OpportunityFactory(account=org.north_account, stage=second, amount=Decimal("300"))
    OpportunityFactory(account=org.north_account, stage=second, amount=Decimal("5000"),
                       status=Opportunity.Status.WON, closed_on=today)
    OpportunityFactory(account=org.north_account, stage=second, amount=Decimal("700"),
                       status=Opportunity.Status.WON, closed_on=today)
    OpportunityFactory(account=org.north_account, stage=first, amount=Decimal("40"),
                       status=Opportunity.Status.LOST, closed_on=today, close_reason="price")
    response = get(client, org.vendedor_norte, reverse("sales:opportunity_list"))
    totals = response.context["totals"]
    assert (totals.overall.count, totals.overall.amount) == (2, Decimal("1300"))
    assert (totals.get(second.pk).count, totals.get(second.pk).amount) == (1, Decimal("300"))
    closed = {link["total"].key: (link["total"].count, link["total"].amount, link["url"])
              for link in response.context["closed"]}
    assert closed == {"won": (2, Decimal("5700"), reverse("sales:opportunity_list") + "?status=won"),
                      "lost": (1, Decimal("40"), reverse("sales:opportunity_list") + "?status=lost")}
    # Asked for, every status is counted and nothing is shown apart.
    response = get(client, org.vendedor_norte, reverse("sales:opportunity_list") + "?status=any")
    assert response.context["totals"].overall.count == 5 and response.context["closed"] == []
    assert response.context["totals"].overall.amount == Decimal("7040")


@pytest.mark.parametrize("who", ["vendedor_norte", "gerente_norte", "director"])
def test_list_and_board_totals_agree_for_the_same_filters(client, org, who):
    first, second, third = stages()[:3]
    north = Territory.objects.create(name="Norte")
    Account.objects.filter(pk=org.north_account.pk).update(territory=north)
    for stage, owner, amount, status in [
        (first, org.vendedor_norte, "100", "open"), (first, org.vendedor_norte2, "250", "open"),
        (second, org.vendedor_norte, "75", "open"), (second, org.vendedor_norte, "900", "won"),
        (third, org.vendedor_norte2, "60", "lost"), (third, org.vendedor_norte, "33", "open"),
    ]:
        OpportunityFactory(account=org.north_account, stage=stage, owner=owner, amount=Decimal(amount),
                           status=status, closed_on=None if status == "open" else clock.today(),
                           close_reason="price" if status == "lost" else "")
    OpportunityFactory(account=org.south_account, stage=first, amount=Decimal("7000"))
    user = getattr(org, who)
    for filters in [{}, {"owner": org.vendedor_norte.pk}, {"territory": north.pk}, {"q": "Minera"}]:
        listed = get(client, user, reverse("sales:opportunity_list") + "?" + urlencode(filters)).context["totals"]
        board = get(client, user, reverse("sales:opportunity_board") + "?" + urlencode(filters)).context["totals"]
        assert (listed.overall.count, listed.overall.amount) == (board.overall.count, board.overall.amount)
        for stage in (first, second, third):
            assert (listed.get(stage.pk).count, listed.get(stage.pk).amount) == (
                board.get(stage.pk).count, board.get(stage.pk).amount), (filters, stage)


def test_totals_group_by_owner_or_territory(client, org):
    OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, amount=Decimal("100"))
    OpportunityFactory(account=org.north_account, owner=org.vendedor_norte2, amount=Decimal("50"))
    by_owner = get(client, org.gerente_norte, reverse("sales:opportunity_list") + "?group=owner").context["totals"]
    assert {total.label: total.amount for total in by_owner.groups} == {
        str(org.vendedor_norte): Decimal("100"), str(org.vendedor_norte2): Decimal("50")}
    by_territory = pipeline_totals(Opportunity.objects.all(), "territory", "CLP")
    assert [(total.label, total.count) for total in by_territory.groups] == [("No territory", 2)]


def test_a_missing_rate_shows_per_currency_sums_and_a_notice_instead_of_failing(client, org):
    OpportunityFactory(account=org.north_account, amount=Decimal("100"), currency="EUR")
    OpportunityFactory(account=org.north_account, amount=Decimal("2000"))
    response = get(client, org.vendedor_norte, reverse("sales:opportunity_list"))
    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals.missing_rate.currency == "EUR" and totals.overall.amount is None
    html = response.content.decode()
    assert "There is no exchange rate for EUR" in html
    assert format_money(Decimal("100"), "EUR", "en_US") in html and format_money(Decimal("2000"), "CLP", "en_US") in html
    assert get(client, org.vendedor_norte, reverse("sales:opportunity_board")).status_code == 200


def _list_queries(client, user):
    client.force_login(user)
    cache.clear()  # the totals computed afresh (not kept from the last call: core.versioned), as after a write
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("sales:opportunity_list"), {"group": "owner"}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["vendedor_norte", "director"])
def test_list_runs_a_bounded_number_of_queries_with_few_or_many_deals(client, org, who,
                                                                       django_assert_max_num_queries):
    ExchangeRate.objects.create(currency="USD", date=datetime.date(2020, 1, 1), rate=Decimal("900"))
    user = getattr(org, who)
    OpportunityFactory(account=org.north_account, currency="USD")
    _list_queries(client, user)
    few = _list_queries(client, user)
    for account in AccountFactory.create_batch(5, owner=org.vendedor_norte):
        OpportunityFactory.create_batch(12, account=account)
    # 21: one of them reads the versions of the tables the totals read (core.versioned).
    with django_assert_max_num_queries(21):
        client.get(reverse("sales:opportunity_list"))
    assert _list_queries(client, user) == few


# ---------- Create, edit, delete ----------

def test_create_from_an_account_preselects_it_and_takes_the_stage_probability(client, org):
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_create") + f"?account={org.north_account.pk}"
    form = client.get(url).context["form"]
    assert form.initial["account"] == org.north_account.pk
    stage = stages()[2]
    response = client.post(url, {
        "name": "Repuestos 2027", "account": org.north_account.pk, "stage": stage.pk, "probability": "",
        "amount": "2500000", "currency": "CLP", "owner": org.vendedor_norte.pk,
    })
    deal = Opportunity.objects.get(name="Repuestos 2027")
    assert response.url == deal.get_absolute_url()
    assert deal.probability == stage.probability and deal.created_by == org.vendedor_norte
    assert ChangeLog.objects.filter(object_id=deal.pk, action=ChangeLog.Action.CREATE).exists()


def test_create_refuses_an_account_the_user_cannot_see(client, org):
    client.force_login(org.vendedor_norte)
    assert client.get(reverse("sales:opportunity_create") + f"?account={org.south_account.pk}").status_code == 404
    response = client.post(reverse("sales:opportunity_create"), {
        "name": "Intruso", "account": org.south_account.pk, "stage": stages()[0].pk, "amount": "1",
        "currency": "CLP", "owner": org.vendedor_norte.pk,
    })
    assert response.status_code == 200 and "account" in response.context["form"].errors
    assert not Opportunity.objects.filter(name="Intruso").exists()


def test_edit_stage_change_takes_the_new_stage_probability_unless_it_was_changed(client, org, deal):
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_edit", args=[deal.pk])
    data = {"name": deal.name, "account": deal.account_id, "stage": stages()[3].pk, "probability": deal.probability,
            "amount": "1000000", "currency": "CLP", "owner": org.vendedor_norte.pk, "version": 1}
    client.post(url, data)
    deal.refresh_from_db()
    assert deal.probability == stages()[3].probability
    client.post(url, {**data, "stage": stages()[4].pk, "probability": 55, "version": 2})
    deal.refresh_from_db()
    assert deal.stage == stages()[4] and deal.probability == 55


def test_stale_edit_is_refused_with_a_conflict(client, org, deal):
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("sales:opportunity_edit", args=[deal.pk]), {
        "name": "Otro nombre", "account": deal.account_id, "stage": deal.stage_id, "probability": 10,
        "amount": "1", "currency": "CLP", "owner": org.vendedor_norte.pk, "version": 0,
    })
    assert response.context["form"].conflict
    deal.refresh_from_db()
    assert deal.name == "Flota de camiones"


def test_delete_moves_the_deal_to_the_recycle_bin_and_restore_brings_it_back(client, org, deal):
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("sales:opportunity_delete", args=[deal.pk]))
    assert response.url == org.north_account.get_absolute_url()
    assert not Opportunity.objects.filter(pk=deal.pk).exists()
    assert deal.name in client.get(reverse("core:recycle_bin")).content.decode()
    client.post(reverse("core:restore", args=["opportunity", deal.pk]))
    assert Opportunity.objects.filter(pk=deal.pk).exists()


# ---------- Close and reopen ----------

def test_close_won_makes_a_prospect_account_a_customer(client, org, deal):
    Account.objects.filter(pk=org.north_account.pk).update(account_type=Account.Type.PROSPECT)
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("sales:opportunity_close", args=[deal.pk]), {
        "status": "won", "reason": "relationship", "note": "Firmado", "amount": "1200000", "version": 1,
    })
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.probability, deal.amount, deal.closed_on) == ("won", 100, Decimal("1200000"),
                                                                            clock.today())
    assert Account.objects.get(pk=org.north_account.pk).account_type == Account.Type.CUSTOMER
    html = client.get(detail_url(deal)).content.decode()
    assert "Won on" in html and reverse("sales:opportunity_reopen", args=[deal.pk]) in html


def test_close_lost_needs_a_reason_and_a_stale_close_is_refused(client, org, deal):
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_close", args=[deal.pk])
    response = client.post(url, {"status": "lost", "version": 1})
    assert response.status_code == 400 and "reason" in response.context["close_form"].errors
    response = client.post(url, {"status": "lost", "reason": "price", "version": 0})
    assert "changed this record" in response.content.decode()
    deal.refresh_from_db()
    assert deal.is_open


def test_reopen_puts_the_deal_back_with_its_stage_probability(client, org, deal):
    deal.status, deal.closed_on, deal.close_reason, deal.probability = "lost", clock.today(), "price", 0
    deal.save()
    client.force_login(org.vendedor_norte)
    client.post(reverse("sales:opportunity_reopen", args=[deal.pk]), {"version": deal.version})
    deal.refresh_from_db()
    assert deal.is_open and deal.probability == deal.stage.probability and not deal.close_reason


# ---------- The deal's product lines, contacts and competitors ----------

def test_product_lines_set_the_amount_with_the_price_list_price_by_default(client, org, deal):
    product = ProductFactory(name="Neumático minero")
    PriceListItemFactory(product=product, price_list=PriceListFactory(currency="CLP"), unit_price=Decimal("1500000"))
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_line_add", args=[deal.pk])
    client.post(url, {"line-product": product.pk, "line-quantity": "4", "line-discount_percent": "10",
                      "version": 1})
    client.post(url, {"line-description": "Instalación", "line-quantity": "1", "line-unit_price": "300000.4",
                      "line-discount_percent": "0", "version": 2})
    deal.refresh_from_db()
    assert deal.amount == Decimal("5400000") + Decimal("300000")  # CLP: no decimals
    line = OpportunityLine.objects.get(opportunity=deal, product=product)
    assert line.unit_price == Decimal("1500000") and line.description == "Neumático minero"
    html = client.get(detail_url(deal)).content.decode()
    assert "from the product lines" in html
    form = client.get(reverse("sales:opportunity_edit", args=[deal.pk])).context["form"]
    assert form.fields["amount"].disabled
    client.post(reverse("sales:opportunity_line_remove", args=[deal.pk, line.pk]), {"version": deal.version})
    deal.refresh_from_db()
    assert deal.amount == Decimal("300000")


def test_a_line_with_a_stale_version_or_without_a_price_is_refused(client, org, deal):
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_line_add", args=[deal.pk])
    response = client.post(url, {"line-product": ProductFactory().pk, "line-quantity": "1",
                                 "line-discount_percent": "0", "version": 1})
    assert response.status_code == 400 and "unit_price" in response.context["line_form"].errors
    response = client.post(url, {"line-description": "X", "line-quantity": "1", "line-unit_price": "5",
                                 "line-discount_percent": "0", "version": 0})
    assert "changed this record" in response.content.decode()
    assert not OpportunityLine.objects.exists()


def test_contacts_with_roles_only_from_the_contacts_the_user_can_see(client, org, deal):
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_contact_add", args=[deal.pk])
    client.post(url, {"contact-contact": org.north_contact.pk, "contact-role": "decision_maker",
                      "contact-is_primary": "on"})
    response = client.post(url, {"contact-contact": org.south_contact.pk, "contact-role": "user"})
    assert response.status_code == 400 and "contact" in response.context["contact_form"].errors
    role = OpportunityContact.objects.get()
    assert (role.contact, role.role, role.is_primary) == (org.north_contact, "decision_maker", True)
    html = client.get(detail_url(deal)).content.decode()
    assert "Decision maker" in html and org.north_contact.last_name in html
    assert ChangeLog.objects.filter(object_id=deal.pk, changes__0__label="Contact added").exists()
    client.post(reverse("sales:opportunity_contact_remove", args=[deal.pk, role.pk]))
    assert not OpportunityContact.objects.exists()


def test_contacts_the_viewer_cannot_see_are_not_named_on_the_deal(client, org, deal):
    hidden = ContactFactory(account=org.south_account, last_name="Escondido")
    OpportunityContact.objects.create(opportunity=deal, contact=hidden)
    html = get(client, org.vendedor_norte, detail_url(deal)).content.decode()
    assert "Escondido" not in html and "1 contact you cannot see" in html


def test_competitors_on_the_deal_are_added_changed_and_removed(client, org, deal):
    rival = CompetitorFactory(name="Komatsu Chile")
    client.force_login(org.vendedor_norte)
    client.post(reverse("sales:opportunity_competitor_add", args=[deal.pk]), {
        "competitor-competitor": rival.pk, "competitor-result": "pending", "competitor-strengths": "Precio",
    })
    entry = OpportunityCompetitor.objects.get()
    response = client.post(reverse("sales:opportunity_competitor_add", args=[deal.pk]),
                           {"competitor-competitor": rival.pk, "competitor-result": "pending"})
    assert response.status_code == 400  # already on the deal
    client.post(reverse("sales:opportunity_competitor_edit", args=[deal.pk, entry.pk]), {
        f"entry{entry.pk}-result": "they_won", f"entry{entry.pk}-weaknesses": "Plazo de entrega",
    })
    entry.refresh_from_db()
    assert (entry.result, entry.strengths, entry.weaknesses) == ("they_won", "", "Plazo de entrega")
    assert "Komatsu Chile" in client.get(detail_url(deal)).content.decode()
    client.post(reverse("sales:opportunity_competitor_remove", args=[deal.pk, entry.pk]))
    assert not OpportunityCompetitor.objects.exists()


def test_new_quote_link_is_shown_only_to_users_who_may_edit_the_deal(client, org, deal):
    link = f'{reverse("sales:quote_create")}?opportunity={deal.pk}'
    assert link in get(client, org.vendedor_norte, detail_url(deal)).content.decode()
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_norte2,
                                     access=AccountTeamMember.Access.READ)
    html = get(client, org.vendedor_norte2, detail_url(deal)).content.decode()
    assert deal.name in html and link not in html


def _detail_queries(client, user, deal):
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(detail_url(deal)).status_code == 200
    return len(captured)


def test_detail_runs_a_bounded_number_of_queries_with_few_or_many_parts(client, org, deal,
                                                                         django_assert_max_num_queries):
    product = ProductFactory()
    OpportunityLine.objects.create(opportunity=deal, product=product, unit_price=1)
    OpportunityContact.objects.create(opportunity=deal, contact=org.north_contact)
    OpportunityCompetitor.objects.create(opportunity=deal, competitor=CompetitorFactory())
    _detail_queries(client, org.vendedor_norte, deal)
    few = _detail_queries(client, org.vendedor_norte, deal)
    for _n in range(20):
        OpportunityLine.objects.create(opportunity=deal, product=ProductFactory(), unit_price=1)
        OpportunityContact.objects.create(opportunity=deal, contact=ContactFactory(account=org.north_account))
        OpportunityCompetitor.objects.create(opportunity=deal, competitor=CompetitorFactory())
    with django_assert_max_num_queries(30):
        client.get(detail_url(deal))
    assert _detail_queries(client, org.vendedor_norte, deal) == few


# ---------- On the account page ----------

def test_account_page_lists_the_accounts_deals_with_an_add_link(client, org, deal):
    url = reverse("accounts:related", args=[org.north_account.pk, "opportunities"])
    html = get(client, org.vendedor_norte, org.north_account.get_absolute_url()).content.decode()
    # The page loads the deals on demand, from the section's fragment URL.
    assert f'hx-get="{url}"' in html[html.index('id="opportunities"'):]
    section = client.get(url, {"page": 1}, HTTP_HX_REQUEST="true")
    assert section.status_code == 200
    section = section.content.decode()
    assert deal.name in section
    assert f'{reverse("sales:opportunity_create")}?account={org.north_account.pk}' in section
    client.force_login(org.vendedor_sur)
    assert client.get(reverse("accounts:related", args=[org.north_account.pk, "opportunities"])).status_code == 404


def test_pipeline_stages_are_edited_in_place_by_administrators_in_the_admin(client, org):
    stage = stages()[0]
    client.force_login(org.director)
    assert client.get(reverse("admin:sales_pipelinestage_changelist")).status_code == 302  # not staff
    client.force_login(org.admin)
    assert client.get(reverse("admin:sales_pipelinestage_changelist")).status_code == 200
    rows = list(PipelineStage.objects.order_by("order", "id"))
    data = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows), "_save": "Save"}
    for index, row in enumerate(rows):
        data.update({f"form-{index}-id": row.pk, f"form-{index}-order": row.order,
                     f"form-{index}-probability": 15 if row == stage else row.probability,
                     f"form-{index}-is_active": "on"})
    assert client.post(reverse("admin:sales_pipelinestage_changelist"), data).status_code == 302
    stage.refresh_from_db()
    assert stage.probability == 15


def test_the_deal_pages_contacts_quotes_and_activities_are_each_deals_and_each_viewers_own(client, org):
    """Their queries are compiled once per shape of user (core.compiled): the next deal, and the next viewer
    of the same shape, get theirs, not the first's."""
    from vinculo.activities.models import Activity

    from .factories import QuoteFactory

    team = SalesTeam.objects.create(name="Cuentas mineras")
    SalesTeamMember.objects.create(team=team, user=org.vendedor_sur)
    north = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Norte", sales_team=team)
    south = OpportunityFactory(account=org.south_account, owner=org.vendedor_sur, name="Sur")
    OpportunityContact.objects.create(opportunity=north, contact=org.north_contact)
    OpportunityContact.objects.create(opportunity=south, contact=org.south_contact)
    at = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.timezone.utc)
    for deal, owner, subject in ((north, org.vendedor_norte, "Visita norte"), (south, org.vendedor_sur, "Visita sur")):
        Activity.objects.create(subject=subject, owner=owner, opportunity=deal, occurred_at=at)
        QuoteFactory(opportunity=deal)

    def seen(user, deal):
        context = get(client, user, detail_url(deal)).context
        return ([role.contact.last_name for role in context["contact_roles"]], context["hidden_contacts"],
                [activity.subject for activity in context["activities"]],
                [quote.opportunity_id for quote in context["quotes"]])

    for _round in range(2):  # the second round runs the compiled queries
        assert seen(org.vendedor_norte, north) == (["Araya"], 0, ["Visita norte"], [north.pk])
        # The sales team shows vendedor.sur the deal, its activities and quotes, not the private account's contact.
        assert seen(org.vendedor_sur, north) == ([], 1, ["Visita norte"], [north.pk])
        assert seen(org.vendedor_sur, south) == (["Bustos"], 0, ["Visita sur"], [south.pk])
        assert seen(org.gerente_norte, north) == (["Araya"], 0, ["Visita norte"], [north.pk])
