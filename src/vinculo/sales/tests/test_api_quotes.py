"""/api/v1/quotes: list and detail with lines and totals, creation from a deal, header and line changes
while draft (422 afterwards), the workflow endpoints, the PDF, and the permission matrix."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.sales import quoting
from vinculo.sales.models import Opportunity, Quote

from .factories import OpportunityFactory
from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)
from .quote_fixtures import make_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def quote(org, deal, catalogue, frozen):
    return make_quote(deal, org.vendedor_norte, catalogue, contact=org.north_contact)


def test_detail_has_lines_totals_and_taxes_in_the_currencys_decimals(org, quote):
    body = ApiClient(org.vendedor_norte).get(f"/quotes/{quote.pk}").json()
    assert (body["number"], body["revision"], body["status"], body["currency"]) == (
        "COT-2026-00001", 1, "draft", "CLP")
    # 2 × 1,250,000 − 10%: CLP amounts without decimals.
    assert (body["subtotal"], body["discount_total"], body["tax_total"], body["total"]) == (
        "2500000", "250000", "427500", "2677500")
    assert body["taxes"] == [{"rate": "19", "amount": "427500"}]
    assert body["account"]["name"] == "Minera Norte Grande SpA" and body["contact"]["id"] == org.north_contact.pk
    [line] = body["lines"]
    assert (line["product"]["id"], line["quantity"], line["net_amount"], line["total_amount"]) == (
        quote.lines.get().product_id, "2", "2250000", "2677500")


def test_list_filters_and_visibility(org, quote, catalogue):
    other = make_quote(OpportunityFactory(account=org.south_account, owner=org.vendedor_sur), org.vendedor_sur,
                       catalogue)
    mine = ApiClient(org.vendedor_norte).get("/quotes").json()
    assert [item["id"] for item in mine["items"]] == [quote.pk] and mine["count"] == 1
    director = ApiClient(org.director)
    assert director.get("/quotes").json()["count"] == 2
    assert [i["id"] for i in director.get("/quotes", account=org.south_account.pk).json()["items"]] == [other.pk]
    assert director.get("/quotes", status="sent").json()["count"] == 0
    assert director.get("/quotes", q="00002").json()["items"][0]["id"] == other.pk


@pytest.mark.parametrize("who", ["vendedor_sur", "gerente_sur", "vendedor_norte2"])
def test_outsiders_get_404(org, quote, who):
    api = ApiClient(getattr(org, who))
    line = quote.lines.get()
    assert api.get(f"/quotes/{quote.pk}").status_code == 404
    assert api.get(f"/quotes/{quote.pk}/pdf").status_code == 404
    assert api.patch(f"/quotes/{quote.pk}", {"notes": "x", "version": quote.version}).status_code == 404
    assert api.post(f"/quotes/{quote.pk}/lines", {"description": "x", "unit_price": "1"}).status_code == 404
    assert api.patch(f"/quotes/{quote.pk}/lines/{line.pk}", {"quantity": "3"}).status_code == 404
    assert api.post(f"/quotes/{quote.pk}/send", {}).status_code == 404
    assert api.delete(f"/quotes/{quote.pk}").status_code == 404
    assert api.post("/quotes", {"opportunity": quote.opportunity_id}).status_code == 422
    assert api.get("/quotes").json()["count"] == 0


def test_a_reader_reads_but_every_write_is_403(org, quote, reader):
    api = ApiClient(reader)
    line = quote.lines.get()
    assert api.get(f"/quotes/{quote.pk}").status_code == 200
    assert api.get(f"/quotes/{quote.pk}/pdf").status_code == 200
    for response in (
        api.patch(f"/quotes/{quote.pk}", {"notes": "x", "version": quote.version}),
        api.post(f"/quotes/{quote.pk}/lines", {"description": "x", "unit_price": "1"}),
        api.patch(f"/quotes/{quote.pk}/lines/{line.pk}", {"quantity": "3"}),
        api.delete(f"/quotes/{quote.pk}/lines/{line.pk}"),
        api.post(f"/quotes/{quote.pk}/send", {}),
        api.post(f"/quotes/{quote.pk}/revise", {}),
        api.delete(f"/quotes/{quote.pk}"),
        api.post("/quotes", {"opportunity": quote.opportunity_id}),
    ):
        assert response.status_code == 403
    assert Quote.objects.count() == 1 and quote.lines.count() == 1


def test_create_from_a_deal(org, deal, catalogue, frozen):
    api = ApiClient(org.vendedor_norte)
    response = api.post("/quotes", {"opportunity": deal.pk, "price_list": catalogue.price_list.pk,
                                    "contact": org.north_contact.pk, "notes": "Plazo 4 semanas"})
    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["currency"], body["valid_until"], body["notes"]) == (
        "COT-2026-00001", "CLP", "2026-04-09", "Plazo 4 semanas")


def test_create_refuses_bad_input_naming_the_field(org, deal, catalogue, frozen):
    api = ApiClient(org.vendedor_norte)
    assert error_fields(api.post("/quotes", {"opportunity": deal.pk, "price_list": catalogue.price_list.pk,
                                             "currency": "USD"})) == {"currency"}
    assert error_fields(api.post("/quotes", {"opportunity": deal.pk, "price_list": 999999})) == {"price_list"}
    assert error_fields(api.post("/quotes", {"opportunity": deal.pk, "contact": org.south_contact.pk})) == {"contact"}
    assert error_fields(api.post("/quotes", {"opportunity": deal.pk, "issued_on": "2026-03-10",
                                             "valid_until": "2026-03-01"})) == {"valid_until"}
    assert error_fields(api.post("/quotes", {"opportunity": deal.pk, "status": "sent"})) == {"status"}
    assert not Quote.objects.exists()


def test_lines_change_the_totals_and_answer_the_quote(org, quote, catalogue):
    api = ApiClient(org.vendedor_norte)
    added = api.post(f"/quotes/{quote.pk}/lines", {"product": catalogue.service.pk, "quantity": "10",
                                                   "discount_percent": "50"})
    assert added.status_code == 201
    # + 10 × 45,000 − 50% = 225,000 net, 42,750 IVA.
    assert added.json()["total"] == "2945250"
    line_id = added.json()["lines"][-1]["id"]
    changed = api.patch(f"/quotes/{quote.pk}/lines/{line_id}", {"discount_percent": "0", "tax_rate": "0"})
    assert changed.status_code == 200 and changed.json()["total"] == "3127500"
    assert changed.json()["taxes"] == [{"rate": "0", "amount": "0"}, {"rate": "19", "amount": "427500"}]
    removed = api.delete(f"/quotes/{quote.pk}/lines/{line_id}")
    assert removed.status_code == 200 and removed.json()["total"] == "2677500"


def test_bad_lines_are_refused_naming_the_field(org, quote, catalogue):
    api = ApiClient(org.vendedor_norte)
    assert error_fields(api.post(f"/quotes/{quote.pk}/lines", {"product": catalogue.old.pk})) == {"product"}
    assert error_fields(api.post(f"/quotes/{quote.pk}/lines", {"product": 999999})) == {"product"}
    assert error_fields(api.post(f"/quotes/{quote.pk}/lines", {"description": "Flete", "unit_price": "10",
                                                              "discount_percent": "120"})) == {"discount_percent"}
    assert error_fields(api.post(f"/quotes/{quote.pk}/lines", {"description": "Flete"})) == {"unit_price"}
    assert error_fields(api.post(f"/quotes/{quote.pk}/lines", {"quantity": "1", "unit_price": "1"})) == {"description"}
    assert quote.lines.count() == 1


def test_a_stale_quote_version_on_a_line_is_409(org, quote):
    api = ApiClient(org.vendedor_norte)
    response = api.post(f"/quotes/{quote.pk}/lines", {"description": "Flete", "unit_price": "10",
                                                      "version": quote.version - 1})
    assert response.status_code == 409 and quote.lines.count() == 1


def test_patch_header_needs_the_version_and_conflicts_when_stale(org, quote):
    api = ApiClient(org.vendedor_norte)
    assert error_fields(api.patch(f"/quotes/{quote.pk}", {"notes": "x"})) == {"version"}
    assert api.patch(f"/quotes/{quote.pk}", {"notes": "x", "version": quote.version - 1}).status_code == 409
    response = api.patch(f"/quotes/{quote.pk}", {"notes": "Incluye flete", "version": quote.version})
    assert response.status_code == 200 and response.json()["notes"] == "Incluye flete"


def test_a_sent_quote_refuses_edits_with_a_clear_message_and_is_revised(org, quote):
    api = ApiClient(org.vendedor_norte)
    sent = api.post(f"/quotes/{quote.pk}/send", {})
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    line = quote.lines.get()
    for response in (
        api.patch(f"/quotes/{quote.pk}", {"notes": "x", "version": sent.json()["version"]}),
        api.post(f"/quotes/{quote.pk}/lines", {"description": "x", "unit_price": "1"}),
        api.patch(f"/quotes/{quote.pk}/lines/{line.pk}", {"quantity": "3"}),
        api.delete(f"/quotes/{quote.pk}/lines/{line.pk}"),
        api.delete(f"/quotes/{quote.pk}"),
    ):
        assert response.status_code == 422
        assert "sent" in response.json()["detail"][0]["message"]
    revised = api.post(f"/quotes/{quote.pk}/revise", {})
    assert revised.status_code == 201
    assert (revised.json()["number"], revised.json()["revision"], revised.json()["status"]) == (
        quote.number, 2, "draft")
    assert api.get(f"/quotes/{quote.pk}").json()["status"] == "superseded"


def test_accept_marks_the_deal_won_and_reject_records_the_answer(org, quote, catalogue):
    api = ApiClient(org.vendedor_norte)
    # No body at all is fine for the workflow endpoints.
    assert api.client.post(f"/api/v1/quotes/{quote.pk}/send", content_type="application/json").status_code == 200
    accepted = api.post(f"/quotes/{quote.pk}/accept", {"note": "OC 77"})
    assert accepted.status_code == 200 and accepted.json()["decision_note"] == "OC 77"
    deal = Opportunity.objects.get(pk=quote.opportunity_id)
    assert (deal.status, deal.amount) == (Opportunity.Status.WON, Decimal(2677500))
    other = make_quote(deal, org.vendedor_norte, catalogue)
    quoting.send_quote(other, org.vendedor_norte)
    rejected = api.post(f"/quotes/{other.pk}/reject", {"note": "Se fueron con otro"})
    assert rejected.json()["status"] == "rejected"
    again = api.post(f"/quotes/{other.pk}/accept", {"mark_won": False})
    assert again.status_code == 422 and "Only a sent quote" in again.json()["detail"][0]["message"]


def test_the_pdf_endpoint_answers_a_pdf(org, quote):
    response = ApiClient(org.gerente_norte).get(f"/quotes/{quote.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="COT-2026-00001-r1.pdf"' in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "COT-2026-00001" in text and "Minera Norte Grande SpA" in text


def test_list_queries_do_not_grow(org, deal, catalogue, frozen, django_assert_max_num_queries):
    make_quote(deal, org.vendedor_norte, catalogue)
    api = ApiClient(org.gerente_norte)
    with django_assert_max_num_queries(12) as few:
        api.get("/quotes")
    for _n in range(20):
        make_quote(deal, org.vendedor_norte, catalogue, lines=[("pump", 1, 0), ("service", 2, 5)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/quotes").json()["count"] == 21


def test_the_addressee_must_be_a_contact_of_the_deals_account(org, deal, catalogue, frozen):
    from vinculo.accounts.tests.factories import AccountFactory
    from vinculo.contacts.models import ContactAccountLink
    from vinculo.contacts.tests.factories import ContactFactory

    elsewhere = ContactFactory(account=AccountFactory(owner=org.vendedor_norte))
    api = ApiClient(org.vendedor_norte)
    assert error_fields(api.post("/quotes", {"opportunity": deal.pk, "contact": elsewhere.pk})) == {"contact"}
    assert not Quote.objects.exists()

    ContactAccountLink.objects.create(contact=elsewhere, account=deal.account, role="Consultor")
    assert api.post("/quotes", {"opportunity": deal.pk, "contact": elsewhere.pk}).status_code == 201
