"""Scheduled reports (#14 §6): a saved report e-mailed daily, weekly or monthly to each subscriber, run as
that subscriber, at most once per period."""

import datetime
import io
import zoneinfo
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from vinculo.reports import scheduled
from vinculo.reports.models import ReportSubscription, SavedReport, Visibility
from vinculo.reports.tests.test_api import auth
from vinculo.sales.tests.factories import OpportunityFactory, default_pipeline

pytestmark = pytest.mark.django_db

SANTIAGO = zoneinfo.ZoneInfo("America/Santiago")  # the users' time zone (org.User.time_zone's default)


def at(year, month, day, hour=9, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SANTIAGO)


@pytest.fixture
def report(org):
    first = default_pipeline()[0]
    OpportunityFactory(name="Cobre Norte privado", owner=org.vendedor_norte, account=org.north_account, stage=first,
                       amount=Decimal("100"))
    OpportunityFactory(name="Salmón Sur privado", owner=org.vendedor_sur, account=org.south_account, stage=first,
                       amount=Decimal("1000"))
    return SavedReport.objects.create(
        owner=org.director, name="Embudo semanal", record_type="opportunity", visibility=Visibility.EVERYONE,
        definition={"record_type": "opportunity", "columns": ["name", "owner", "account", "amount"],
                    "group_by": ["owner"], "aggregates": [{"field": "amount", "fn": "sum"}]})


def subscribe(report, user, frequency, created, fmt="xlsx"):
    return ReportSubscription.objects.create(report=report, user=user, frequency=frequency, format=fmt,
                                             created_at=created)


def sends(subscription, when) -> bool:
    return scheduled.send(subscription.pk, now=when)


def workbook_text(message) -> str:
    _name, content, _type = message.attachments[0]
    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row)


def test_each_rep_receives_only_their_own_rows(org, report, mailoutbox):
    north = subscribe(report, org.vendedor_norte, "daily", at(2026, 5, 1))
    south = subscribe(report, org.vendedor_sur, "daily", at(2026, 5, 1), fmt="pdf")
    assert sends(north, at(2026, 5, 14)) and sends(south, at(2026, 5, 14))
    to_north, to_south = mailoutbox
    assert to_north.to == [org.vendedor_norte.email] and to_south.to == [org.vendedor_sur.email]
    north_text = workbook_text(to_north) + to_north.body + to_north.subject
    assert "Cobre Norte privado" in north_text
    assert "Salmón Sur privado" not in north_text and "Pesquera" not in north_text and "Sur" not in north_text
    assert "1000" not in north_text
    name, content, content_type = to_south.attachments[0]
    assert (name, content_type) == ("embudo-semanal.pdf", "application/pdf")
    south_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Salmón Sur privado" in south_text and "Cobre Norte" not in south_text and "Minera" not in south_text


def test_daily_is_sent_once_on_day_n_and_again_from_day_n_plus_one(org, report, mailoutbox):
    subscription = subscribe(report, org.vendedor_norte, "daily", at(2026, 5, 14, 8))
    assert sends(subscription, at(2026, 5, 14, 8, 15))
    assert not sends(subscription, at(2026, 5, 14, 23, 59))  # the same day
    assert sends(subscription, at(2026, 5, 15, 0, 1))  # the next day, just after midnight where the user lives
    assert not sends(subscription, at(2026, 5, 15, 18))
    assert len(mailoutbox) == 2


def test_weekly_waits_until_the_eighth_day(org, report, mailoutbox):
    subscription = subscribe(report, org.vendedor_norte, "weekly", at(2026, 5, 13))  # a Wednesday
    assert sends(subscription, at(2026, 5, 13, 10))  # day 1
    assert not sends(subscription, at(2026, 5, 19, 23, 59))  # day 7, Tuesday
    assert sends(subscription, at(2026, 5, 20, 0, 1))  # day 8, Wednesday
    assert not sends(subscription, at(2026, 5, 26))
    assert len(mailoutbox) == 2


def test_monthly_on_the_31st_falls_on_the_last_day_of_a_shorter_month(org, report, mailoutbox):
    subscription = subscribe(report, org.vendedor_norte, "monthly", at(2027, 1, 31))
    assert sends(subscription, at(2027, 1, 31, 10))
    assert not sends(subscription, at(2027, 2, 27, 23))
    assert sends(subscription, at(2027, 2, 28, 7))  # February has no 31st: its last day
    assert not sends(subscription, at(2027, 3, 30, 23))
    assert sends(subscription, at(2027, 3, 31, 7))  # back on the 31st
    assert not sends(subscription, at(2027, 4, 29))
    assert sends(subscription, at(2027, 4, 30))
    assert len(mailoutbox) == 4


def test_the_scheduled_job_queues_each_due_subscription_once_per_period(org, report, mailoutbox, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    subscribe(report, org.vendedor_norte, "daily", at(2026, 5, 1))
    subscribe(report, org.vendedor_sur, "weekly", at(2026, 5, 14, 9))
    with mock.patch("vinculo.core.clock.now", return_value=at(2026, 5, 14, 10)):
        assert scheduled.enqueue_due() == 2
        assert scheduled.enqueue_due() == 0  # run again the same day: nothing
    with mock.patch("vinculo.core.clock.now", return_value=at(2026, 5, 15, 10)):
        assert scheduled.enqueue_due() == 1  # only the daily one
    assert [message.to for message in mailoutbox] == [[org.vendedor_norte.email], [org.vendedor_sur.email],
                                                      [org.vendedor_norte.email]]


def test_a_failed_e_mail_gives_the_period_back(org, report, mailoutbox):
    subscription = subscribe(report, org.vendedor_norte, "daily", at(2026, 5, 1))
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("SMTP down")), \
            pytest.raises(OSError):
        sends(subscription, at(2026, 5, 14))
    subscription.refresh_from_db()
    assert subscription.last_sent_at is None
    assert sends(subscription, at(2026, 5, 14, 11))


def test_nothing_is_sent_to_a_subscriber_who_may_no_longer_open_the_report(org, report, mailoutbox):
    subscription = subscribe(report, org.vendedor_norte, "daily", at(2026, 5, 1))
    SavedReport.objects.filter(pk=report.pk).update(visibility=Visibility.PRIVATE)
    assert not sends(subscription, at(2026, 5, 14))
    assert mailoutbox == []


def test_the_e_mail_is_written_in_the_subscribers_language(org, report, mailoutbox):
    org.vendedor_sur.language = "es"
    org.vendedor_sur.save()
    sends(subscribe(report, org.vendedor_norte, "weekly", at(2026, 5, 1)), at(2026, 5, 14))
    sends(subscribe(report, org.vendedor_sur, "weekly", at(2026, 5, 1)), at(2026, 5, 14))
    english, spanish = mailoutbox
    assert english.subject == "Report “Embudo semanal” of 2026-05-14"
    assert "You receive it every week." in english.body
    with translation.override("es"):
        assert spanish.subject == translation.gettext("Report “%(report)s” of %(date)s") % {
            "report": "Embudo semanal", "date": "14-05-2026"}
        assert translation.gettext("every week") in spanish.body


def test_page_subscribes_changes_and_unsubscribes(client, org, report, django_assert_max_num_queries):
    client.force_login(org.vendedor_norte)
    url = reverse("reports:subscribe", args=[report.pk])
    answer = client.post(url, {"frequency": "monthly", "format": "pdf"})
    assert answer.status_code == 302
    subscription = ReportSubscription.objects.get(report=report, user=org.vendedor_norte)
    assert (subscription.frequency, subscription.format) == ("monthly", "pdf")
    client.post(url, {"frequency": "daily", "format": "xlsx"})
    assert ReportSubscription.objects.filter(report=report, user=org.vendedor_norte, frequency="daily").count() == 1
    with django_assert_max_num_queries(40):
        page = client.get(reverse("reports:saved", args=[report.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["subscription"] == subscription
    assert 'id="report-subscription"' in page.content.decode()
    bad = client.post(url, {"frequency": "hourly", "format": "xlsx"}, follow=True)
    assert ReportSubscription.objects.get(pk=subscription.pk).frequency == "daily"
    assert any("daily, weekly or monthly" in str(message) or "diario" in str(message)
               for message in bad.context["messages"])
    client.post(url, {"unsubscribe": "1"})
    assert not ReportSubscription.objects.filter(report=report).exists()


def test_page_and_api_refuse_a_report_the_user_may_not_open(client, org, report):
    private = SavedReport.objects.create(owner=org.vendedor_sur, name="Privado", record_type="opportunity",
                                         definition={"record_type": "opportunity"})
    client.force_login(org.vendedor_norte)
    assert client.post(reverse("reports:subscribe", args=[private.pk]), {"frequency": "daily",
                                                                        "format": "xlsx"}).status_code == 404
    assert client.put(f"/api/v1/reports/{private.pk}/subscription", {"frequency": "daily"},
                      content_type="application/json", **auth(org.vendedor_norte)).status_code == 404
    assert not ReportSubscription.objects.exists()


def test_api_subscription(client, org, report):
    url = f"/api/v1/reports/{report.pk}/subscription"
    headers = auth(org.vendedor_norte)
    assert client.get(url, **headers).status_code == 404
    answer = client.put(url, {"frequency": "weekly", "format": "pdf"}, content_type="application/json", **headers)
    assert answer.status_code == 200
    assert answer.json() | {"created_at": None} == {"report": str(report.pk), "frequency": "weekly", "format": "pdf",
                                                    "created_at": None, "last_sent_at": None}
    assert client.get(url, **headers).json()["frequency"] == "weekly"
    bad = client.put(url, {"frequency": "hourly"}, content_type="application/json", **headers)
    assert bad.status_code == 422
    predefined = client.put("/api/v1/reports/pipeline-by-stage/subscription", {"frequency": "daily"},
                            content_type="application/json", **headers)
    assert predefined.status_code == 422 and "report_id" in str(predefined.json())
    assert client.delete(url, **headers).status_code == 204
    assert client.delete(url, **headers).status_code == 404
