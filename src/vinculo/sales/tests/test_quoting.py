"""Quote services: amounts and totals computed by hand, a property test over random lines, numbering,
lines from the catalogue and the deal, the draft → sent → accepted/rejected workflow with revisions,
and who may do what."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.accounts.models import Account
from vinculo.org.models import CompanyProfile
from vinculo.sales import quoting
from vinculo.sales.models import Opportunity, OpportunityLine, Quote

from .factories import OpportunityFactory, PriceListFactory, QuoteFactory
from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)
from .quote_fixtures import TODAY, make_quote

D = Decimal


# ---------- Amounts, computed by hand ----------

def test_clp_line_rounds_half_up_to_whole_pesos():
    # 3 × 333.33 = 999.99 gross → 1000; −10% = 899.991 → 900; 19% of 900 = 171.
    assert quoting.line_amounts(D(3), D("333.33"), D(10), D(19), "CLP") == (D(900), D(171), D(1071))
    assert quoting.line_gross(D(3), D("333.33"), "CLP") == D(1000)


def test_rounding_is_half_up_not_bankers():
    assert quoting.line_amounts(D(1), D("0.5"), D(0), D(0), "CLP")[0] == D(1)
    assert quoting.line_amounts(D(1), D("2.5"), D(0), D(0), "CLP")[0] == D(3)
    assert quoting.line_amounts(D(1), D("0.125"), D(0), D(0), "USD")[0] == D("0.13")


def test_a_line_rounds_net_tax_and_total_to_the_minor_unit():
    # Spanish IVA: 7 × 12.345 = 86.415, −5% = 82.09425 → 82.09; 21% = 17.2389 → 17.24.
    assert quoting.line_amounts(D(7), D("12.345"), D(5), D(21), "EUR") == (D("82.09"), D("17.24"), D("99.33"))


# Each line's unrounded net sits half a minor unit below the rounded one, and the tax on it rounds down
# where the tax on the rounded net rounds up: taxing the unrounded net gives one unit less.
@pytest.mark.parametrize("quantity, unit_price, discount, rate, currency, expected", [
    # Chilean IVA: 20,099 −50% = 10,049.5 → 10,050; 19% of 10,050 = 1,909.5 → 1,910 (of 10,049.5: 1,909.405 → 1,909).
    (D(1), D("20099"), D(50), D(19), "CLP", (D("10050"), D("1910"), D("11960"))),
    # Spanish IVA: 2 × 10.495 = 20.99 −50% = 10.495 → 10.50; 21% of 10.50 = 2.205 → 2.21 (of 10.495: 2.20395 → 2.20).
    (D(2), D("10.495"), D(50), D(21), "EUR", (D("10.50"), D("2.21"), D("12.71"))),
    # A 10% US sales tax: 200.09 −50% = 100.045 → 100.05; 10% = 10.005 → 10.01 (of 100.045: 10.0045 → 10.00).
    (D(1), D("200.09"), D(50), D(10), "USD", (D("100.05"), D("10.01"), D("110.06"))),
    # UF with IVA: 4 × 6.2475 = 24.99 −50% = 12.495 → 12.50; 19% of 12.50 = 2.375 → 2.38 (of 12.495: 2.37405 → 2.37).
    (D(4), D("6.2475"), D(50), D(19), "CLF", (D("12.50"), D("2.38"), D("14.88"))),
], ids=["CLP", "EUR", "USD", "UF"])
def test_tax_is_rounded_per_line_on_the_rounded_net(quantity, unit_price, discount, rate, currency, expected):
    assert quoting.line_amounts(quantity, unit_price, discount, rate, currency) == expected
    _net, tax, total = expected
    totals = quoting.totals_of([(quantity, unit_price, discount, rate)], currency)
    assert (totals.tax_total, totals.total) == (tax, total)
    assert totals.taxes_by_rate == {rate: tax}


def test_totals_with_discounts_and_several_tax_rates():
    lines = [
        (D(2), D("19.99"), D(0), D(19)),      # gross 39.98, net 39.98, tax 7.5962 → 7.60
        (D(1), D("100.005"), D(15), D(21)),   # gross 100.01, net 85.00425 → 85.00, tax 17.85
        (D(3), D("10"), D(100), D(0)),        # gross 30.00, fully discounted, exempt
    ]
    totals = quoting.totals_of(lines, "USD")
    assert totals.subtotal == D("169.99")
    assert totals.discount_total == D("45.01")
    assert totals.tax_total == D("25.45")
    assert totals.total == D("150.43")
    assert totals.taxes_by_rate == {D(0): D("0.00"), D(19): D("7.60"), D(21): D("17.85")}


def test_uf_amounts_keep_two_decimals():
    # 12.5 UF × 3 = 37.5; −3% = 36.375 → 36.38; 19% = 6.9122 → 6.91.
    assert quoting.line_amounts(D(3), D("12.5"), D(3), D(19), "CLF") == (D("36.38"), D("6.91"), D("43.29"))


# ---------- Property: never negative, always consistent ----------

def _decimal(places, low, high):
    return st.integers(min_value=int(low * 10 ** places), max_value=int(high * 10 ** places)).map(
        lambda n: D(n).scaleb(-places))


line = st.tuples(
    _decimal(3, D("0.001"), D(100_000)),   # quantity
    _decimal(4, D(0), D(10_000_000)),      # unit price
    _decimal(2, D(0), D(100)),             # discount %
    _decimal(2, D(0), D(100)),             # tax %
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(line, max_size=12), currency=st.sampled_from(["CLP", "USD", "EUR", "CLF"]))
def test_random_lines_never_give_a_negative_or_inconsistent_total(lines, currency):
    totals = quoting.totals_of(lines, currency)
    line_totals = [quoting.line_amounts(*values, currency) for values in lines]
    digits = 0 if currency == "CLP" else 2
    amounts = [totals.subtotal, totals.discount_total, totals.tax_total, totals.total,
               *(amount for amounts in line_totals for amount in amounts)]
    assert all(amount >= 0 for amount in amounts)
    assert all(amount.as_tuple().exponent == -digits for amount in amounts)
    assert totals.total == totals.subtotal - totals.discount_total + totals.tax_total
    assert totals.total == sum((total for _net, _tax, total in line_totals), D(0))
    assert totals.discount_total <= totals.subtotal
    assert sum(totals.taxes_by_rate.values(), D(0)) == totals.tax_total


# ---------- Creating a quote ----------

def test_a_new_quote_is_numbered_per_year_and_starts_as_revision_one(org, deal, catalogue, frozen):
    first = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
    second = quoting.create_quote(deal, org.vendedor_norte)
    assert (first.number, first.revision, first.status) == ("COT-2026-00001", 1, Quote.Status.DRAFT)
    assert second.number == "COT-2026-00002"
    assert first.issued_on == TODAY and first.valid_until == TODAY + datetime.timedelta(days=30)
    assert first.currency == "CLP" and first.owner == org.vendedor_norte


def test_numbers_are_not_reused_after_a_delete_and_restart_each_year(org, deal, frozen):
    first = quoting.create_quote(deal, org.vendedor_norte)
    quoting.delete_quote(first, org.vendedor_norte)
    assert quoting.create_quote(deal, org.vendedor_norte).number == "COT-2026-00002"
    next_year = quoting.create_quote(deal, org.vendedor_norte, issued_on=datetime.date(2027, 1, 2))
    assert next_year.number == "COT-2027-00001"


def test_numbering_passes_a_number_another_creator_took_meanwhile(org, deal, frozen, monkeypatch):
    taken = QuoteFactory(opportunity=deal, number="COT-2026-00007")
    real = quoting._next_number
    answers = iter([taken.number])
    # The first creator computes a number that a concurrent one has just stored.
    monkeypatch.setattr(quoting, "_next_number", lambda year: next(answers, None) or real(year))
    quote = quoting.create_quote(deal, org.vendedor_norte)
    assert quote.number == "COT-2026-00008"
    assert Quote.objects.filter(number="COT-2026-00007").count() == 1


def test_sequence_keeps_growing_past_five_digits(org, deal, frozen):
    QuoteFactory(opportunity=deal, number="COT-2026-99999")
    assert quoting.create_quote(deal, org.vendedor_norte).number == "COT-2026-100000"
    assert quoting.create_quote(deal, org.vendedor_norte).number == "COT-2026-100001"


def test_terms_come_from_the_company_profile(org, deal, frozen):
    profile = CompanyProfile.current()
    profile.quote_terms = "Pago a 30 días. Precios netos + IVA."
    profile.save()
    assert quoting.create_quote(deal, org.vendedor_norte).terms == "Pago a 30 días. Precios netos + IVA."
    assert quoting.create_quote(deal, org.vendedor_norte, terms="Otras").terms == "Otras"


def test_currency_follows_the_price_list_else_the_deal(org, deal, frozen):
    usd = PriceListFactory(currency="USD")
    assert quoting.create_quote(deal, org.vendedor_norte, usd).currency == "USD"
    deal.currency = "EUR"
    assert quoting.create_quote(deal, org.vendedor_norte).currency == "EUR"
    with pytest.raises(ValidationError) as refused:
        quoting.create_quote(deal, org.vendedor_norte, usd, currency="CLP")
    assert "currency" in refused.value.message_dict


def test_deal_lines_become_starting_lines_with_list_prices(org, deal, catalogue, frozen):
    OpportunityLine.objects.create(opportunity=deal, product=catalogue.pump, quantity=D(2), unit_price=D(999),
                                   discount_percent=D(5))
    OpportunityLine.objects.create(opportunity=deal, description="Flete a faena", quantity=D(1), unit_price=D(80000))
    quote = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
    pump, freight = quote.lines.order_by("position")
    # The list's price wins over the deal's estimate; lines without a product keep theirs.
    assert (pump.product, pump.unit_price, pump.discount_percent, pump.tax_rate) == (
        catalogue.pump, D("1250000"), D(5), D(19))
    assert (freight.description, freight.unit_price) == ("Flete a faena", D(80000))
    # 2 × 1,250,000 − 5% = 2,375,000 (+ 451,250 IVA); 80,000 + 15,200 IVA.
    assert (quote.subtotal, quote.discount_total, quote.tax_total, quote.total) == (
        D(2580000), D(125000), D(466450), D(2921450))


def test_a_deal_the_user_may_only_read_cannot_be_quoted(org, deal, reader, frozen):
    with pytest.raises(PermissionDenied):
        quoting.create_quote(deal, reader)
    assert not Quote.objects.exists()


def test_an_inactive_price_list_is_refused(org, deal, frozen):
    with pytest.raises(ValidationError) as refused:
        quoting.create_quote(deal, org.vendedor_norte, PriceListFactory(is_active=False))
    assert "price_list" in refused.value.message_dict


# ---------- Lines ----------

def test_a_catalogue_product_fills_the_line_and_the_totals_follow(org, deal, catalogue, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
    line = quoting.add_line(quote, org.vendedor_norte, product=catalogue.service, quantity=D("2.5"),
                            discount_percent=D(10))
    assert (line.description, line.unit, line.tax_rate, line.unit_price) == (
        "Instalación en faena", "hour", D(19), D(45000))
    # 2.5 × 45,000 = 112,500; −10% = 101,250; IVA 19,237.5 → 19,238.
    assert (line.net_amount, line.tax_amount, line.total_amount) == (D(101250), D(19238), D(120488))
    quote.refresh_from_db()
    assert (quote.subtotal, quote.discount_total, quote.tax_total, quote.total) == (
        D(112500), D(11250), D(19238), D(120488))


def test_line_changes_recompute_totals_and_are_in_the_history(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, lines=[("pump", 1, 0), ("service", 10, 0)])
    pump_line, service_line = quote.lines.order_by("position")
    quoting.update_line(pump_line, org.vendedor_norte, quantity=D(2), unit_price=D(1200000))
    quoting.remove_line(service_line, org.vendedor_norte)
    quote.refresh_from_db()
    assert (quote.subtotal, quote.tax_total, quote.total) == (D(2400000), D(456000), D(2856000))
    assert quote.total == sum(line.total_amount for line in quote.lines.all())
    changed = [change["field"] for entry in quote.history() for change in entry.changes]
    assert "total" in changed


def test_free_text_line_needs_a_description_and_a_price(org, deal, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte)
    with pytest.raises(ValidationError) as refused:
        quoting.add_line(quote, org.vendedor_norte, quantity=D(1), unit_price=D(10))
    assert "description" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        quoting.add_line(quote, org.vendedor_norte, description="Flete")
    assert "unit_price" in refused.value.message_dict


def test_bad_line_values_are_refused_naming_the_field(org, deal, catalogue, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
    for field, value in (("quantity", D(0)), ("quantity", D(-1)), ("discount_percent", D(101)),
                         ("tax_rate", D(-1)), ("unit_price", D(-5))):
        with pytest.raises(ValidationError) as refused:
            quoting.add_line(quote, org.vendedor_norte, product=catalogue.pump, **{field: value})
        assert field in refused.value.message_dict, field
    assert not quote.lines.exists()


def test_inactive_products_and_products_without_a_price_are_refused(org, deal, catalogue, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte, catalogue.price_list)
    with pytest.raises(ValidationError) as refused:
        quoting.add_line(quote, org.vendedor_norte, product=catalogue.old)
    assert "inactive" in refused.value.message_dict["product"][0]
    unpriced = quoting.create_quote(deal, org.vendedor_norte)
    with pytest.raises(ValidationError) as refused:
        quoting.add_line(unpriced, org.vendedor_norte, product=catalogue.pump)
    assert "unit_price" in refused.value.message_dict
    # With a price given, a product outside the list is fine.
    quoting.add_line(unpriced, org.vendedor_norte, product=catalogue.pump, unit_price=D(1000))


def test_the_currency_of_a_draft_with_lines_cannot_change(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quote.price_list, quote.currency = None, "USD"
    with pytest.raises(ValidationError) as refused:
        quoting.update_quote(quote, org.vendedor_norte, expected_version=quote.version)
    assert "currency" in refused.value.message_dict


# ---------- Workflow and revisions ----------

def test_a_quote_without_lines_cannot_be_sent(org, deal, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte)
    with pytest.raises(ValidationError, match="at least one line"):
        quoting.send_quote(quote, org.vendedor_norte)


def test_a_sent_quote_is_never_edited_in_place(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    assert quote.status == Quote.Status.SENT and quote.sent_at is not None
    line = quote.lines.get()
    refusals = [
        lambda: quoting.add_line(quote, org.vendedor_norte, product=catalogue.service),
        lambda: quoting.update_line(line, org.vendedor_norte, quantity=D(5)),
        lambda: quoting.remove_line(line, org.vendedor_norte),
        lambda: quoting.update_quote(quote, org.vendedor_norte, expected_version=quote.version),
        lambda: quoting.send_quote(quote, org.vendedor_norte),
        lambda: quoting.delete_quote(quote, org.vendedor_norte),
    ]
    for refusal in refusals:
        with pytest.raises(ValidationError):
            refusal()
    line.refresh_from_db()
    assert line.quantity == D(2) and Quote.objects.filter(pk=quote.pk, status=Quote.Status.SENT).exists()
    with pytest.raises(ValidationError, match="Revise it"):
        quoting.update_line(line, org.vendedor_norte, quantity=D(5))


def test_revising_makes_the_next_revision_and_supersedes_the_old(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, lines=[("pump", 2, 10), ("service", 8, 0)])
    quoting.send_quote(quote, org.vendedor_norte)
    revision = quoting.revise_quote(quote, org.vendedor_norte)
    quote.refresh_from_db()
    assert (revision.number, revision.revision, revision.status) == (quote.number, 2, Quote.Status.DRAFT)
    assert quote.status == Quote.Status.SUPERSEDED
    assert [(line.product_id, line.quantity, line.discount_percent, line.total_amount)
            for line in revision.lines.order_by("position")] == [
        (line.product_id, line.quantity, line.discount_percent, line.total_amount)
        for line in quote.lines.order_by("position")]
    assert revision.total == quote.total
    # The new revision is a draft: it can change, the old one cannot be revised again.
    quoting.add_line(revision, org.vendedor_norte, product=catalogue.service, quantity=D(1))
    with pytest.raises(ValidationError):
        quoting.revise_quote(quote, org.vendedor_norte)
    assert quote.lines.count() == 2 and revision.lines.count() == 3


def test_a_rejected_quote_can_be_revised(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    quoting.reject_quote(quote, org.vendedor_norte, note="Muy caro")
    assert (quote.status, quote.decision_note) == (Quote.Status.REJECTED, "Muy caro")
    assert quoting.revise_quote(quote, org.vendedor_norte).revision == 2


def test_deleting_a_draft_revision_gives_the_previous_one_back(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    revision = quoting.revise_quote(quote, org.vendedor_norte)
    quoting.delete_quote(revision, org.vendedor_norte)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    assert not Quote.objects.filter(pk=revision.pk).exists()


def test_accepting_marks_the_deal_won_with_the_quote_total_and_makes_the_prospect_a_customer(org, frozen, catalogue):
    org.north_account.account_type = Account.Type.PROSPECT
    org.north_account.save()
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, amount=D(1), currency="USD")
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    quoting.accept_quote(quote, org.vendedor_norte, mark_won=True, note="OC 4500123")
    deal.refresh_from_db()
    org.north_account.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED and quote.decided_at is not None
    # 2 × 1,250,000 − 10% = 2,250,000 + 427,500 IVA.
    assert (deal.status, deal.amount, deal.currency) == (Opportunity.Status.WON, D(2677500), "CLP")
    assert org.north_account.account_type == Account.Type.CUSTOMER
    assert any(change["field"] == "account_type" for entry in org.north_account.history() for change in entry.changes)


def test_accepting_without_marking_won_leaves_the_deal_open(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    quoting.accept_quote(quote, org.vendedor_norte, mark_won=False)
    deal.refresh_from_db()
    assert deal.status == Opportunity.Status.OPEN


def test_accepting_supersedes_other_open_revisions_of_the_number(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(quote, org.vendedor_norte)
    second = quoting.revise_quote(quote, org.vendedor_norte)
    quoting.send_quote(second, org.vendedor_norte)
    # An older sent revision someone left open (e.g. imported) is superseded too.
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.SENT)
    third = quoting.revise_quote(second, org.vendedor_norte)
    quoting.send_quote(third, org.vendedor_norte)
    other = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.accept_quote(third, org.vendedor_norte, mark_won=False)
    statuses = dict(Quote.objects.values_list("revision", "status").filter(number=quote.number))
    assert statuses == {1: "superseded", 2: "superseded", 3: "accepted"}
    other.refresh_from_db()
    assert other.status == Quote.Status.DRAFT


def test_only_sent_quotes_are_accepted_or_rejected(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    with pytest.raises(ValidationError, match="Only a sent quote"):
        quoting.accept_quote(quote, org.vendedor_norte)
    with pytest.raises(ValidationError, match="Only a sent quote"):
        quoting.reject_quote(quote, org.vendedor_norte)


def test_an_expired_draft_is_not_sent(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue, issued_on=datetime.date(2026, 1, 1),
                       valid_until=datetime.date(2026, 1, 31))
    with pytest.raises(ValidationError) as refused:
        quoting.send_quote(quote, org.vendedor_norte)
    assert "valid_until" in refused.value.message_dict


# ---------- Who may change a quote ----------

def test_writes_follow_the_deal(org, deal, catalogue, reader, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    line = quote.lines.get()
    for user in (reader, org.gerente_sur, org.vendedor_norte2):
        with pytest.raises(PermissionDenied):
            quoting.add_line(quote, user, product=catalogue.pump)
        with pytest.raises(PermissionDenied):
            quoting.update_line(line, user, quantity=D(1))
        with pytest.raises(PermissionDenied):
            quoting.send_quote(quote, user)
    # The owner's manager and an admin may.
    quoting.add_line(quote, org.gerente_norte, product=catalogue.service, quantity=D(1))
    quoting.send_quote(quote, org.admin)
    assert quote.lines.count() == 2


def test_visibility_follows_the_deal(org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    for user, sees in ((org.vendedor_norte, True), (org.gerente_norte, True), (org.director, True),
                       (org.admin, True), (org.vendedor_sur, False), (org.gerente_sur, False),
                       (org.vendedor_norte2, False)):
        assert Quote.objects.visible_to(user).filter(pk=quote.pk).exists() is sees, user


def test_a_reader_of_the_deal_sees_its_quotes(org, deal, catalogue, reader, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    assert Quote.objects.visible_to(reader).filter(pk=quote.pk).exists()
    assert not Quote.objects.editable_by(reader).filter(pk=quote.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers: no race to lose")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creators_get_different_numbers(org, frozen, monkeypatch):
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte)
    both_counted = threading.Barrier(2, timeout=10)
    real = quoting._next_number
    first_call = threading.local()

    def next_number(year):
        number = real(year)
        if not getattr(first_call, "done", False):
            first_call.done = True
            both_counted.wait()  # each has computed the same number before either stores it
        return number

    monkeypatch.setattr(quoting, "_next_number", next_number)
    numbers, errors = [], []

    def create():
        try:
            numbers.append(quoting.create_quote(deal, org.vendedor_norte).number)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(numbers) == ["COT-2026-00001", "COT-2026-00002"]
