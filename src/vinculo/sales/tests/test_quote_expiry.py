"""Sent quotes expire the day after their validity: by the scheduled job, checked again on accept, and
revised into a new revision with new dates (issue #10)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from vinculo.core import schedule
from vinculo.core.models import ChangeLog
from vinculo.core.tests.api_client import ApiClient
from vinculo.sales import quoting
from vinculo.sales.models import Quote

from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)
from .quote_fixtures import make_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def on(monkeypatch):
    """Set the clock to noon of a day of March 2026."""
    def set_day(day):
        at = timezone.make_aware(datetime.datetime(2026, 3, day, 12))
        monkeypatch.setattr("vinculo.core.clock.now", lambda: at)
    set_day(10)
    return set_day


@pytest.fixture
def sent(org, deal, catalogue, on):
    """Issued on 10 March, valid until 20 March, sent."""
    quote = make_quote(deal, org.vendedor_norte, catalogue, valid_until=datetime.date(2026, 3, 20))
    return quoting.send_quote(quote, org.vendedor_norte)


def history_of(quote):
    return ChangeLog.objects.filter(object_id=quote.pk, content_type__model="quote").count()


def test_a_quote_is_valid_through_its_last_day_and_expires_the_day_after(sent, on):
    on(20)
    assert quoting.expire_quotes() == 0
    sent.refresh_from_db()
    assert sent.status == Quote.Status.SENT
    on(21)
    assert quoting.expire_quotes() == 1
    sent.refresh_from_db()
    assert sent.status == Quote.Status.EXPIRED
    assert ChangeLog.objects.filter(object_id=sent.pk, content_type__model="quote").latest("at").changes[0]["new"] \
        == "Expired"


def test_the_job_run_twice_changes_nothing_more(sent, on):
    on(21)
    quoting.expire_quotes()
    entries, version = history_of(sent), Quote.objects.get(pk=sent.pk).version
    assert quoting.expire_quotes() == 0
    assert history_of(sent) == entries and Quote.objects.get(pk=sent.pk).version == version


def test_drafts_and_decided_quotes_do_not_expire(org, deal, catalogue, sent, on):
    draft = make_quote(deal, org.vendedor_norte, catalogue, valid_until=datetime.date(2026, 3, 15))
    rejected = quoting.reject_quote(
        quoting.send_quote(make_quote(deal, org.vendedor_norte, catalogue, valid_until=datetime.date(2026, 3, 15)),
                           org.vendedor_norte), org.vendedor_norte)
    on(21)
    assert quoting.expire_quotes() == 1  # the sent one only
    assert Quote.objects.get(pk=draft.pk).status == Quote.Status.DRAFT
    assert Quote.objects.get(pk=rejected.pk).status == Quote.Status.REJECTED


def test_accepting_on_the_last_day_works(org, sent, on):
    on(20)
    quoting.accept_quote(sent, org.vendedor_norte, mark_won=False)
    assert Quote.objects.get(pk=sent.pk).status == Quote.Status.ACCEPTED


def test_accepting_the_day_after_is_refused_even_before_the_job_ran(org, sent, on):
    on(21)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        quoting.accept_quote(sent, org.vendedor_norte)
    assert refused.value.messages == [
        "This quote expired on 2026-03-20: revise it into a new revision with new dates to offer it again."]
    stored = Quote.objects.get(pk=sent.pk)
    assert stored.status == Quote.Status.SENT and stored.opportunity.status == stored.opportunity.Status.OPEN


def test_an_expired_quote_cannot_be_accepted_through_the_api_and_shows_expired(org, sent, on):
    on(21)
    quoting.expire_quotes()
    api = ApiClient(org.vendedor_norte)
    assert api.get(f"/quotes/{sent.pk}").json()["status"] == "expired"
    response = api.post(f"/quotes/{sent.pk}/accept", {})
    assert response.status_code in (400, 409, 422)
    assert "expired on" in str(response.json())
    assert Quote.objects.get(pk=sent.pk).status == Quote.Status.EXPIRED


def test_an_expired_quote_is_revised_into_a_new_revision_with_new_dates(org, sent, on):
    on(21)
    quoting.expire_quotes()
    sent.refresh_from_db()
    revision = quoting.revise_quote(sent, org.vendedor_norte)
    assert (revision.number, revision.revision, revision.status) == (sent.number, 2, Quote.Status.DRAFT)
    # Valid as long as the old one was (10 days), from today.
    assert (revision.issued_on, revision.valid_until) == (datetime.date(2026, 3, 21), datetime.date(2026, 3, 31))
    assert Quote.objects.get(pk=sent.pk).status == Quote.Status.SUPERSEDED
    quoting.accept_quote(quoting.send_quote(revision, org.vendedor_norte), org.vendedor_norte, mark_won=False)
    assert Quote.objects.get(pk=revision.pk).status == Quote.Status.ACCEPTED


def test_the_worker_schedule_runs_the_expiry_job(sent, on):
    on(21)
    assert "sales.expire_quotes" in schedule.run_due()
    assert Quote.objects.get(pk=sent.pk).status == Quote.Status.EXPIRED


def test_the_page_of_a_quote_past_its_date_offers_revise_not_accept(client, org, sent, on):
    client.force_login(org.vendedor_norte)
    url = reverse("sales:quote_detail", args=[sent.pk])
    on(20)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("sales:quote_accept", args=[sent.pk]) in page and "expired on" not in page
    on(21)  # before the job and after it
    for _ in range(2):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert reverse("sales:quote_accept", args=[sent.pk]) not in page
        assert "This quote expired on 2026-03-20" in page and reverse("sales:quote_revise", args=[sent.pk]) in page
        quoting.expire_quotes()
