"""The predefined views of the sales lists (sales.presets), each checked through its list page against a
hand-built set of records on both sides of its boundary."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from vinculo.activities.models import Activity
from vinculo.sales.models import Lead, Opportunity, Quote
from vinculo.sales.tests.factories import LeadFactory, OpportunityFactory, QuoteFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    moment = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(12)))
    monkeypatch.setattr("vinculo.core.clock.now", lambda: moment)


def local(day: datetime.date, hour: int, minute: int = 0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def listed(client, url_name: str, preset: str, **query) -> set[str]:
    answer = client.get(reverse(url_name), {"preset": preset, **query})
    assert answer.status_code == 200
    return {str(row) for row in answer.context["object_list"]}


def test_my_open_deals_closing_this_month_run_from_its_first_to_its_last_day(client, org):
    mine, other = org.vendedor_norte, org.gerente_norte  # the manager sees the rep's deals, the rep not his
    for name, close, owner, status in (
        ("may 31", datetime.date(2026, 5, 31), mine, Opportunity.Status.OPEN),
        ("june 1", datetime.date(2026, 6, 1), mine, Opportunity.Status.OPEN),
        ("june 15", TODAY, mine, Opportunity.Status.OPEN),
        ("june 30", datetime.date(2026, 6, 30), mine, Opportunity.Status.OPEN),
        ("july 1", datetime.date(2026, 7, 1), mine, Opportunity.Status.OPEN),
        ("won in june", datetime.date(2026, 6, 20), mine, Opportunity.Status.WON),
        ("manager's june", datetime.date(2026, 6, 20), other, Opportunity.Status.OPEN),
    ):
        OpportunityFactory(name=name, account=org.north_account, owner=owner, expected_close_date=close, status=status)
    client.force_login(mine)
    assert listed(client, "sales:opportunity_list", "my-open-closing-this-month") == {"june 1", "june 15", "june 30"}
    client.force_login(other)  # "my": the manager's own deal only, not the rep's he may see
    assert listed(client, "sales:opportunity_list", "my-open-closing-this-month") == {"manager's june"}


def _lead(org, name, *, created: datetime.date, status=Lead.Status.NEW, called: datetime.datetime | None = None):
    lead = LeadFactory(owner=org.vendedor_norte, company=name, first_name="", last_name=name, status=status)
    Lead.objects.filter(pk=lead.pk).update(created_at=local(created, 9))
    if called:
        Activity.objects.create(subject="Llamada", owner=org.vendedor_norte, lead=lead, occurred_at=called)
    return lead


def test_leads_without_activity_for_30_days_count_whole_days_back_from_today(client, org):
    long_ago = datetime.date(2026, 1, 5)
    _lead(org, "last call 29 days ago", created=long_ago, called=local(TODAY - datetime.timedelta(days=29), 0, 30))
    _lead(org, "last call 30 days ago", created=long_ago, called=local(TODAY - datetime.timedelta(days=30), 23, 30))
    _lead(org, "last call 31 days ago", created=long_ago, called=local(TODAY - datetime.timedelta(days=31), 10))
    _lead(org, "never called", created=long_ago)
    _lead(org, "created 29 days ago", created=TODAY - datetime.timedelta(days=29))
    _lead(org, "created 30 days ago", created=TODAY - datetime.timedelta(days=30))
    _lead(org, "converted, never called", created=long_ago, status=Lead.Status.CONVERTED)
    _lead(org, "unqualified, never called", created=long_ago, status=Lead.Status.UNQUALIFIED)
    client.force_login(org.vendedor_norte)
    names = {str(lead.company) for lead in client.get(reverse("sales:lead_list"), {"preset": "no-activity-30-days"})
             .context["object_list"]}
    assert names == {"last call 30 days ago", "last call 31 days ago", "never called", "created 30 days ago"}


def test_unconverted_leads_are_every_status_but_converted(client, org):
    for status in Lead.Status.values:
        LeadFactory(owner=org.vendedor_norte, company=status, status=status)
    client.force_login(org.vendedor_norte)
    answer = client.get(reverse("sales:lead_list"), {"preset": "unconverted", "status": "all"})
    assert {lead.company for lead in answer.context["object_list"]} == {"new", "contacted", "qualified",
                                                                        "unqualified"}
    client.force_login(org.vendedor_sur)  # someone else's leads stay out
    assert list(client.get(reverse("sales:lead_list"), {"preset": "unconverted", "status": "all"})
                .context["object_list"]) == []


def test_expired_quotes_are_past_their_last_valid_day_and_unanswered(client, org):
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte)
    yesterday = TODAY - datetime.timedelta(days=1)
    for number, valid_until, status in (
        ("sent, to yesterday", yesterday, Quote.Status.SENT),
        ("draft, to yesterday", yesterday, Quote.Status.DRAFT),
        ("sent, to today", TODAY, Quote.Status.SENT),
        ("accepted, to yesterday", yesterday, Quote.Status.ACCEPTED),
        ("rejected, to yesterday", yesterday, Quote.Status.REJECTED),
        ("marked expired", TODAY + datetime.timedelta(days=5), Quote.Status.EXPIRED),
    ):
        QuoteFactory(opportunity=deal, number=number, status=status, issued_on=datetime.date(2026, 5, 1),
                     valid_until=valid_until)
    client.force_login(org.vendedor_norte)
    numbers = {quote.number for quote in client.get(reverse("sales:quote_list"), {"preset": "expired"})
               .context["object_list"]}
    assert numbers == {"sent, to yesterday", "draft, to yesterday", "marked expired"}
    client.force_login(org.vendedor_sur)
    assert list(client.get(reverse("sales:quote_list"), {"preset": "expired"}).context["object_list"]) == []


def test_an_unknown_preset_is_ignored(client, org):
    OpportunityFactory(name="any", account=org.north_account, owner=org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    assert listed(client, "sales:opportunity_list", "no-such-view") == {"any"}
