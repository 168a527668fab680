"""Records attached to any subject (core.subjects): activities, notes and files about a lead, a deal, a quote,
a campaign… inherit the subject's visibility, roll up to its account, and move with it on conversion."""

import inspect
from datetime import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from vinculo.accounts import models as account_models
from vinculo.accounts import services as account_services
from vinculo.accounts.models import Account
from vinculo.activities import models as activity_models
from vinculo.activities import services as activity_services
from vinculo.activities import timeline as activity_timeline
from vinculo.activities.models import Activity
from vinculo.activities.services import log_activity
from vinculo.contacts.models import Contact
from vinculo.core import subjects
from vinculo.core.access import AccessLevel
from vinculo.core.models import ChangeLog
from vinculo.core.services import create_record, update_record
from vinculo.core.tests.api_client import ApiClient
from vinculo.customer360 import models as customer360_models
from vinculo.customer360 import services as customer360_services
from vinculo.customer360.models import Document, Note
from vinculo.marketing.models import Campaign, CampaignMember
from vinculo.org.models import OrgDefault, SalesTeam, SalesTeamMember
from vinculo.sales.conversion import convert_lead
from vinculo.sales.models import Lead, Opportunity, Quote

from .factories import CampaignFactory, LeadFactory, OpportunityFactory, QuoteFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 11, 10, 12, 0))
USERS = ("admin", "director", "gerente_norte", "gerente_sur", "vendedor_norte", "vendedor_norte2", "vendedor_sur")


@pytest.fixture
def quoted(org):
    """A quote on a deal of the north account whose sales team has vendedor.sur, who may so see the deal and
    the quote but not the account; an activity about the quote, by the account's owner."""
    team = SalesTeam.objects.create(name="Equipo minería")
    SalesTeamMember.objects.create(team=team, user=org.vendedor_sur)
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, sales_team=team)
    quote = QuoteFactory(opportunity=deal)
    activity = log_activity(Activity(regarding=quote, owner=org.vendedor_norte, subject="Revisión de la cotización",
                                     occurred_at=NOW), by=org.vendedor_norte)
    return quote, activity


def test_an_activity_about_a_quote_rolls_up_to_the_quotes_account(org, quoted):
    quote, activity = quoted
    stored = Activity.objects.get(pk=activity.pk)
    assert (stored.regarding, stored.account, stored.subject_type.model) == (quote, org.north_account, Quote)
    assert (stored.lead, stored.opportunity, stored.lead_id, stored.opportunity_id) == (None, None, None, None)
    entries, total = activity_timeline.timeline(org.north_account, org.vendedor_norte)
    assert [entry.record.pk for entry in entries] == [activity.pk] and total == 1


def test_an_activity_about_a_quote_is_visible_exactly_to_who_may_see_the_quote(org, quoted):
    quote, activity = quoted
    for name in USERS:
        user = getattr(org, name)
        sees_quote = Quote.objects.visible_to(user).filter(pk=quote.pk).exists()
        for per_row in (False, True):
            sees = Activity.objects.visible_to(user, per_row=per_row).filter(pk=activity.pk).exists()
            assert sees == sees_quote, (name, per_row)
    # Through the subject alone: the sales-team member may not see the account.
    assert not Account.objects.visible_to(org.vendedor_sur).filter(pk=org.north_account.pk).exists()
    assert Activity.objects.visible_to(org.vendedor_sur).filter(pk=activity.pk).exists()
    assert not Activity.objects.visible_to(org.vendedor_norte2).filter(pk=activity.pk).exists()


def test_who_may_not_see_the_subject_the_account_or_the_owner_line_never_sees_the_activity(client, org, quoted):
    _quote, activity = quoted
    outsider = org.vendedor_norte2
    client.force_login(outsider)
    assert client.get(reverse("activities:detail", args=[activity.pk])).status_code == 404
    page = client.get(reverse("activities:list"), {"q": "cotización"}).content.decode()
    assert "Revisión de la cotización" not in page
    assert client.get(reverse("accounts:timeline", args=[org.north_account.pk]), HTTP_HX_REQUEST="true"
                      ).status_code == 404
    api = ApiClient(outsider)
    assert api.get(f"/activities/{activity.pk}").status_code == 404
    assert activity.pk not in {item["id"] for item in api.get("/activities").json()["items"]}
    assert api.get("/activities", q="cotización").json()["count"] == 0
    assert api.get(f"/accounts/{org.north_account.pk}/timeline").status_code == 404
    assert "Revisión de la cotización" not in client.get(reverse("search"), {"q": "cotización"}).content.decode()


def test_who_may_see_the_quote_sees_the_activity_in_every_channel(client, org, quoted):
    quote, activity = quoted
    member = org.vendedor_sur
    client.force_login(member)
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "Revisión de la cotización" in page and quote.get_absolute_url() in page
    api = ApiClient(member)
    assert api.get(f"/activities/{activity.pk}").json()["account"] is None  # the account stays hidden
    assert activity.pk in {item["id"] for item in api.get("/activities", q="cotización").json()["items"]}


def test_a_deals_sales_team_sees_the_deals_activities(org):
    """The inconsistency issue #8 measured: a deal's sales team saw the deal and its quotes, not its activities."""
    team = SalesTeam.objects.create(name="Equipo preventa")
    SalesTeamMember.objects.create(team=team, user=org.vendedor_norte2)
    deal = OpportunityFactory(account=org.south_account, sales_team=team)
    activity = log_activity(Activity(opportunity=deal, owner=org.vendedor_sur, subject="Demo", occurred_at=NOW),
                            by=org.vendedor_sur)
    assert activity.account == org.south_account
    assert Activity.objects.visible_to(org.vendedor_norte2).filter(pk=activity.pk).exists()
    assert not Activity.objects.visible_to(org.vendedor_norte).filter(pk=activity.pk).exists()


def test_a_note_about_a_campaign_follows_the_campaigns_visibility(org):
    campaign = CampaignFactory(owner=org.vendedor_norte)
    note = create_record(Note(regarding=campaign, body="Stand 14, pabellón B."), by=org.vendedor_norte)
    assert note.account is None and note.get_absolute_url() == campaign.get_absolute_url()
    OrgDefault.objects.update_or_create(record_type="marketing.campaign", defaults={"access": AccessLevel.PRIVATE})
    assert set(Note.objects.visible_to(org.vendedor_norte).values_list("pk", flat=True)) == {note.pk}
    assert not Note.objects.visible_to(org.vendedor_sur).exists()
    OrgDefault.objects.update_or_create(record_type="marketing.campaign", defaults={"access": AccessLevel.PUBLIC_READ})
    cache.clear()  # the org default is cached
    assert Note.objects.visible_to(org.vendedor_sur).filter(pk=note.pk).exists()


def test_subject_types_are_registered_by_their_own_apps_and_lower_apps_do_not_name_them():
    registered = {subject_type.model for subject_type in subjects.registry.types()}
    assert {Account, Contact, Lead, Opportunity, Quote, Campaign} <= registered
    assert subjects.registry.of(Quote).account_field == "opportunity__account"
    # Quotes and campaigns are subjects without any line in activities or accounts: each app registers its
    # own types from its AppConfig.ready(); the records about them know only `regarding`.
    for module in (activity_models, activity_services, activity_timeline, account_models, account_services,
                   customer360_models, customer360_services):
        source = inspect.getsource(module)
        for name in ("vinculo.sales", "vinculo.marketing", '"sales.', "Quote", "Campaign", "Lead", "Opportunity"):
            assert name not in source, (module.__name__, name)


def test_a_deleted_deal_leaves_its_activities_on_its_account(org):
    deal = OpportunityFactory(account=org.north_account)
    activity = log_activity(Activity(opportunity=deal, owner=org.vendedor_norte, subject="Visita", occurred_at=NOW),
                            by=org.vendedor_norte)
    Opportunity.all_objects.filter(pk=deal.pk).delete()
    stored = Activity.objects.get(pk=activity.pk)
    assert (stored.regarding, stored.account, stored.opportunity) == (org.north_account, org.north_account, None)


def test_a_deleted_lead_takes_its_records_with_it(org):
    lead = LeadFactory(owner=org.vendedor_norte)
    log_activity(Activity(lead=lead, owner=org.vendedor_norte, subject="Llamada", occurred_at=NOW),
                 by=org.vendedor_norte)
    create_record(Note(lead=lead, body="Nota"), by=org.vendedor_norte)
    Lead.all_objects.filter(pk=lead.pk).delete()
    assert not Activity.all_objects.exists() and not Note.all_objects.exists()


def test_a_record_about_its_account_follows_the_account_it_is_moved_to(org):
    activity = log_activity(Activity(account=org.north_account, owner=org.vendedor_norte, subject="Llamada",
                                     occurred_at=NOW), by=org.vendedor_norte)
    assert activity.regarding == org.north_account
    activity.account = org.south_account
    activity.save()
    assert Activity.objects.get(pk=activity.pk).regarding == org.south_account


# --- Conversion through the movers ---------------------------------------------------------------------

def test_conversion_moves_activities_notes_and_files_through_the_registered_movers(org, monkeypatch):
    lead = LeadFactory(owner=org.vendedor_norte, first_name="Carla", last_name="Fuentes",
                       company="Constructora Andes SpA")
    activity = log_activity(Activity(lead=lead, owner=org.vendedor_norte, subject="Llamada", occurred_at=NOW),
                            by=org.vendedor_norte)
    note = create_record(Note(lead=lead, body="Interesados."), by=org.vendedor_norte)
    document = create_record(Document(lead=lead, title="Requerimientos"), by=org.vendedor_norte)
    movers = dict(subjects.registry.movers())
    assert (movers[Activity], movers[Note], movers[Document], movers[CampaignMember].__module__) == (
        activity_services.move_activities, customer360_services.move_notes, subjects.move_to_account,
        "vinculo.marketing.services")
    calls = []
    registered = dict(subjects.registry._movers)
    monkeypatch.setattr(subjects.registry, "_movers", {
        **registered, Document: lambda handover, model: calls.append(handover) or subjects.move_to_account(handover, model)})

    result = convert_lead(lead, by=org.vendedor_norte)

    assert [(h.source, h.account, h.targets) for h in calls] == [
        (lead, result.account, {"contact": result.contact, "deal": result.opportunity})]
    moved = Activity.objects.get(pk=activity.pk)
    assert (moved.regarding, moved.account, list(moved.contacts.all())) == (
        result.opportunity, result.account, [result.contact])
    assert (Note.objects.get(pk=note.pk).regarding, Note.objects.get(pk=note.pk).contact) == (
        result.account, result.contact)
    assert Document.objects.get(pk=document.pk).regarding == result.account
    assert not Activity.all_objects.filter(lead=lead).exists()
    assert Document.all_objects.get(pk=document.pk).history().filter(action=ChangeLog.Action.UPDATE).count() == 1


def test_a_new_regarding_model_moves_on_conversion_without_a_mover_of_its_own(org):
    """Models without a registered mover go to the account: time entries, tasks and plan links to come need
    nothing in sales. Shown with Document, whose mover is the default one."""
    assert Document not in subjects.registry._movers
    lead = LeadFactory(owner=org.vendedor_norte, last_name="Fuentes")
    document = create_record(Document(lead=lead, title="Plano"), by=org.vendedor_norte)
    result = convert_lead(lead, by=org.vendedor_norte, create_opportunity=False)
    assert (Document.objects.get(pk=document.pk).regarding, Document.objects.get(pk=document.pk).account) == (
        result.account, result.account)


def test_the_api_creates_an_activity_about_any_subject_the_user_may_see(org, quoted):
    quote, _activity = quoted
    api = ApiClient(org.vendedor_norte)
    response = api.post("/activities", {"subject": "Seguimiento de la cotización", "regarding_type": "sales.quote",
                                        "regarding_id": quote.pk})
    assert response.status_code == 201, response.content
    created = Activity.objects.get(pk=response.json()["id"])
    assert (created.regarding, created.account, response.json()["account"]["id"]) == (
        quote, org.north_account, org.north_account.pk)
    assert Activity.objects.visible_to(org.vendedor_sur).filter(pk=created.pk).exists()

    refused = {
        "regarding_type": {"subject": "x", "regarding_type": "org.user", "regarding_id": org.vendedor_norte.pk},
        "regarding_id": {"subject": "x", "regarding_type": "sales.quote", "regarding_id": quote.pk + 1000},
    }
    for field, payload in refused.items():
        response = api.post("/activities", payload)
        assert response.status_code == 422 and field in {e["field"] for e in response.json()["detail"]}, field
    other_account = api.post("/activities", {"subject": "x", "account": org.south_account.pk,
                                             "regarding_type": "sales.quote", "regarding_id": quote.pk})
    assert other_account.status_code in (403, 422)
    outsider = ApiClient(org.vendedor_norte2).post("/activities", {"subject": "x", "regarding_type": "sales.quote",
                                                                   "regarding_id": quote.pk})
    assert outsider.status_code == 422


def test_a_change_of_subject_is_one_readable_history_line(org):
    first = OpportunityFactory(account=org.north_account, name="Flota 2026")
    second = OpportunityFactory(account=org.north_account, name="Mantención 2027")
    activity = log_activity(Activity(opportunity=first, owner=org.vendedor_norte, subject="Visita", occurred_at=NOW),
                            by=org.vendedor_norte)
    activity.opportunity = second
    update_record(activity, by=org.vendedor_norte)
    assert activity.history().first().changes == [
        {"field": "regarding", "label": "opportunity", "old": "Flota 2026", "new": "Mantención 2027"}]


def test_moved_records_emit_one_update_event_each(org, monkeypatch):
    emitted = []
    monkeypatch.setattr("vinculo.core.events.emit", lambda *events: emitted.extend(events))
    lead = LeadFactory(owner=org.vendedor_norte, last_name="Fuentes")
    activity = log_activity(Activity(lead=lead, owner=org.vendedor_norte, subject="Llamada", occurred_at=NOW),
                            by=org.vendedor_norte)
    note = create_record(Note(lead=lead, body="Nota"), by=org.vendedor_norte)
    emitted.clear()
    result = convert_lead(lead, by=org.vendedor_norte)
    moved = {(event.record_type, event.record_id): event for event in emitted
             if event.record_type in ("activities.activity", "customer360.note")}
    assert set(moved) == {("activities.activity", activity.pk), ("customer360.note", note.pk)}
    assert moved["activities.activity", activity.pk].changes[1].new == result.opportunity.pk
    assert {event.actor_id for event in moved.values()} == {org.vendedor_norte.pk}
