"""Lead pages: the permission matrix (list, detail, edit, delete, convert, global search), territory
access, filters, the lead's activities, notes and files, the convert page, and bounded query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.activities.models import Activity
from vinculo.core.access import AccessLevel
from vinculo.core.services import create_record
from vinculo.customer360.models import Document, Note
from vinculo.marketing.models import CampaignMember
from vinculo.org.models import OrgDefault
from vinculo.org.tests.factories import TerritoryFactory
from vinculo.sales.models import Lead, Opportunity

from .factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.timezone.utc)


def url(name, *args):
    return reverse(f"sales:{name}", args=args)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def lead(org):
    return create_record(Lead(first_name="Carla", last_name="Quintanilla", company="Constructora Andes SpA",
                              email="carla@andes.cl", owner=org.vendedor_norte), by=org.vendedor_norte)


@pytest.fixture
def public_read(db):
    OrgDefault.objects.update_or_create(record_type="sales.lead", defaults={"access": AccessLevel.PUBLIC_READ})


def lead_data(**changes):
    data = {"first_name": "Rosa", "last_name": "Henríquez", "company": "Agrícola Valle Verde Ltda",
            "company_tax_id": "76.086.428-5", "country": "CL", "phone": "9 8765 4321", "status": "new",
            "source": "web", "email": "rosa@valleverde.cl"}
    data.update(changes)
    return data


# ---------- Permission matrix ----------

@pytest.mark.parametrize("who", ["vendedor_norte", "gerente_norte", "director", "admin"])
def test_owner_managers_above_and_admin_see_and_may_edit_and_convert(client, org, lead, who):
    client.force_login(getattr(org, who))
    assert "Quintanilla" in client.get(url("lead_list")).content.decode()
    page = client.get(url("lead_detail", lead.pk)).content.decode()
    assert "Quintanilla" in page
    for action in ("lead_edit", "lead_delete", "lead_convert"):
        assert url(action, lead.pk) in page
    assert client.get(url("lead_edit", lead.pk)).status_code == 200
    assert client.get(url("lead_convert", lead.pk)).status_code == 200
    assert "Quintanilla" in client.get(reverse("search"), {"q": "quintanilla"}).content.decode()


@pytest.mark.parametrize("who", ["vendedor_sur", "vendedor_norte2", "gerente_sur"])
def test_outsider_gets_404_everywhere_and_never_sees_the_lead(client, org, lead, who):
    client.force_login(getattr(org, who))
    assert "Quintanilla" not in client.get(url("lead_list")).content.decode()
    for name in ("lead_detail", "lead_edit", "lead_convert"):
        assert client.get(url(name, lead.pk)).status_code == 404
    for name in ("lead_edit", "lead_delete", "lead_convert"):
        assert client.post(url(name, lead.pk), lead_data()).status_code == 404
    assert "Quintanilla" not in client.get(reverse("search"), {"q": "quintanilla"}).content.decode()
    assert "Quintanilla" not in client.get(reverse("search"), {"q": "quintanilla"},
                                           headers={"HX-Request": "true"}).content.decode()
    assert client.get(reverse("activities:create"), {"lead": lead.pk}).status_code == 404
    assert client.get(reverse("accounts:note_create"), {"lead": lead.pk}).status_code == 404
    lead.refresh_from_db()
    assert (lead.version, lead.deleted_at, lead.status) == (1, None, Lead.Status.NEW)


def test_read_only_user_sees_no_edit_or_convert_button_and_gets_403_on_writes(client, org, lead, public_read):
    client.force_login(org.vendedor_sur)
    page = client.get(url("lead_detail", lead.pk)).content.decode()
    assert "Quintanilla" in page
    for action in ("lead_edit", "lead_delete", "lead_convert"):
        assert url(action, lead.pk) not in page
    assert f"{reverse('activities:create')}?lead={lead.pk}" not in page
    assert client.get(url("lead_edit", lead.pk)).status_code == 403
    assert client.get(url("lead_convert", lead.pk)).status_code == 403
    assert client.post(url("lead_edit", lead.pk), lead_data(version=1)).status_code == 403
    assert client.post(url("lead_delete", lead.pk)).status_code == 403
    assert client.post(url("lead_convert", lead.pk), {"account": "new", "contact": "new"}).status_code == 403
    assert client.post(reverse("activities:create") + f"?lead={lead.pk}", {}).status_code == 403
    assert client.post(reverse("accounts:note_create") + f"?lead={lead.pk}", {"body": "x"}).status_code == 403
    lead.refresh_from_db()
    assert (lead.version, lead.deleted_at, lead.is_converted) == (1, None, False)
    assert not Account.objects.filter(legal_name="Constructora Andes SpA").exists()


def test_user_assigned_to_a_granting_territory_sees_the_leads_below_it(client, org):
    north = TerritoryFactory(name="Zona Norte", grants_access=True)
    antofagasta = TerritoryFactory(name="Antofagasta", parent=north)
    closed = TerritoryFactory(name="Zona Centro", grants_access=False)
    org.vendedor_sur.territories.add(north, closed)
    inside = LeadFactory(owner=org.vendedor_norte, last_name="Dentro", territory=antofagasta)
    outside = LeadFactory(owner=org.vendedor_norte, last_name="Fuera", territory=closed)
    client.force_login(org.vendedor_sur)
    listing = client.get(url("lead_list")).content.decode()
    assert "Dentro" in listing and "Fuera" not in listing
    assert client.get(url("lead_detail", inside.pk)).status_code == 200
    assert client.get(url("lead_detail", outside.pk)).status_code == 404


# ---------- List ----------

def test_list_filters_by_status_source_rating_owner_campaign_and_mine(client, org):
    campaign = CampaignFactory(owner=org.vendedor_norte, name="Webinar minería")
    LeadFactory(owner=org.vendedor_norte, last_name="Alfa", status="qualified", source="referral", rating="hot",
                campaign=campaign)
    LeadFactory(owner=org.vendedor_norte2, last_name="Beta", status="new", source="web", rating="cold")
    client.force_login(org.gerente_norte)

    def names(**params):
        html = client.get(url("lead_list"), params).content.decode()
        return {name for name in ("Alfa", "Beta") if name in html}

    assert names() == {"Alfa", "Beta"}
    assert names(status="qualified") == {"Alfa"}
    assert names(status="open") == {"Alfa", "Beta"}
    assert names(source="web") == {"Beta"}
    assert names(rating="hot") == {"Alfa"}
    assert names(owner=org.vendedor_norte2.pk) == {"Beta"}
    assert names(campaign=campaign.pk) == {"Alfa"}
    assert names(q="alfa") == {"Alfa"}
    client.force_login(org.vendedor_norte)
    assert names(mine="1") == {"Alfa"}


def test_list_opens_on_open_leads_and_a_filter_shows_the_others(client, org):
    for name, status in [("Nuevo", "new"), ("Contactado", "contacted"), ("Calificado", "qualified"),
                         ("Descartado", "unqualified"), ("Convertido", "converted")]:
        LeadFactory(owner=org.vendedor_norte, last_name=f"Lead{name}", status=status)
    client.force_login(org.vendedor_norte)

    def names(**params):
        html = client.get(url("lead_list"), params).content.decode()
        return {name for name in ("Nuevo", "Contactado", "Calificado", "Descartado", "Convertido")
                if f"Lead{name}" in html}

    assert names() == {"Nuevo", "Contactado", "Calificado"}
    assert names(status="all") == {"Nuevo", "Contactado", "Calificado", "Descartado", "Convertido"}
    assert names(status="converted") == {"Convertido"}
    assert names(status="unqualified") == {"Descartado"}
    assert names(status="open") == names()  # the old explicit value of saved links


def test_territory_filter_includes_sub_territories(client, org):
    region = TerritoryFactory(name="Región de Antofagasta")
    zone = TerritoryFactory(name="Calama", parent=region)
    other = TerritoryFactory(name="Región de Los Lagos")
    LeadFactory(owner=org.vendedor_norte, last_name="EnCalama", territory=zone)
    LeadFactory(owner=org.vendedor_norte, last_name="EnLagos", territory=other)
    client.force_login(org.vendedor_norte)
    html = client.get(url("lead_list"), {"territory": region.pk}).content.decode()
    assert "EnCalama" in html and "EnLagos" not in html


def test_list_does_not_name_a_campaign_the_user_may_not_see(client, org):
    hidden = CampaignFactory(owner=org.vendedor_sur, name="Campaña secreta del sur")
    own = CampaignFactory(owner=org.vendedor_norte, name="Campaña propia del norte")
    LeadFactory(owner=org.vendedor_norte, campaign=hidden)
    LeadFactory(owner=org.vendedor_norte, campaign=own)
    client.force_login(org.vendedor_norte)
    client.post(url("lead_list"), {"columns": ["name", "campaign"]})
    html = client.get(url("lead_list")).content.decode()
    assert "Campaña propia del norte" in html and "Campaña secreta" not in html


def test_list_query_count_is_bounded(client, org, django_assert_max_num_queries):
    campaign = CampaignFactory(owner=org.vendedor_norte)
    territory = TerritoryFactory()
    client.force_login(org.gerente_norte)
    org.gerente_norte.list_preferences = {"leads": {"columns": [c for c in (
        "name", "company", "email", "phone", "status", "rating", "source", "campaign", "territory", "owner",
        "created_at")]}}
    org.gerente_norte.save()
    LeadFactory.create_batch(3, owner=org.vendedor_norte, campaign=campaign, territory=territory)
    with django_assert_max_num_queries(14) as few:
        client.get(url("lead_list"))
    LeadFactory.create_batch(60, owner=org.vendedor_norte, campaign=campaign, territory=territory)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("lead_list")).status_code == 200


# ---------- Detail, create, edit, delete ----------

def test_create_normalises_and_edit_keeps_history(client, org):
    territory = TerritoryFactory(name="Zona Sur")
    campaign = CampaignFactory(owner=org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    response = client.post(url("lead_create"), lead_data(territory=territory.pk, campaign=campaign.pk,
                                                         owner=org.vendedor_norte.pk))
    lead = Lead.objects.get(last_name="Henríquez")
    assert response.status_code == 302 and response["Location"] == url("lead_detail", lead.pk)
    assert (lead.company_tax_id, lead.phone, lead.territory, lead.campaign) == (
        "760864285", "+56987654321", territory, campaign)
    page = client.get(url("lead_detail", lead.pk)).content.decode()
    assert "76.086.428-5" in page and campaign.name in page
    response = client.post(url("lead_edit", lead.pk), lead_data(owner=org.vendedor_norte.pk, status="contacted",
                                                                rating="hot", version=1))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.rating, lead.version) == ("contacted", "hot", 2)
    assert {c["field"] for c in lead.history().first().changes} >= {"status", "rating"}


def test_bad_input_names_the_field(client, org):
    client.force_login(org.vendedor_norte)
    response = client.post(url("lead_create"), lead_data(last_name="", company="", company_tax_id="12.345.678-0",
                                                         owner=org.vendedor_norte.pk))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "last_name" in errors and "company_tax_id" in errors
    assert not Lead.objects.exists()


def test_stale_edit_is_refused(client, org, lead):
    client.force_login(org.vendedor_norte)
    client.post(url("lead_edit", lead.pk), lead_data(owner=org.vendedor_norte.pk, rating="hot", version=1))
    response = client.post(url("lead_edit", lead.pk), lead_data(owner=org.vendedor_norte.pk, rating="cold",
                                                                 version=1))
    assert response.status_code == 200 and response.context["form"].conflict
    lead.refresh_from_db()
    assert lead.rating == "hot"


def test_campaign_choices_are_the_campaigns_the_user_may_see(client, org):
    mine = CampaignFactory(owner=org.vendedor_norte, name="Mía")
    hidden = CampaignFactory(owner=org.vendedor_sur, name="Ajena")
    client.force_login(org.vendedor_norte)
    choices = client.get(url("lead_create")).context["form"].fields["campaign"].queryset
    assert mine in choices and hidden not in choices
    response = client.post(url("lead_create"), lead_data(campaign=hidden.pk, owner=org.vendedor_norte.pk))
    assert "campaign" in response.context["form"].errors


def test_delete_moves_the_lead_to_the_recycle_bin_and_restore_brings_it_back(client, org, lead):
    client.force_login(org.vendedor_norte)
    assert client.post(url("lead_delete", lead.pk))["Location"] == url("lead_list")
    assert client.get(url("lead_detail", lead.pk)).status_code == 404
    assert "Quintanilla" in client.get(reverse("core:recycle_bin")).content.decode()
    response = client.post(reverse("core:restore", args=["lead", lead.pk]))
    assert response["Location"] == url("lead_detail", lead.pk)
    assert client.get(url("lead_detail", lead.pk)).status_code == 200


def test_activities_notes_and_files_are_added_to_the_lead_and_shown_on_its_page(client, org, lead):
    client.force_login(org.vendedor_norte)
    page = client.get(url("lead_detail", lead.pk)).content.decode()
    assert f"?lead={lead.pk}" in page

    form = client.get(reverse("activities:create"), {"lead": lead.pk, "kind": "call"}).context["form"]
    assert "account" not in form.fields and form.initial["kind"] == "call"
    response = client.post(f"{reverse('activities:create')}?lead={lead.pk}", {
        "kind": "call", "subject": "Enviar propuesta", "occurred_at": "2026-03-05T10:00", "status": "planned",
        "owner": org.vendedor_norte.pk,
    })
    task = Activity.objects.get(subject="Enviar propuesta")
    assert response.status_code == 302 and (task.lead, task.account) == (lead, None)
    activity_page = client.get(task.get_absolute_url()).content.decode()
    assert lead.get_absolute_url() in activity_page and "None" not in activity_page

    response = client.post(f"{reverse('accounts:note_create')}?lead={lead.pk}", {"title": "Primer contacto",
                                                                                 "body": "Llamó por la feria."})
    note = Note.objects.get(title="Primer contacto")
    assert response["Location"] == lead.get_absolute_url()  # a lead's note is shown on the lead's page
    assert (note.lead, note.account) == (lead, None)
    note_page = client.get(reverse("accounts:note_detail", args=[note.pk])).content.decode()
    assert lead.get_absolute_url() in note_page and "None" not in note_page
    assert client.get(reverse("accounts:note_edit", args=[note.pk])).status_code == 200

    upload = SimpleUploadedFile("req.pdf", b"%PDF-1.4\n% r\n%%EOF\n", content_type="application/pdf")
    response = client.post(f"{reverse('accounts:document_create')}?lead={lead.pk}", {"title": "Requerimientos",
                                                                                    "file": upload})
    document = Document.objects.get(title="Requerimientos")
    assert (document.lead, document.versions.count()) == (lead, 1)
    assert "None" not in client.get(reverse("accounts:document_detail", args=[document.pk])).content.decode()
    # The global lists of notes and files show them without an account.
    assert "None" not in client.get(reverse("accounts:note_list")).content.decode()
    assert "None" not in client.get(reverse("accounts:document_list")).content.decode()

    page = client.get(url("lead_detail", lead.pk)).content.decode()
    for shown in ("Enviar propuesta", "Primer contacto", "Requerimientos"):
        assert shown in page
    # Deleting a lead's note goes back to the lead.
    assert client.post(reverse("accounts:note_delete", args=[note.pk]))["Location"] == lead.get_absolute_url()
    assert client.post(reverse("activities:delete", args=[task.pk]))["Location"] == lead.get_absolute_url()


def test_detail_query_count_is_bounded(client, org, lead, django_assert_max_num_queries):
    campaign = CampaignFactory(owner=org.vendedor_norte)
    client.force_login(org.gerente_norte)

    def add(count):
        for n in range(count):
            create_record(Activity(lead=lead, owner=org.vendedor_norte, subject=f"Llamada {n}", occurred_at=NOW),
                          by=org.vendedor_norte)
            create_record(Note(lead=lead, body=f"Nota {n}"), by=org.vendedor_norte)
            create_record(Document(lead=lead, title=f"Archivo {n}"), by=org.vendedor_norte)

    CampaignMember.objects.create(campaign=campaign, member=lead)
    lead.campaign = campaign
    lead.save()
    add(1)
    with django_assert_max_num_queries(15) as one:  # the count today, 1 of them the permissions the menu reads
        assert client.get(url("lead_detail", lead.pk)).status_code == 200
    add(20)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url("lead_detail", lead.pk)).status_code == 200


# ---------- Convert page ----------

def test_convert_page_offers_the_tax_id_match_and_attaches_to_it(client, org):
    existing = AccountFactory(owner=org.vendedor_norte, legal_name="Agrícola Valle Verde S.A.", tax_id="760864285")
    client.force_login(org.vendedor_norte)
    client.post(url("lead_create"), lead_data(owner=org.vendedor_norte.pk))
    lead = Lead.objects.get(last_name="Henríquez")
    page = client.get(url("lead_convert", lead.pk))
    html = page.content.decode()
    assert "Agrícola Valle Verde S.A." in html and "same tax id" in html
    assert page.context["form"].initial["account"] == str(existing.pk)
    response = client.post(url("lead_convert", lead.pk), {
        "account": existing.pk, "contact": "new", "create_opportunity": "on", "opportunity_name": "Riego tecnificado",
        "amount": "1500000", "currency": "CLP", "stage": page.context["form"].initial["stage"].pk,
        "expected_close_date": "2026-05-31",
    })
    assert response.status_code == 302 and response["Location"] == existing.get_absolute_url()
    lead.refresh_from_db()
    assert lead.converted_account == existing
    assert Opportunity.objects.get(account=existing).name == "Riego tecnificado"
    page = client.get(url("lead_detail", lead.pk)).content.decode()
    assert existing.get_absolute_url() in page and lead.converted_contact.get_absolute_url() in page
    assert url("lead_convert", lead.pk) not in page


def test_converting_twice_from_the_page_shows_a_clear_refusal(client, org, lead):
    client.force_login(org.vendedor_norte)
    data = {"account": "new", "contact": "new"}
    assert client.post(url("lead_convert", lead.pk), data).status_code == 302
    counts = (Account.objects.count(), Opportunity.objects.count())
    response = client.post(url("lead_convert", lead.pk), data, follow=True)
    assert response.redirect_chain[-1][0] == url("lead_detail", lead.pk)
    messages = [str(message) for message in response.context["messages"]]
    assert any("convert" in message.lower() for message in messages)
    assert counts == (Account.objects.count(), Opportunity.objects.count())
    assert client.get(url("lead_convert", lead.pk)).status_code == 302


def test_convert_page_shows_a_refusal_on_the_form(client, org):
    AccountFactory(owner=org.vendedor_sur, legal_name="Otra", tax_id="760864285")  # invisible, same tax id
    client.force_login(org.vendedor_norte)
    client.post(url("lead_create"), lead_data(owner=org.vendedor_norte.pk))
    lead = Lead.objects.get(last_name="Henríquez")
    response = client.post(url("lead_convert", lead.pk), {"account": "new", "contact": "new"})
    assert response.status_code == 200
    assert "account" in response.context["form"].errors
    lead.refresh_from_db()
    assert not lead.is_converted


def test_convert_page_refuses_an_account_that_was_not_offered(client, org, lead):
    client.force_login(org.vendedor_norte)
    response = client.post(url("lead_convert", lead.pk), {"account": org.south_account.pk, "contact": "new"})
    assert response.status_code == 200 and "account" in response.context["form"].errors
    lead.refresh_from_db()
    assert not lead.is_converted
