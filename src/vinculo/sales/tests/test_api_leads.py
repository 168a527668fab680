"""/api/v1/leads: the permission matrix, filters, bad input, locking, candidates and conversion."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.access import AccessLevel
from vinculo.core.services import create_record
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.customer360 import services as customer360_services
from vinculo.customer360.models import Document, Note
from vinculo.marketing.models import CampaignMember
from vinculo.org.models import OrgDefault
from vinculo.org.tests.factories import TerritoryFactory
from vinculo.sales.models import Lead, Opportunity, PipelineStage

from .factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db

MATRIX = {  # who → (sees vendedor.norte's lead, sees vendedor.sur's lead)
    "admin": (True, True),
    "director": (True, True),
    "gerente_norte": (True, False),
    "vendedor_norte": (True, False),
    "vendedor_norte2": (False, False),
    "vendedor_sur": (False, True),
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def new_lead(owner, **fields):
    values = {"first_name": "Tomás", "last_name": "Riquelme", "company": "Transportes Riquelme Ltda",
              "email": "tomas@riquelme.cl", "company_tax_id": "76.086.428-5", "owner": owner, **fields}
    return create_record(Lead(**values), by=owner)


@pytest.mark.parametrize("who", MATRIX)
def test_list_shows_exactly_the_leads_the_user_may_see(org, who):
    north = LeadFactory(owner=org.vendedor_norte)
    south = LeadFactory(owner=org.vendedor_sur)
    response = ApiClient(getattr(org, who)).get("/leads")
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert (north.pk in ids, south.pk in ids) == MATRIX[who]
    assert response.json()["count"] == len(ids)


def test_outsider_gets_404_like_a_missing_lead_on_every_endpoint(org):
    lead = new_lead(org.vendedor_norte)
    api = ApiClient(org.vendedor_sur)
    missing = api.get("/leads/999999")
    assert missing.status_code == 404
    assert api.get(f"/leads/{lead.pk}").content == missing.content
    assert api.patch(f"/leads/{lead.pk}", {"rating": "hot", "version": 1}).status_code == 404
    assert api.delete(f"/leads/{lead.pk}").status_code == 404
    assert api.get(f"/leads/{lead.pk}/candidates").status_code == 404
    assert api.post(f"/leads/{lead.pk}/convert", {}).status_code == 404
    assert api.get("/leads", q="riquelme").json()["count"] == 0
    lead.refresh_from_db()
    assert (lead.version, lead.deleted_at, lead.is_converted) == (1, None, False)


def test_read_only_user_reads_but_gets_403_on_every_write(org):
    OrgDefault.objects.update_or_create(record_type="sales.lead", defaults={"access": AccessLevel.PUBLIC_READ})
    lead = new_lead(org.vendedor_norte)
    api = ApiClient(org.vendedor_sur)
    assert api.get(f"/leads/{lead.pk}").status_code == 200
    assert api.get(f"/leads/{lead.pk}/candidates").status_code == 200
    assert api.patch(f"/leads/{lead.pk}", {"rating": "hot", "version": 1}).status_code == 403
    assert api.delete(f"/leads/{lead.pk}").status_code == 403
    assert api.post(f"/leads/{lead.pk}/convert", {}).status_code == 403
    lead.refresh_from_db()
    assert (lead.version, lead.is_converted) == (1, False)


def test_manager_above_reads_changes_and_deletes_with_version_checks(org):
    lead = new_lead(org.vendedor_norte)
    api = ApiClient(org.gerente_norte)
    assert api.get(f"/leads/{lead.pk}")["ETag"] == '"1"'
    changed = api.patch(f"/leads/{lead.pk}", {"rating": "hot", "status": "qualified", "version": 1})
    assert (changed.status_code, changed.json()["rating"], changed.json()["version"]) == (200, "hot", 2)
    assert api.patch(f"/leads/{lead.pk}", {"rating": "cold", "version": 1}).status_code == 409
    assert api.patch(f"/leads/{lead.pk}", {"rating": "cold"}, **{"If-Match": '"2"'}).status_code == 200
    assert api.delete(f"/leads/{lead.pk}").status_code == 204
    assert api.get(f"/leads/{lead.pk}").status_code == 404


def test_create_normalises_and_bad_input_names_the_field(org):
    api = ApiClient(org.vendedor_norte)
    created = api.post("/leads", {"last_name": "Soto", "company": "Viña Soto SpA", "company_tax_id": "76.086.428-5",
                                  "phone": "9 8765 4321", "source": "referral"})
    assert created.status_code == 201
    body = created.json()
    assert (body["company_tax_id"], body["company_tax_id_display"], body["phone"], body["owner"]["id"]) == (
        "760864285", "76.086.428-5", "+56987654321", org.vendedor_norte.pk)
    bad = api.post("/leads", {"company_tax_id": "12.345.678-0"})
    assert bad.status_code == 422 and error_fields(bad) >= {"last_name", "company_tax_id"}
    assert error_fields(api.post("/leads", {"last_name": "X", "status": "converted"})) == {"status"}
    assert error_fields(api.post("/leads", {"last_name": "X", "colour": "red"})) == {"colour"}
    hidden = CampaignFactory(owner=org.vendedor_sur)
    assert error_fields(api.post("/leads", {"last_name": "X", "campaign": hidden.pk})) == {"campaign"}


def test_filters_and_quick_search(org):
    region = TerritoryFactory(name="Norte Grande")
    zone = TerritoryFactory(name="Iquique", parent=region)
    campaign = CampaignFactory(owner=org.vendedor_norte)
    alfa = LeadFactory(owner=org.vendedor_norte, last_name="Alfaro", status="qualified", source="referral",
                       territory=zone, campaign=campaign)
    beta = LeadFactory(owner=org.vendedor_norte2, last_name="Bello", status="new", source="web")
    api = ApiClient(org.gerente_norte)

    def ids(**params):
        return {item["id"] for item in api.get("/leads", **params).json()["items"]}

    assert ids() == {alfa.pk, beta.pk}
    assert ids(status="qualified") == {alfa.pk}
    assert ids(source="web") == {beta.pk}
    assert ids(owner=org.vendedor_norte2.pk) == {beta.pk}
    assert ids(territory=region.pk) == {alfa.pk}
    assert ids(campaign=campaign.pk) == {alfa.pk}
    assert ids(q="alfaro") == {alfa.pk}
    assert [item["id"] for item in api.get("/leads", ordering="last_name").json()["items"]] == [alfa.pk, beta.pk]
    assert api.get("/leads", ordering="secret").status_code == 422


def test_candidates_offer_the_tax_id_account_and_the_email_contact(org):
    account = AccountFactory(owner=org.vendedor_norte, legal_name="Transportes Riquelme Limitada", tax_id="760864285")
    contact = ContactFactory(account=account, email="tomas@riquelme.cl")
    AccountFactory(owner=org.vendedor_sur, legal_name="Transportes Riquelme", tax_id="")  # not visible
    lead = new_lead(org.vendedor_norte)
    body = ApiClient(org.vendedor_norte).get(f"/leads/{lead.pk}/candidates").json()
    assert [(a["id"], a["reasons"]) for a in body["accounts"]] == [(account.pk, ["tax_id", "name"])]
    assert [(c["id"], c["reasons"], c["account"]["id"]) for c in body["contacts"]] == [
        (contact.pk, ["email", "company"], account.pk)]


def test_convert_moves_everything_and_answers_the_new_ids(org):
    owner = org.vendedor_norte
    campaign = CampaignFactory(owner=owner)
    lead = new_lead(owner, campaign=campaign)
    create_record(Note(lead=lead, body="Quiere renovar la flota."), by=owner)
    customer360_services.add_document_version(
        Document(lead=lead, title="Flota"),
        SimpleUploadedFile("flota.pdf", b"%PDF-1.4\n% f\n%%EOF\n", content_type="application/pdf"), by=owner)
    CampaignMember.objects.create(campaign=campaign, member=lead)
    stage = PipelineStage.objects.filter(is_active=True).order_by("order")[1]
    response = ApiClient(owner).post(f"/leads/{lead.pk}/convert", {
        "opportunity_name": "Renovación de flota", "amount": "48000000", "currency": "CLP", "stage": stage.pk,
        "expected_close_date": "2026-09-30",
    })
    assert response.status_code == 200
    body = response.json()
    assert body["account_created"] and body["contact_created"]
    opportunity = Opportunity.objects.get(pk=body["opportunity"])
    assert (opportunity.account_id, opportunity.stage, opportunity.campaign, str(opportunity.amount)) == (
        body["account"], stage, campaign, "48000000.00")
    assert Note.objects.get(body="Quiere renovar la flota.").account_id == body["account"]
    assert Document.objects.get(title="Flota").account_id == body["account"]
    assert CampaignMember.objects.get(campaign=campaign).contact_id == body["contact"]
    lead_body = ApiClient(owner).get(f"/leads/{lead.pk}").json()
    assert (lead_body["status"], lead_body["converted_account"]["id"], lead_body["converted_opportunity"]["id"]) == (
        "converted", body["account"], body["opportunity"])


def test_converting_twice_answers_422_and_changes_nothing(org):
    lead = new_lead(org.vendedor_norte)
    api = ApiClient(org.vendedor_norte)
    assert api.post(f"/leads/{lead.pk}/convert", {"create_opportunity": False}).status_code == 200
    counts = (Account.objects.count(), Opportunity.objects.count())
    again = api.post(f"/leads/{lead.pk}/convert", {})
    assert again.status_code == 422
    assert "already converted" in again.json()["detail"][0]["message"]
    assert counts == (Account.objects.count(), Opportunity.objects.count())
    # A converted lead's status is not changed by hand.
    assert error_fields(api.patch(f"/leads/{lead.pk}", {"status": "new", "version": 2})) == {"status"}


def test_convert_onto_an_existing_account_and_refusals_name_the_field(org):
    lead = new_lead(org.vendedor_norte, company_tax_id="")
    api = ApiClient(org.vendedor_norte)
    invisible = api.post(f"/leads/{lead.pk}/convert", {"account": org.south_account.pk})
    assert invisible.status_code == 422 and error_fields(invisible) == {"account"}
    assert error_fields(api.post(f"/leads/{lead.pk}/convert", {"stage": 999999})) == {"stage"}
    assert error_fields(api.post(f"/leads/{lead.pk}/convert", {"amount": "-5"})) == {"amount"}
    assert not Lead.objects.get(pk=lead.pk).is_converted
    attached = api.post(f"/leads/{lead.pk}/convert", {"account": org.north_account.pk, "create_opportunity": False})
    assert attached.status_code == 200
    assert (attached.json()["account"], attached.json()["account_created"], attached.json()["opportunity"]) == (
        org.north_account.pk, False, None)


def test_notes_and_files_api_lists_a_leads_records_without_an_account(org):
    lead = new_lead(org.vendedor_norte)
    note = create_record(Note(lead=lead, body="Nota del lead"), by=org.vendedor_norte)
    api = ApiClient(org.vendedor_norte)
    item = next(item for item in api.get("/notes").json()["items"] if item["id"] == note.pk)
    assert (item["account"], item["lead"]["id"]) == (None, lead.pk)
    assert api.get("/files").status_code == 200
    assert note.pk not in {item["id"] for item in ApiClient(org.vendedor_sur).get("/notes").json()["items"]}
