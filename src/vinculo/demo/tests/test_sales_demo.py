import re
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import phonenumbers
from django.db.models import Count
from stdnum.cl import rut
from stdnum.es import cif

from vinculo.accounts.models import Account, AccountTeamMember
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact
from vinculo.core import clock
from vinculo.core.money import quantize
from vinculo.core.search import search
from vinculo.customer360.models import Document, Note
from vinculo.demo import phrases
from vinculo.demo.catalogue import PRODUCTS
from vinculo.marketing.models import Campaign, CampaignMember
from vinculo.org.models import CompanyProfile, ExchangeRate
from vinculo.sales.models import (
    Competitor,
    Lead,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    PipelineStage,
    PriceList,
    Product,
    Quote,
)

BOOKKEEPING = ["created_by", "updated_by", "deleted_by"]
_S, _Q = Opportunity.Status, Quote.Status


def test_small_demo_has_a_pipeline_of_its_size(demo):
    statuses = Counter(Opportunity.objects.values_list("status", flat=True))

    assert Opportunity.objects.count() == 400 and Lead.objects.count() == 150
    assert 145 <= Quote.objects.count() <= 160
    # About 60 % open, 25 % won, 15 % lost.
    assert 200 <= statuses[_S.OPEN] <= 290 and 70 <= statuses[_S.WON] <= 130 and 35 <= statuses[_S.LOST] <= 90
    assert list(PipelineStage.objects.values_list("name", "probability")) == [
        ("Prospección", 10), ("Calificación", 20), ("Análisis de necesidades", 40), ("Propuesta", 60),
        ("Negociación", 80),
    ]
    open_stages = Counter(Opportunity.objects.filter(status=_S.OPEN).values_list("stage__name", flat=True))
    assert len(open_stages) == 5 and min(open_stages.values()) >= 15
    assert set(Lead.objects.values_list("status", flat=True)) == set(Lead.Status.values)
    assert {"CLP", "CLF", "USD", "EUR"} == set(Opportunity.objects.values_list("currency", flat=True))


def test_an_opportunity_with_lines_is_worth_its_lines_total(demo):
    with_lines = Opportunity.objects.annotate(n=Count("lines")).filter(n__gt=0).prefetch_related("lines")

    assert with_lines.count() > 150
    for opportunity in with_lines:
        total = sum((line.quantity * line.unit_price * (100 - line.discount_percent) / 100
                     for line in opportunity.lines.all()), Decimal(0))
        assert opportunity.amount == quantize(total, opportunity.currency) == total, opportunity
    for opportunity in Opportunity.objects.all():
        assert opportunity.amount > 0 and opportunity.amount == quantize(opportunity.amount, opportunity.currency)


def test_closed_deals_have_their_day_reason_and_probability_and_open_ones_none(demo):
    today = clock.today()
    for deal in Opportunity.objects.select_related("stage"):
        assert (deal.status == _S.OPEN) == (deal.closed_on is None), deal
        if deal.status == _S.OPEN:
            assert not deal.close_reason and deal.next_step and deal.expected_close_date
            assert deal.probability in range(5, 96)
        else:
            assert deal.closed_on <= today and deal.created_at.date() <= deal.closed_on, deal
            assert deal.probability == (100 if deal.status == _S.WON else 0)
            assert deal.status == _S.WON or deal.close_reason, deal
        assert deal.created_at.date() >= today - timedelta(days=731)
        assert today - timedelta(days=800) <= deal.expected_close_date <= today + timedelta(days=366)


def test_opportunities_follow_their_account(demo):
    account_team = set(AccountTeamMember.objects.values_list("account_id", "user_id"))
    deals = list(Opportunity.objects.select_related("account__owner"))
    people = defaultdict(set)
    for pk, account_id in Contact.objects.values_list("pk", "account_id"):
        people[account_id].add(pk)

    for deal in deals:
        account = deal.account
        assert deal.sales_team_id == account.sales_team_id and deal.business_unit_id == account.business_unit_id
        # The account's owner, or someone who works the account with them and so sees it.
        assert deal.owner_id in (account.owner_id, account.owner.manager_id) or (
            (account.pk, deal.owner_id) in account_team), deal
        assert (deal.currency == "EUR") == (account.country == "ES"), deal
        assert account.account_type not in (Account.Type.COMPETITOR, Account.Type.SUPPLIER)
    assert sum(deal.owner_id == deal.account.owner_id for deal in deals) > 0.75 * len(deals)
    for deal in deals[::10]:  # a seller sees the account of each of their deals (a query each: a sample)
        assert Account.objects.visible_to(deal.owner).filter(pk=deal.account_id).exists(), deal
    for role in OpportunityContact.objects.select_related("opportunity"):
        assert role.contact_id in people[role.opportunity.account_id]
    primaries = Counter(OpportunityContact.objects.filter(is_primary=True).values_list("opportunity", flat=True))
    assert set(primaries.values()) == {1}


def test_prospects_that_won_a_deal_are_customers(demo):
    winners = set(Opportunity.objects.filter(status=_S.WON).values_list("account__account_type", flat=True))

    assert Account.Type.PROSPECT not in winners
    assert Account.objects.filter(account_type=Account.Type.PROSPECT).count() >= 5
    assert Opportunity.objects.filter(account__account_type=Account.Type.PROSPECT).exists()


def test_competitors_on_deals_have_results_that_follow_the_deal(demo):
    entries = list(OpportunityCompetitor.objects.select_related("opportunity"))
    with_competitors = {entry.opportunity_id for entry in entries}
    _R = OpportunityCompetitor.Result

    assert 0.2 * 400 < len(with_competitors) < 0.45 * 400
    for entry in entries:
        deal = entry.opportunity
        expected = {_S.OPEN: {_R.PENDING}, _S.WON: {_R.WE_WON}}.get(deal.status, {_R.THEY_WON, _R.NO_DECISION})
        assert entry.result in expected, entry
    lost_to_competitors = Opportunity.objects.filter(status=_S.LOST, close_reason=Opportunity.CloseReason.COMPETITOR)
    assert lost_to_competitors.exists()
    for deal in lost_to_competitors:
        assert deal.competitor_entries.filter(result=_R.THEY_WON).count() == 1, deal


def test_quote_totals_follow_their_lines(demo):
    quotes = list(Quote.objects.prefetch_related("lines").select_related("opportunity"))

    for quote in quotes:
        lines = list(quote.lines.all())
        assert lines, quote
        for line in lines:
            net = quantize(line.quantity * line.unit_price * (1 - line.discount_percent / 100), quote.currency)
            tax = quantize(net * line.tax_rate / 100, quote.currency)
            assert (line.net_amount, line.tax_amount, line.total_amount) == (net, tax, net + tax), line
            assert line.tax_rate in ({Decimal(21), Decimal(0)} if quote.currency == "EUR" else {Decimal(19), Decimal(0)})
        gross = sum(quantize(line.quantity * line.unit_price, quote.currency) for line in lines)
        assert quote.subtotal == gross
        assert quote.subtotal - quote.discount_total == sum(line.net_amount for line in lines)
        assert quote.tax_total == sum(line.tax_amount for line in lines)
        assert quote.total == quote.subtotal - quote.discount_total + quote.tax_total > 0
        assert quote.currency == quote.opportunity.currency and quote.price_list.currency == quote.currency
        assert quote.valid_until > quote.issued_on and quote.owner_id == quote.opportunity.owner_id


def test_quote_numbers_revisions_and_statuses_are_consistent(demo):
    by_number = defaultdict(list)
    for quote in Quote.objects.select_related("opportunity").order_by("revision"):
        by_number[quote.number].append(quote)

    assert any(len(revisions) > 1 for revisions in by_number.values())
    for number, revisions in by_number.items():
        assert re.fullmatch(r"COT-\d{4}-\d{5}", number) and number[4:8] == str(revisions[0].issued_on.year)
        assert [quote.revision for quote in revisions] == list(range(1, len(revisions) + 1))
        assert len({quote.opportunity_id for quote in revisions}) == 1
        *earlier, last = revisions
        assert all(quote.status == _Q.SUPERSEDED and quote.sent_at for quote in earlier), number
        assert [quote.issued_on for quote in revisions] == sorted(quote.issued_on for quote in revisions)
        deal = last.opportunity
        expected = {_S.WON: {_Q.ACCEPTED}, _S.LOST: {_Q.REJECTED}}.get(deal.status, {_Q.SENT, _Q.DRAFT, _Q.EXPIRED})
        # Sent and past its validity: expired, as the scheduled job leaves it.
        assert (last.status == _Q.EXPIRED) == (last.sent_at is not None and last.decided_at is None
                                               and last.valid_until < clock.today()), last
        assert last.status in expected, last
        assert (last.sent_at is None) == (last.status == _Q.DRAFT)
        assert (last.decided_at is not None) == (last.status in (_Q.ACCEPTED, _Q.REJECTED))
        # The latest revision carries the deal's estimated order.
        assert last.subtotal - last.discount_total == deal.amount, last
    assert len({quote.opportunity_id for quote in Quote.objects.all()}) == len(by_number)
    stages = set(Quote.objects.values_list("opportunity__stage__name", flat=True))
    assert stages <= {"Propuesta", "Negociación"}
    statuses = Counter(Quote.objects.values_list("status", flat=True))
    assert set(statuses) == set(Quote.Status.values)


def test_converted_leads_left_nothing_behind_and_point_to_what_they_became(demo):
    converted = list(Lead.objects.filter(status=Lead.Status.CONVERTED).select_related(
        "converted_contact", "converted_opportunity"))

    assert len(converted) >= 15
    for lead in converted:
        assert lead.converted_at and lead.converted_by_id == lead.owner_id
        assert lead.converted_contact.account_id == lead.converted_account_id
        assert lead.converted_opportunity.account_id == lead.converted_account_id
        assert lead.converted_opportunity.contact_roles.filter(contact=lead.converted_contact, is_primary=True).exists()
        assert (lead.converted_contact.first_name, lead.converted_contact.last_name) == (lead.first_name, lead.last_name)
        assert lead.converted_opportunity.source == lead.source
        assert lead.converted_opportunity.campaign_id == lead.campaign_id
        if lead.campaign_id:
            assert CampaignMember.objects.filter(campaign=lead.campaign_id, contact=lead.converted_contact).exists()
    for model in (Activity, Note, Document, CampaignMember):
        assert not model._base_manager.filter(lead__status=Lead.Status.CONVERTED).exists(), model
    others = Lead.objects.exclude(status=Lead.Status.CONVERTED)
    assert not others.filter(converted_at__isnull=False).exists()
    assert not others.filter(converted_opportunity__isnull=False).exists()
    assert Activity.objects.filter(lead__in=others).exists() and Note.objects.filter(lead__in=others).exists()
    assert CampaignMember.objects.filter(lead__in=others).count() == others.filter(campaign__isnull=False).count()


def test_leads_sit_in_the_territories_of_their_owners(demo):
    for lead in Lead.objects.select_related("territory", "owner").prefetch_related("owner__territories"):
        assert lead.territory is not None and lead.company and (lead.email or lead.phone)
        assert phonenumbers.is_valid_number(phonenumbers.parse(lead.phone)), lead.phone
        owner_paths = [t.path for t in lead.owner.territories.all()]
        assert any(lead.territory.path.startswith(path) for path in owner_paths), lead
        if lead.company_tax_id:
            assert (rut if lead.country == "CL" else cif).is_valid(lead.company_tax_id)
        if lead.campaign_id:
            assert lead.campaign.start_date <= lead.created_at.date()


def test_minera_atacama_tells_a_story_of_open_deals_a_quote_in_negotiation_and_a_converted_lead(demo):
    minera = Account.objects.get(legal_name="Minera Atacama SpA")
    open_deals = Opportunity.objects.filter(account=minera, status=_S.OPEN).select_related("stage")
    negotiation = open_deals.get(name="Cambio de revestimientos del molino SAG 36'")
    lead = Lead.objects.get(converted_account=minera, last_name="Vergara Rojas")

    assert len({deal.stage.name for deal in open_deals}) == 5
    assert all(deal.owner.username == "vendedor.norte" for deal in open_deals if deal.name in (
        negotiation.name, "Bombas de pulpa para la planta concentradora"))
    assert negotiation.stage.name == "Negociación" and negotiation.currency == "CLF"
    assert negotiation.competitor_entries.count() == 2
    assert negotiation.quotes.get(status=_Q.SENT).revision == 2
    assert negotiation.quotes.get(revision=1).status == _Q.SUPERSEDED
    assert lead.converted_contact.account == minera and lead.campaign.name.startswith("Exponor")
    assert lead.converted_opportunity.name == "Licencias Vigía para monitoreo de la planta"
    assert Activity.objects.filter(opportunity=lead.converted_opportunity, contacts=lead.converted_contact).exists()
    assert Activity.objects.filter(opportunity=negotiation, status=Activity.Status.PLANNED).exists()
    assert Opportunity.objects.filter(account=minera, status=_S.WON).exists()


def test_exchange_rates_cover_two_years_daily_for_the_uf_and_on_business_days_otherwise(demo):
    today = clock.today()
    rates = defaultdict(dict)
    for currency, day, rate in ExchangeRate.objects.values_list("currency", "date", "rate"):
        rates[currency][day] = rate

    assert set(rates) == {"CLF", "USD", "EUR"}
    assert min(rates["CLF"]) == today - timedelta(days=730) and len(rates["CLF"]) == 731 and 500 <= len(rates["USD"]) == len(rates["EUR"]) <= 530
    for currency, (low, high) in {"CLF": (36_000, 39_800), "USD": (850, 990), "EUR": (950, 1_080)}.items():
        assert today in rates[currency] and (today - min(rates[currency])).days in (728, 729, 730)
        assert all(low <= rate <= high for rate in rates[currency].values()), currency
    uf = [rates["CLF"][day] for day in sorted(rates["CLF"])]
    assert uf == sorted(uf)  # the UF only rises
    assert max(rates["USD"].values()) - min(rates["USD"].values()) > 40


def test_company_profile_is_a_chilean_company_with_quote_terms(demo):
    profile = CompanyProfile.current()

    assert profile.legal_name.endswith(" SpA") and rut.is_valid(profile.tax_id) and profile.country == "CL"
    assert phonenumbers.is_valid_number(phonenumbers.parse(profile.phone)) and "Santiago" in profile.address
    assert "IVA" in profile.quote_terms and profile.email and profile.website


def test_catalogue_has_products_prices_and_competitors_to_quote_and_compete_with(demo):
    products = {product.code: product for product in Product.objects.all()}
    lists = {price_list.currency: price_list for price_list in PriceList.objects.prefetch_related("items")}

    assert len(products) == len(PRODUCTS) >= 60 and len({p.family for p in products.values()}) >= 5
    for code, product in products.items():
        expected = 21 if code.startswith("ES-") else 0 if product.tax_rate == 0 else 19
        assert product.tax_rate == expected and product.unit in Product.Unit.values
    assert set(lists) == {"CLP", "USD", "CLF", "EUR"}
    for currency, price_list in lists.items():
        items = list(price_list.items.all())
        assert len(items) >= 20
        for item in items:
            # Whole pesos (hundreds), dollars and euros; UF in steps of 0.20: exact amounts with 5 % discounts.
            step = {"CLP": 100, "USD": 1, "EUR": 1, "CLF": Decimal("0.2")}[currency]
            assert item.unit_price > 0 and item.unit_price % step == 0, item
    competitors = list(Competitor.objects.annotate(n=Count("contacts")))
    assert len(competitors) == 12 and all(1 <= c.n <= 3 and c.strengths and c.weaknesses for c in competitors)
    for competitor in competitors:
        assert (rut if competitor.country == "CL" else cif).is_valid(competitor.tax_id), competitor
        assert phonenumbers.is_valid_number(phonenumbers.parse(competitor.phone)), competitor


def test_campaigns_span_types_and_statuses_and_every_seller_reads_them(demo):
    campaigns = list(Campaign.objects.annotate(n=Count("members")))

    assert len(campaigns) >= 15
    assert {c.kind for c in campaigns} >= {"mailing", "trade_fair", "webinar", "telemarketing", "event", "social_ads"}
    assert {c.status for c in campaigns} == set(Campaign.Status.values)
    assert any(c.name == f"Exponor {c.start_date.year}" for c in campaigns)
    assert all(c.n > 0 for c in campaigns)
    planned = CampaignMember.objects.filter(campaign__status=Campaign.Status.PLANNED)
    assert set(planned.values_list("response", flat=True)) == {CampaignMember.Response.PLANNED}
    assert Campaign.objects.visible_to(demo["vendedor.sur"]).count() == len(campaigns)


def test_deals_stay_private_to_their_line_of_the_hierarchy(demo):
    north = Opportunity.objects.visible_to(demo["vendedor.norte"])
    south_owned = Opportunity.objects.filter(owner=demo["vendedor.sur"])

    assert north.exists() and south_owned.exists()
    assert not north.filter(pk__in=south_owned).exists()
    assert Opportunity.objects.visible_to(demo["director"]).count() == 400
    assert not Quote.objects.visible_to(demo["vendedor.sur"]).filter(
        opportunity__account__legal_name="Minera Atacama SpA").exists()
    assert not Lead.objects.visible_to(demo["vendedor.sur"]).filter(owner=demo["vendedor.norte"]).exists()


def test_global_search_finds_the_sales_records(demo):
    seller = demo["vendedor.norte"]
    sag = Opportunity.objects.get(name="Cambio de revestimientos del molino SAG 36'")
    quote = sag.quotes.get(revision=2)

    assert sag in search(Opportunity, seller, "revestimientos molino")
    assert quote in search(Quote, seller, quote.number)
    assert search(Product, seller, "bomba pulpa").count() >= 2
    assert search(Competitor, seller, "tecnomin").exists()
    assert search(Campaign, seller, "exponor").exists()
    assert search(Lead, seller, "vergara").exists() and not search(Lead, demo["vendedor.sur"], "vergara").exists()


def test_demo_sales_records_pass_model_validation(demo):
    for model in (Lead, Opportunity, Quote, Product, PriceList, Competitor, Campaign):
        keys = [f.name for f in model._meta.fields if f.is_relation]
        for record in model.objects.all():
            record.full_clean(exclude=keys + BOOKKEEPING)


def test_every_sales_phrase_names_only_slots_the_builder_fills():
    slots = {"short", "sitio", "year", "name", "first", "item", "item_upper", "company", "oc", "la_orden",
             "despacho", "cotizacion", "plazo", "ahora"}
    templates = [*(t for pool in phrases.OPPORTUNITY_NAMES.values() for t in pool),
                 *(t for pool in phrases.NEXT_STEPS for t in pool),
                 *(t for pool in phrases.DEAL_SUBJECTS.values() for t in pool),
                 *(t for pool in phrases.NAMES_BY_FAMILY.values() for t in pool),
                 *(t for pool in phrases.LEAD_SUBJECTS.values() for t in pool), *phrases.LEAD_NOTES,
                 *phrases.LEAD_DESCRIPTIONS]
    for template in templates:
        assert set(re.findall(r"{(\w+)}", template)) <= slots, template
