"""Quote rules pinned by hand: where a line's price comes from (the quote's own list, the deal's price
converted at the rate of the quote's date), what the user typed wins over what a product brings, stored
line amounts always agree with the rule, the messages a refusal shows, validity on revision, who a
change is recorded under, and the price history of a price list."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vinculo.contacts.models import Contact
from vinculo.core.services import soft_delete
from vinculo.org.models import ExchangeRate
from vinculo.sales import quoting
from vinculo.sales.models import Opportunity, OpportunityLine, PriceListItem, Quote, QuoteLine

from .factories import OpportunityFactory, PriceListFactory, PriceListItemFactory, ProductFactory
from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)
from .quote_fixtures import TODAY, make_quote

D = Decimal
MAR_1, MAR_5, MAR_8, MAR_9, MAR_11 = (datetime.date(2026, 3, day) for day in (1, 5, 8, 9, 11))


def amounts(line):
    line.refresh_from_db()
    return line.net_amount, line.tax_amount, line.total_amount


def message(refused, field):
    return refused.value.message_dict[field]


# ---------- Where a line's price comes from ----------

def test_a_product_takes_the_price_of_the_quotes_own_list(org, deal, catalogue, frozen):
    distributors = PriceListFactory(name="Lista distribuidores", currency="CLP")
    PriceListItemFactory(price_list=distributors, product=catalogue.pump, unit_price=D(1100000))
    OpportunityLine.objects.create(opportunity=deal, product=catalogue.pump, quantity=D(1), unit_price=D(999))
    quote = quoting.create_quote(deal, org.vendedor_norte, distributors)
    assert quote.lines.get().unit_price == D(1100000)
    # And the general list's quote keeps the general price, whatever the other list says.
    assert quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list).lines.get().unit_price == D(1250000)
    line = quoting.add_line(quote, org.vendedor_norte, product=catalogue.pump)
    # Quantity 1 and no discount unless given: 1,100,000 + 209,000 IVA.
    assert (line.quantity, line.discount_percent, line.unit_price) == (D(1), D(0), D(1100000))
    assert (line.net_amount, line.tax_amount, line.total_amount) == (D(1100000), D(209000), D(1309000))


def test_starting_lines_follow_the_deal_skipping_lines_with_no_quantity(org, deal, catalogue, frozen):
    course = ProductFactory(code="CAP-1", name="Curso de operación", unit="day", tax_rate=D(0))
    for values in [
        {"product": catalogue.pump, "quantity": D(0), "unit_price": D(1)},     # dropped: nothing to quote
        {"product": catalogue.service, "quantity": D(3), "discount_percent": D(10)},
        {"product": course, "quantity": D(2), "unit_price": D(300000)},         # not in the list: the deal's price
        {"description": "Flete a faena", "quantity": D(1), "unit_price": D(80000)},
        {"quantity": D(2), "unit_price": D(5000)},                              # neither product nor description
    ]:
        OpportunityLine.objects.create(opportunity=deal, **values)
    quote = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
    lines = [(line.position, line.product, line.description, line.quantity, line.unit, line.unit_price,
              line.discount_percent, line.tax_rate, line.total_amount) for line in quote.lines.order_by("position")]
    assert lines == [
        # 3 h × 45,000 = 135,000 −10% = 121,500 + 23,085 IVA.
        (1, catalogue.service, "Instalación en faena", D(3), "hour", D(45000), D(10), D(19), D(144585)),
        # An exempt course: 2 days × 300,000, no tax.
        (2, course, "Curso de operación", D(2), "day", D(300000), D(0), D(0), D(600000)),
        # Free text lines are sold by the unit with Chilean IVA.
        (3, None, "Flete a faena", D(1), "unit", D(80000), D(0), D(19), D(95200)),
        (4, None, "Item", D(2), "unit", D(5000), D(0), D(19), D(11900)),
    ]
    # 144,585 + 600,000 + 95,200 + 11,900.
    assert quote.total == D(851685)


@pytest.fixture
def dollar_deal(org, db):
    """A deal estimated in dollars: 1,000.125 USD of engineering, and a free extra at 0."""
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, currency="USD")
    OpportunityLine.objects.create(opportunity=deal, description="Ingeniería de detalle", quantity=D(1),
                                   unit_price=D("1000.125"))
    OpportunityLine.objects.create(opportunity=deal, description="Manual de operación", quantity=D(1),
                                   unit_price=D(0))
    return deal


def test_deal_prices_are_converted_at_the_rate_of_the_quotes_date(org, dollar_deal, frozen):
    for day, rate in [(MAR_1, "950"), (MAR_8, "980"), (MAR_11, "1000")]:
        ExchangeRate.objects.create(currency="USD", date=day, rate=D(rate))
    # 1,000.125 × 980 = 980,122.5 → 980,123 pesos.
    today = quoting.create_quote(dollar_deal, org.vendedor_norte, currency="CLP")
    assert [line.unit_price for line in today.lines.order_by("position")] == [D(980123), D(0)]
    # 1,000.125 × 950 = 950,118.75 → 950,119 pesos.
    back_dated = quoting.create_quote(dollar_deal, org.vendedor_norte, currency="CLP", issued_on=MAR_5)
    assert [line.unit_price for line in back_dated.lines.order_by("position")] == [D(950119), D(0)]
    # In the deal's own currency nothing is converted, nor rounded: the unit price keeps its decimals.
    own = quoting.create_quote(dollar_deal, org.vendedor_norte)
    assert [line.unit_price for line in own.lines.order_by("position")] == [D("1000.125"), D(0)]
    assert own.total == D("1190.15")  # 1,000.125 → 1,000.13 net + 190.02 IVA (19% of 1,000.13 = 190.0247)


def test_a_missing_rate_is_refused_naming_both_currencies_and_the_day(org, dollar_deal, frozen):
    with pytest.raises(ValidationError) as refused:
        quoting.create_quote(dollar_deal, org.vendedor_norte, currency="CLP")
    assert message(refused, "price_list") == [
        "The deal's lines are in USD and this quote in CLP, but there is no USD exchange rate on or before "
        "2026-03-10. Enter one, or choose a price list in USD."]
    assert not Quote.objects.exists()


def test_starting_from_a_deal_costs_the_same_queries_whatever_its_number_of_lines(org, catalogue, frozen):
    quoting.create_quote(OpportunityFactory(account=org.north_account, owner=org.vendedor_norte),
                         org.vendedor_norte)  # warms the per-process caches (company profile, content types)
    counts = []
    for products in ([catalogue.pump], [catalogue.pump, catalogue.service] * 3):
        deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte)
        for product in products:
            OpportunityLine.objects.create(opportunity=deal, product=product, quantity=D(1), unit_price=D(1))
        with CaptureQueriesContext(connection) as queries:
            quote = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
        assert quote.lines.count() == len(products)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_currency_vinculo_does_not_quote_in_is_refused(org, deal, frozen):
    with pytest.raises(ValidationError) as refused:
        quoting.create_quote(deal, org.vendedor_norte, currency="GBP")
    assert "currency" in refused.value.message_dict
    assert not Quote.objects.exists()


def test_line_amounts_take_plain_numbers_as_written():
    # 2 × 19,990 = 39,980; IVA 19% = 7,596.2 → 7,596. A float 0.1 is a tenth, not 0.1000000000000000055.
    assert quoting.line_amounts(2, 19990, 0, 19, "CLP") == (D(39980), D(7596), D(47576))
    assert quoting.line_amounts(3, 0.1, 0, 0, "USD") == (D("0.30"), D("0.00"), D("0.30"))
    assert quoting.line_gross("2.5", "0.125", "USD") == D("0.31")  # 0.3125 → 0.31


def test_a_product_line_keeps_what_the_user_typed(org, deal, catalogue, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
    line = quoting.add_line(quote, org.vendedor_norte, product=catalogue.service, description="Puesta en marcha",
                            unit="day", unit_price=D(360000), quantity=D(2), tax_rate=D(0))
    assert (line.description, line.unit, line.unit_price, line.tax_rate) == ("Puesta en marcha", "day", D(360000), D(0))
    # Empty text counts as not given: the product fills it in.
    line = quoting.add_line(quote, org.vendedor_norte, product=catalogue.pump, description="", unit="")
    assert (line.description, line.unit) == ("Bomba centrífuga 100", "unit")


def test_changing_a_lines_product_brings_the_new_products_values(org, deal, catalogue, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
    line = quoting.add_line(quote, org.vendedor_norte, product=catalogue.service, description="Montaje", quantity=D(2))
    # Same product, other quantity: what the user typed stays.
    line = quoting.update_line(line, org.vendedor_norte, product=catalogue.service, quantity=D(4), description=None)
    assert (line.description, line.unit, line.unit_price) == ("Montaje", "hour", D(45000))
    line = quoting.update_line(line, org.vendedor_norte, product=catalogue.pump)
    assert (line.description, line.unit, line.unit_price, line.quantity) == (
        "Bomba centrífuga 100", "unit", D(1250000), D(4))
    # 4 × 1,250,000 = 5,000,000 + 950,000 IVA.
    assert amounts(line) == (D(5000000), D(950000), D(5950000))
    quote.refresh_from_db()
    assert quote.total == D(5950000)


def test_a_new_line_goes_after_the_last_one(org, deal, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte)
    first = quoting.add_line(quote, org.vendedor_norte, description="Flete", unit_price=D(1000))
    placed = quoting.add_line(quote, org.vendedor_norte, description="Seguro", unit_price=D(1000), position=10)
    after = quoting.add_line(quote, org.vendedor_norte, description="Embalaje", unit_price=D(1000))
    assert (first.position, placed.position, after.position) == (1, 10, 11)


def test_product_refusals_say_what_is_wrong(org, deal, catalogue, frozen):
    valve = ProductFactory(code="VAL-50", name="Válvula 50 mm")
    listed = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
    with pytest.raises(ValidationError) as refused:
        quoting.add_line(listed, org.vendedor_norte, product=valve)
    assert message(refused, "unit_price") == [
        "“VAL-50 · Válvula 50 mm” has no price in the price list “Lista general”: enter a unit price."]
    unlisted = quoting.create_quote(deal, org.vendedor_norte)
    with pytest.raises(ValidationError) as refused:
        quoting.add_line(unlisted, org.vendedor_norte, product=catalogue.pump)
    assert message(refused, "unit_price") == [
        "“BOM-100 · Bomba centrífuga 100” has no price (the quote has no price list): enter a unit price."]
    with pytest.raises(ValidationError) as refused:
        quoting.add_line(listed, org.vendedor_norte, product=catalogue.old)
    assert message(refused, "product") == ["“OLD-1 · Modelo discontinuado” is no longer sold (inactive product)."]
    with pytest.raises(ValidationError) as refused:
        quoting.add_line(listed, org.vendedor_norte, product=catalogue.pump, quantity=D(0))
    assert message(refused, "quantity") == ["The quantity must be more than zero."]
    with pytest.raises(ValidationError) as refused:
        quoting.add_line(listed, org.vendedor_norte, quantity=D(1))
    assert message(refused, "description") == ["Choose a product or describe the line."]
    with pytest.raises(ValidationError) as refused:
        quoting.add_line(listed, org.vendedor_norte, description="Flete")
    assert message(refused, "unit_price") == ["Enter a unit price."]
    assert not listed.lines.exists() and not unlisted.lines.exists()


# ---------- Stored amounts always follow the rule ----------

def test_taxes_of_lines_at_the_same_rate_add_up(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, lines=[("pump", 2, 10), ("service", 10, 0)])
    quoting.add_line(quote, org.vendedor_norte, description="Flete exento", unit_price=D(80000), tax_rate=D(0))
    # IVA 427,500 on 2,250,000 and 85,500 on 450,000; the freight is exempt.
    assert quoting.taxes_by_rate(quote.lines.all(), "CLP") == [(D(0), D(0)), (D(19), D(513000))]


def test_removing_a_line_keeps_the_others_in_whole_pesos(org, deal, catalogue, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
    # 3 × 333.33 = 999.99 → 1,000 pesos; IVA 190.
    spares = quoting.add_line(quote, org.vendedor_norte, description="Repuestos varios", quantity=D(3),
                              unit_price=D("333.33"))
    pump = quoting.add_line(quote, org.vendedor_norte, product=catalogue.pump)
    quoting.remove_line(pump, org.vendedor_norte)
    assert amounts(spares) == (D(1000), D(190), D(1190))
    quote.refresh_from_db()
    assert (quote.subtotal, quote.discount_total, quote.tax_total, quote.total) == (D(1000), D(0), D(190), D(1190))


def test_recomputing_corrects_line_amounts_stored_wrong(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, lines=[("pump", 2, 10), ("service", 10, 0)])
    pump, service = quote.lines.order_by("position")
    QuoteLine.objects.filter(pk=pump.pk).update(net_amount=0, tax_amount=0, total_amount=0)
    quoting.recompute_totals(quote)
    assert amounts(pump) == (D(2250000), D(427500), D(2677500))
    assert amounts(service) == (D(450000), D(85500), D(535500))
    assert quote.total == D(3213000)


def test_recomputing_a_quote_whose_lines_are_right_only_reads_them(org, deal, catalogue, frozen,
                                                                   django_assert_num_queries):
    quote = make_quote(deal, org.vendedor_norte, catalogue, lines=[("pump", 2, 10), ("service", 10, 0)])
    with django_assert_num_queries(1):
        quoting.recompute_totals(quote)
    assert quote.total == D(3213000)


# ---------- Refusals of quotes that are not drafts ----------

def test_each_state_says_why_the_quote_cannot_change(org, deal, catalogue, frozen):
    sent = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(sent, org.vendedor_norte)
    rejected = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(rejected, org.vendedor_norte)
    quoting.reject_quote(rejected, org.vendedor_norte)
    accepted = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(accepted, org.vendedor_norte)
    quoting.accept_quote(accepted, org.vendedor_norte, mark_won=False)
    superseded = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(superseded, org.vendedor_norte)
    quoting.revise_quote(superseded, org.vendedor_norte)
    binned = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.delete_quote(binned, org.vendedor_norte)
    for quote, text in [
        (sent, "This quote was sent: it is never changed in place. Revise it to make a new revision."),
        (rejected, "This quote was rejected: revise it to make a new revision."),
        (accepted, "This quote was accepted and can no longer change."),
        (superseded, "A newer revision replaced this quote; change that one instead."),
        (binned, "This quote is in the recycle bin."),
    ]:
        with pytest.raises(ValidationError) as refused:
            quoting.add_line(quote, org.vendedor_norte, description="Flete", unit_price=D(1000))
        assert refused.value.messages == [text], quote.status


def test_only_a_sent_quote_is_accepted_or_rejected_naming_its_state(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    with pytest.raises(ValidationError) as refused:
        quoting.accept_quote(quote, org.vendedor_norte)
    assert refused.value.messages == ["Only a sent quote can be accepted; this one is “Draft”."]
    with pytest.raises(ValidationError) as refused:
        quoting.reject_quote(quote, org.vendedor_norte)
    assert refused.value.messages == ["Only a sent quote can be rejected; this one is “Draft”."]
    with pytest.raises(ValidationError) as refused:
        quoting.revise_quote(quote, org.vendedor_norte)
    assert refused.value.messages == ["Only a sent, rejected or expired quote is revised; this one is “Draft”."]


def test_a_sent_quote_in_the_recycle_bin_is_neither_accepted_nor_revised(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    soft_delete(Quote.objects.get(pk=quote.pk), org.admin)
    for refusal in (lambda: quoting.accept_quote(quote, org.vendedor_norte),
                    lambda: quoting.reject_quote(quote, org.vendedor_norte),
                    lambda: quoting.revise_quote(quote, org.vendedor_norte)):
        with pytest.raises(ValidationError) as refused:
            refusal()
        assert refused.value.messages == ["This quote is in the recycle bin."]


# ---------- Header, validity and sending ----------

def test_a_quote_keeps_a_list_deactivated_after_it_was_made_but_cannot_switch_to_one(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    catalogue.price_list.is_active = False
    catalogue.price_list.save()
    quote.notes = "Entrega en faena"
    quoting.update_quote(quote, org.vendedor_norte, expected_version=quote.version)
    old = PriceListFactory(name="Lista 2025", currency="CLP", is_active=False)
    quote.price_list = old
    with pytest.raises(ValidationError) as refused:
        quoting.update_quote(quote, org.vendedor_norte, expected_version=quote.version)
    assert message(refused, "price_list") == ["The price list “Lista 2025” is not in use."]
    binned = PriceListFactory(name="Lista borrada", currency="CLP")
    binned.deleted_at = timezone.now()
    binned.save()
    with pytest.raises(ValidationError) as refused:
        quoting.create_quote(deal, org.vendedor_norte, binned)
    assert message(refused, "price_list") == ["The price list “Lista borrada” is not in use."]


def test_header_currency_refusals_name_the_list_and_the_currencies(org, deal, catalogue, frozen):
    with pytest.raises(ValidationError) as refused:
        quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list, currency="USD")
    assert message(refused, "currency") == [
        "The price list “Lista general” is in CLP; choose that currency or another list."]
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quote.currency = "USD"
    with pytest.raises(ValidationError) as refused:
        quoting.update_quote(quote, org.vendedor_norte, expected_version=quote.version)
    assert message(refused, "price_list") == ["The price list “Lista general” is in CLP and the quote in USD."]
    quote.price_list = None
    with pytest.raises(ValidationError) as refused:
        quoting.update_quote(quote, org.vendedor_norte, expected_version=quote.version)
    assert message(refused, "currency") == ["The lines are priced in CLP: remove them before changing the "
                                            "quote's currency."]
    # Without lines the currency may change.
    empty = quoting.create_quote(deal, org.vendedor_norte)
    empty.currency = "USD"
    assert quoting.update_quote(empty, org.vendedor_norte, expected_version=empty.version).currency == "USD"


def test_a_quote_valid_until_today_can_still_be_sent_yesterday_cannot(org, deal, catalogue, frozen):
    last_day = make_quote(deal, org.vendedor_norte, catalogue, issued_on=MAR_1, valid_until=TODAY)
    quoting.send_quote(last_day, org.vendedor_norte)
    assert last_day.status == Quote.Status.SENT and last_day.sent_at == timezone.make_aware(
        datetime.datetime(2026, 3, 10, 12))
    expired = make_quote(deal, org.vendedor_norte, catalogue, issued_on=MAR_1, valid_until=MAR_9)
    with pytest.raises(ValidationError) as refused:
        quoting.send_quote(expired, org.vendedor_norte)
    assert message(refused, "valid_until") == [
        "This quote expired on 2026-03-09: change its validity before sending it."]


def test_a_revision_is_dated_today_and_keeps_the_validity_period(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, contact=org.north_contact, issued_on=MAR_1,
                       valid_until=datetime.date(2026, 3, 31), terms="Pago a 30 días", notes="Incluye flete")
    quoting.send_quote(quote, org.vendedor_norte)
    # The zone manager revises it: the revision is theirs, dated today, valid 30 days like the original.
    revision = quoting.revise_quote(quote, org.gerente_norte)
    assert (revision.issued_on, revision.valid_until) == (TODAY, datetime.date(2026, 4, 9))
    assert (revision.owner, revision.contact, revision.price_list, revision.currency, revision.terms,
            revision.notes) == (org.gerente_norte, org.north_contact, catalogue.price_list, "CLP",
                                "Pago a 30 días", "Incluye flete")
    assert (revision.subtotal, revision.discount_total, revision.tax_total, revision.total) == (
        D(2500000), D(250000), D(427500), D(2677500))
    copied = revision.lines.get()
    assert (copied.position, copied.product, copied.description, copied.quantity, copied.unit, copied.unit_price,
            copied.discount_percent, copied.tax_rate) == (
        1, catalogue.pump, "Bomba centrífuga 100", D(2), "unit", D(1250000), D(10), D(19))
    assert amounts(copied) == (D(2250000), D(427500), D(2677500))
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SUPERSEDED and quote.updated_by == org.gerente_norte


def test_a_quote_valid_only_on_its_day_is_revised_for_one_day(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, issued_on=TODAY, valid_until=TODAY)
    quoting.send_quote(quote, org.vendedor_norte)
    quoting.reject_quote(quote, org.vendedor_norte, note="Plazo muy corto")
    revision = quoting.revise_quote(quote, org.vendedor_norte)
    assert (revision.revision, revision.issued_on, revision.valid_until) == (2, TODAY, MAR_11)


def sent_revisions(org, deal, catalogue, send_third=True):
    """Revisions 1 and 2 sent and superseded in turn, revision 3 sent (or left a draft)."""
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    second = quoting.revise_quote(quote, org.vendedor_norte)
    quoting.send_quote(second, org.vendedor_norte)
    third = quoting.revise_quote(second, org.vendedor_norte)
    if send_third:
        quoting.send_quote(third, org.vendedor_norte)
    return quote, second, third


def test_the_next_revision_number_follows_the_highest_one(org, deal, catalogue, frozen):
    quote, second, third = sent_revisions(org, deal, catalogue)
    # Revision 1 was left sent (imported): revising it still makes revision 4, not a second revision 2.
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.SENT)
    assert quoting.revise_quote(quote, org.vendedor_norte).revision == 4


def test_deleting_a_draft_revision_of_a_rejected_quote_gives_back_the_rejection(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    quoting.reject_quote(quote, org.vendedor_norte, note="Muy caro")
    revision = quoting.revise_quote(quote, org.vendedor_norte)
    quoting.delete_quote(revision, org.gerente_norte)
    quote.refresh_from_db()
    assert (quote.status, quote.decision_note, quote.updated_by) == (Quote.Status.REJECTED, "Muy caro",
                                                                     org.gerente_norte)


def test_deleting_an_older_draft_leaves_a_later_revision_alone(org, deal, catalogue, frozen):
    quote, second, third = sent_revisions(org, deal, catalogue, send_third=False)
    # Revision 2 is put back to draft (imported): dropping it must not reopen revision 1 while 3 exists.
    Quote.objects.filter(pk=second.pk).update(status=Quote.Status.DRAFT)
    quoting.delete_quote(second, org.vendedor_norte)
    statuses = dict(Quote.objects.filter(number=quote.number).values_list("revision", "status"))
    assert statuses == {1: "superseded", 3: "draft"}
    assert third.revision == 3


# ---------- Who a change is recorded under ----------

def test_line_changes_are_recorded_under_who_made_them(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.add_line(quote, org.gerente_norte, product=catalogue.service, quantity=D(1))
    quote.refresh_from_db()
    assert quote.updated_by == org.gerente_norte
    assert quote.history().first().user == org.gerente_norte


def test_accepting_supersedes_a_revision_left_open_under_the_acceptors_name(org, deal, catalogue, frozen):
    quote, second, third = sent_revisions(org, deal, catalogue)
    # Imported history: revision 1 was answered by the customer, revision 2 left open, addressed to a
    # contact who has since moved to another company; superseding it must not stop the acceptance.
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.REJECTED)
    Quote.objects.filter(pk=second.pk).update(status=Quote.Status.SENT, contact=org.north_contact)
    Contact.objects.filter(pk=org.north_contact.pk).update(account=org.south_account)
    quoting.accept_quote(third, org.gerente_norte, note="OC 4500123")
    statuses = dict(Quote.objects.filter(number=quote.number).values_list("revision", "status"))
    assert statuses == {1: "rejected", 2: "superseded", 3: "accepted"}
    second.refresh_from_db()
    assert second.updated_by == org.gerente_norte
    assert second.history().first().user == org.gerente_norte
    deal.refresh_from_db()
    # 2 × 1,250,000 − 10% + IVA, and the deal says which quote won it.
    assert (deal.status, deal.amount, deal.close_note) == (Opportunity.Status.WON, D(2677500),
                                                           "Quote COT-2026-00001 rev. 3 accepted.")


def test_accepting_keeps_a_close_note_the_deal_already_has(org, deal, catalogue, frozen):
    deal.close_note = "Ganado en licitación pública"
    deal.save()
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    quoting.accept_quote(quote, org.vendedor_norte)
    deal.refresh_from_db()
    assert deal.close_note == "Ganado en licitación pública"


def test_the_revisions_of_a_number_come_in_one_query_with_what_the_list_shows(org, deal, catalogue, frozen,
                                                                              django_assert_num_queries):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    revision = quoting.revise_quote(quote, org.vendedor_norte)
    quoting.revisions_of(revision, org.vendedor_norte)  # the user's access is read once
    with django_assert_num_queries(1):
        shown = [(r.number, r.revision, r.status, r.issued_on, r.total, r.currency)
                 for r in quoting.revisions_of(revision, org.vendedor_norte)]
    assert shown == [("COT-2026-00001", 1, "superseded", TODAY, D(2677500), "CLP"),
                     ("COT-2026-00001", 2, "draft", TODAY, D(2677500), "CLP")]
    assert quoting.revisions_of(revision, org.vendedor_sur) == []


# ---------- Prices in a price list ----------

def price_history(price_list):
    return [(change["label"], change["old"], change["new"], entry.user.username)
            for entry in price_list.history().order_by("id") for change in entry.changes if not change["field"]]


def test_price_changes_are_in_the_price_lists_history_with_their_decimals(org, catalogue):
    manager, pump = org.catalogue_manager, catalogue.pump
    dollars = PriceListFactory(name="Dólares", currency="USD")
    quoting.set_price(dollars, pump, "1499.9", manager)
    quoting.set_price(dollars, pump, D("1499.995"), manager)
    quoting.set_price(dollars, pump, D("1499.995"), manager)  # the same price: nothing to record
    label = "price of BOM-100 · Bomba centrífuga 100"
    assert price_history(dollars) == [
        (label, "", "BOM-100: 1499.90 USD", "catalogo"),
        (label, "BOM-100: 1499.90 USD", "BOM-100: 1499.995 USD", "catalogo"),
    ]
    general = catalogue.price_list
    quoting.set_price(general, pump, D(1200000), org.admin)
    quoting.remove_price(PriceListItem.objects.get(price_list=general, product=pump), manager)
    assert price_history(general) == [
        (label, "BOM-100: 1250000 CLP", "BOM-100: 1200000 CLP", "admin"),
        (label, "BOM-100: 1200000 CLP", "", "catalogo"),
    ]


def test_only_catalogue_managers_set_prices(org, catalogue):
    for user in (org.vendedor_norte, org.director, org.finance):
        with pytest.raises(PermissionDenied):
            quoting.set_price(catalogue.price_list, catalogue.pump, D(1), user)
        with pytest.raises(PermissionDenied):
            quoting.remove_price(PriceListItem.objects.get(price_list=catalogue.price_list, product=catalogue.pump),
                                 user)
    assert PriceListItem.objects.get(price_list=catalogue.price_list, product=catalogue.pump).unit_price == D(1250000)
    assert [quoting.can_manage_catalogue(user) for user in (org.catalogue_manager, org.admin, org.vendedor_norte)] == [
        True, True, False]
