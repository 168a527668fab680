"""Quote pages: the permission matrix (list, detail, PDF, create, edit, lines, workflow buttons), lines
edited in place with htmx, the workflow from the buttons, revisions, filters and bounded query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from vinculo.sales import quoting
from vinculo.sales.models import Opportunity, Quote, QuoteLine

from .factories import OpportunityFactory
from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)
from .quote_fixtures import make_quote

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args):
    return reverse(f"sales:{name}", args=args)


@pytest.fixture
def quote(org, deal, catalogue, frozen):
    return make_quote(deal, org.vendedor_norte, catalogue)


def login(client, user):
    client.force_login(user)
    return client


# ---------- Who sees what ----------

@pytest.mark.parametrize("who", ["vendedor_norte", "gerente_norte", "director", "admin"])
def test_owner_and_the_line_above_see_the_quote_everywhere(client, org, quote, who):
    login(client, getattr(org, who))
    assert quote.number in client.get(url("quote_list")).content.decode()
    page = client.get(url("quote_detail", quote.pk))
    assert page.status_code == 200 and "Bomba centrífuga 100" in page.content.decode()
    assert client.get(url("quote_pdf", quote.pk)).status_code == 200


@pytest.mark.parametrize("who", ["vendedor_sur", "gerente_sur", "vendedor_norte2"])
def test_outsiders_get_404_and_never_see_it_listed(client, org, quote, who):
    login(client, getattr(org, who))
    link = url("quote_detail", quote.pk)
    assert link not in client.get(url("quote_list")).content.decode()
    assert link not in client.get(url("quote_list"), {"q": quote.number}).content.decode()
    assert link not in client.get(url("quote_list"), {"opportunity": quote.opportunity_id}).content.decode()
    line = quote.lines.get()
    for response in (
        client.get(url("quote_detail", quote.pk)),
        client.get(url("quote_pdf", quote.pk)),
        client.get(url("quote_edit", quote.pk)),
        client.post(url("quote_send", quote.pk)),
        client.post(url("quote_delete", quote.pk)),
        client.post(url("quote_line_add", quote.pk), {"description": "x", "quantity": "1", "unit_price": "1"}),
        client.post(url("quote_line_edit", quote.pk, line.pk), {}),
        client.post(url("quote_line_delete", quote.pk, line.pk)),
        client.get(url("quote_create"), {"opportunity": quote.opportunity_id}),
    ):
        assert response.status_code == 404
    assert Quote.objects.get(pk=quote.pk).status == Quote.Status.DRAFT and quote.lines.count() == 1


def test_a_reader_sees_no_buttons_and_is_refused_every_write(client, org, quote, reader):
    login(client, reader)
    page = client.get(url("quote_detail", quote.pk)).content.decode()
    assert "Bomba centrífuga 100" in page and "Download PDF" in page
    for action in ("quote_send", "quote_edit", "quote_delete", "quote_line_add"):
        assert url(action, quote.pk) not in page
    assert 'name="line-' not in page
    line = quote.lines.get()
    for response in (
        client.get(url("quote_edit", quote.pk)),
        client.post(url("quote_send", quote.pk)),
        client.post(url("quote_accept", quote.pk)),
        client.post(url("quote_revise", quote.pk)),
        client.post(url("quote_delete", quote.pk)),
        client.post(url("quote_line_add", quote.pk), {"description": "x", "quantity": "1", "unit_price": "1"}),
        client.post(url("quote_line_edit", quote.pk, line.pk), {f"line-{line.pk}-quantity": "9"}),
        client.post(url("quote_line_delete", quote.pk, line.pk)),
        client.get(url("quote_create"), {"opportunity": quote.opportunity_id}),
    ):
        assert response.status_code == 403
    assert client.get(url("quote_pdf", quote.pk)).status_code == 200
    line.refresh_from_db()
    assert line.quantity == 2 and Quote.objects.get(pk=quote.pk).status == Quote.Status.DRAFT


def test_the_list_names_the_account_only_when_visible(client, org, frozen, catalogue):
    # vendedor.sur owns a deal on the north account, which they may not see.
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_sur, name="Negocio cruzado")
    make_quote(deal, org.vendedor_sur, catalogue)
    login(client, org.vendedor_sur)
    page = client.get(url("quote_list")).content.decode()
    assert "Negocio cruzado" in page and "Minera Norte Grande" not in page
    detail = client.get(url("quote_detail", Quote.objects.get().pk)).content.decode()
    assert "Minera Norte Grande" not in detail


# ---------- Creating and editing ----------

def test_create_from_a_deal_with_a_price_list(client, org, deal, catalogue, frozen):
    login(client, org.vendedor_norte)
    form = client.get(url("quote_create"), {"opportunity": deal.pk})
    assert form.status_code == 200 and "Lista general" in form.content.decode()
    response = client.post(f"{url('quote_create')}?opportunity={deal.pk}", {
        "price_list": catalogue.price_list.pk, "currency": "", "contact": org.north_contact.pk,
        "issued_on": "2026-03-10", "valid_until": "2026-04-30", "notes": "", "terms": "Contado",
    })
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == url("quote_detail", quote.pk)
    assert (quote.number, quote.currency, quote.contact, quote.terms) == (
        "COT-2026-00001", "CLP", org.north_contact, "Contado")


def test_create_refuses_a_currency_other_than_the_price_lists(client, org, deal, catalogue, frozen):
    login(client, org.vendedor_norte)
    response = client.post(f"{url('quote_create')}?opportunity={deal.pk}", {
        "price_list": catalogue.price_list.pk, "currency": "USD", "issued_on": "2026-03-10",
        "valid_until": "2026-04-30",
    })
    assert response.status_code == 200 and not Quote.objects.exists()
    assert "is in CLP" in response.content.decode()


def test_create_without_a_deal_points_to_the_opportunities(client, org):
    login(client, org.vendedor_norte)
    response = client.get(url("quote_create"))
    assert response.status_code == 302 and response["Location"] == url("quote_list")


def test_contacts_offered_are_the_deals_accounts_only(client, org, deal, frozen):
    login(client, org.vendedor_norte)
    page = client.get(url("quote_create"), {"opportunity": deal.pk}).content.decode()
    assert "Araya" in page and "Bustos" not in page


def test_edit_the_header_of_a_draft(client, org, quote):
    login(client, org.vendedor_norte)
    response = client.post(url("quote_edit", quote.pk), {
        "version": quote.version, "price_list": quote.price_list_id, "currency": "", "contact": org.north_contact.pk,
        "issued_on": "2026-03-10", "valid_until": "2026-05-31", "notes": "Incluye capacitación", "terms": "",
    })
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.valid_until.isoformat(), quote.notes, quote.contact) == (
        "2026-05-31", "Incluye capacitación", org.north_contact)
    assert client.get(url("quote_edit", quote.pk)).status_code == 200


def test_a_stale_header_edit_is_a_conflict(client, org, quote):
    login(client, org.vendedor_norte)
    stale = quote.version
    quoting.add_line(quote, org.vendedor_norte, description="Flete", quantity=Decimal(1), unit_price=Decimal(50000))
    response = client.post(url("quote_edit", quote.pk), {
        "version": stale, "price_list": quote.price_list_id, "issued_on": "2026-03-10", "valid_until": "2026-05-31",
    })
    assert response.status_code == 200 and "changed this record" in response.content.decode()


def test_a_sent_quote_has_no_edit_page(client, org, quote):
    quoting.send_quote(quote, org.vendedor_norte)
    login(client, org.vendedor_norte)
    response = client.get(url("quote_edit", quote.pk), follow=True)
    assert "Revise it" in response.content.decode()
    page = client.get(url("quote_detail", quote.pk)).content.decode()
    assert url("quote_edit", quote.pk) not in page and url("quote_revise", quote.pk) in page


# ---------- Lines in place (htmx) ----------

def test_adding_a_catalogue_line_answers_the_lines_with_new_totals(client, org, quote, catalogue):
    login(client, org.vendedor_norte)
    response = client.post(url("quote_line_add", quote.pk), {
        "product": catalogue.service.pk, "quantity": "10", "discount_percent": "", "unit_price": "", "tax_rate": "",
        "description": "",
    }, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="quote-lines"' in body and "<html" not in body
    # 2,250,000 + 450,000 = 2,700,000 net; IVA 513,000; total 3,213,000.
    assert "CLP\u00a03,213,000" in body  # a no-break space keeps the code with the amount
    quote.refresh_from_db()
    assert quote.total == Decimal(3213000)


def test_a_refused_line_shows_the_field_error_in_place(client, org, quote, catalogue):
    login(client, org.vendedor_norte)
    response = client.post(url("quote_line_add", quote.pk), {
        "product": catalogue.old.pk, "quantity": "1",
    }, **HTMX)
    assert response.status_code == 200 and "Choose an active product" in response.content.decode()
    response = client.post(url("quote_line_add", quote.pk), {"description": "Flete", "quantity": "0",
                                                             "unit_price": "100"}, **HTMX)
    assert "more than zero" in response.content.decode()
    assert quote.lines.count() == 1


def test_changing_and_removing_a_line_in_place(client, org, quote):
    login(client, org.vendedor_norte)
    line = quote.lines.get()
    prefix = f"line-{line.pk}"
    response = client.post(url("quote_line_edit", quote.pk, line.pk), {
        f"{prefix}-description": "Bomba con variador", f"{prefix}-quantity": "3", f"{prefix}-unit_price": "1000000",
        f"{prefix}-discount_percent": "0", f"{prefix}-tax_rate": "19",
    }, **HTMX)
    assert response.status_code == 200 and "CLP\u00a03,570,000" in response.content.decode()
    line.refresh_from_db()
    assert (line.description, line.quantity, line.total_amount) == ("Bomba con variador", 3, Decimal(3570000))
    response = client.post(url("quote_line_delete", quote.pk, line.pk), **HTMX)
    assert response.status_code == 200 and not QuoteLine.objects.filter(pk=line.pk).exists()
    quote.refresh_from_db()
    assert quote.total == 0


def test_lines_of_a_sent_quote_are_refused_with_a_clear_message(client, org, quote):
    quoting.send_quote(quote, org.vendedor_norte)
    login(client, org.vendedor_norte)
    line = quote.lines.get()
    response = client.post(url("quote_line_edit", quote.pk, line.pk), {f"line-{line.pk}-quantity": "9"}, follow=True)
    assert "never changed in place" in response.content.decode()
    line.refresh_from_db()
    assert line.quantity == 2
    htmx = client.post(url("quote_line_delete", quote.pk, line.pk), **HTMX)
    assert htmx["HX-Redirect"] == url("quote_detail", quote.pk) and quote.lines.count() == 1


# ---------- Workflow from the buttons ----------

def test_send_accept_and_mark_won_from_the_page(client, org, quote):
    login(client, org.vendedor_norte)
    client.post(url("quote_send", quote.pk))
    page = client.get(url("quote_detail", quote.pk)).content.decode()
    assert url("quote_accept", quote.pk) in page and url("quote_reject", quote.pk) in page
    assert "Mark the deal won" in page
    client.post(url("quote_accept", quote.pk), {"mark_won": "on", "note": "OC 4500"})
    quote.refresh_from_db()
    deal = Opportunity.objects.get(pk=quote.opportunity_id)
    assert quote.status == Quote.Status.ACCEPTED and quote.decision_note == "OC 4500"
    assert (deal.status, deal.amount) == (Opportunity.Status.WON, quote.total)


def test_reject_then_revise_from_the_page(client, org, quote):
    login(client, org.vendedor_norte)
    client.post(url("quote_send", quote.pk))
    client.post(url("quote_reject", quote.pk), {"note": "Precio alto"})
    response = client.post(url("quote_revise", quote.pk))
    revision = Quote.objects.get(number=quote.number, revision=2)
    assert response["Location"] == url("quote_detail", revision.pk)
    page = client.get(url("quote_detail", revision.pk)).content.decode()
    # Both revisions are listed, linked to each other.
    assert url("quote_detail", quote.pk) in page and "Revision 2" in page


def test_sending_an_empty_quote_says_why(client, org, deal, frozen):
    empty = quoting.create_quote(deal, org.vendedor_norte)
    login(client, org.vendedor_norte)
    response = client.post(url("quote_send", empty.pk), follow=True)
    assert "at least one line" in response.content.decode()


def test_deleting_a_draft(client, org, quote):
    login(client, org.vendedor_norte)
    response = client.post(url("quote_delete", quote.pk))
    assert response["Location"] == url("quote_list") and not Quote.objects.exists()


# ---------- List filters ----------

def test_filters_by_status_and_hides_superseded_by_default(client, org, quote):
    quoting.send_quote(quote, org.vendedor_norte)
    revision = quoting.revise_quote(quote, org.vendedor_norte)
    login(client, org.vendedor_norte)
    listed = client.get(url("quote_list")).content.decode()
    assert url("quote_detail", revision.pk) in listed and url("quote_detail", quote.pk) not in listed
    superseded = client.get(url("quote_list"), {"status": "superseded"}).content.decode()
    assert url("quote_detail", quote.pk) in superseded and url("quote_detail", revision.pk) not in superseded
    assert url("quote_detail", revision.pk) in client.get(url("quote_list"), {"owner": org.vendedor_norte.pk}).content.decode()
    assert url("quote_detail", revision.pk) not in client.get(url("quote_list"), {"issued_from": "2026-04-01"}).content.decode()


# ---------- Bounded queries ----------

def test_quote_list_queries_do_not_grow_with_rows(client, org, deal, catalogue, frozen, django_assert_max_num_queries):
    make_quote(deal, org.vendedor_norte, catalogue)
    login(client, org.gerente_norte)
    with django_assert_max_num_queries(14) as few:
        client.get(url("quote_list"))
    for n in range(30):
        other = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name=f"Negocio {n}")
        quoting.create_quote(other, org.vendedor_norte)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("quote_list"))
    assert response.content.decode().count("COT-2026-") >= 25


def test_quote_page_queries_do_not_grow_with_lines(client, org, deal, catalogue, frozen, django_assert_max_num_queries):
    quote = make_quote(deal, org.vendedor_norte, catalogue, lines=[("pump", 1, 0)])
    login(client, org.vendedor_norte)
    with django_assert_max_num_queries(20) as few:
        client.get(url("quote_detail", quote.pk))
    for n in range(40):
        quoting.add_line(quote, org.vendedor_norte, product=catalogue.service if n % 2 else catalogue.pump,
                         quantity=Decimal(n + 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("quote_detail", quote.pk))
    assert response.content.decode().count('<tr id="line-') == 41
