"""Scheduled reports (issue #14 §6): a saved report e-mailed as XLSX or PDF to each of its subscribers, daily,
weekly or monthly, run as that subscriber — the rows and fields they may see, nobody else's.

`vinculo worker` runs `enqueue_due` on a schedule (reports/apps.py); it queues one background task per
subscription whose period has begun since it was last sent, and the task (`send`) claims the period before
sending, so a subscription is e-mailed at most once per period however often, and by however many workers,
the job runs. A period starts on the subscription's day: every day; every week on the weekday it was created;
every month on the day of the month it was created, or the month's last day when the month is shorter (a
subscription of 31 January is due on 28 February, then on 31 March). Days are the subscriber's own (their
time zone)."""

import calendar
import datetime
import logging
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.core import clock
from vinculo.core.money import override_country

from . import output
from .engine import Definition, ReportError
from .models import ReportSubscription, saved_reports_for

logger = logging.getLogger(__name__)

EXPORT_ROWS = 100_000
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pdf": "application/pdf"}
EVERY = {"daily": gettext_lazy("every day"), "weekly": gettext_lazy("every week"),
         "monthly": gettext_lazy("every month")}


def _on_day(year: int, month: int, day: int) -> datetime.date:
    """`day` of that month, or its last day when the month is shorter."""
    return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def period_start(frequency: str, anchor: datetime.date, today: datetime.date) -> datetime.date:
    """The first day of the period `today` falls in, for periods that start on `anchor`."""
    if frequency == ReportSubscription.Frequency.DAILY:
        return today
    if frequency == ReportSubscription.Frequency.WEEKLY:
        return today - datetime.timedelta(days=(today.weekday() - anchor.weekday()) % 7)
    start = _on_day(today.year, today.month, anchor.day)
    if start > today:
        previous = today.replace(day=1) - datetime.timedelta(days=1)
        start = _on_day(previous.year, previous.month, anchor.day)
    return start


def _zone(user):
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return timezone.get_default_timezone()


def is_due(subscription: ReportSubscription, now: datetime.datetime) -> bool:
    """Whether the period `now` falls in has not been sent yet (the subscriber's days)."""
    if subscription.last_sent_at is None:
        return True
    zone = _zone(subscription.user)
    start = period_start(subscription.frequency, timezone.localdate(subscription.created_at, zone),
                         timezone.localdate(now, zone))
    return timezone.localdate(subscription.last_sent_at, zone) < start


def due_subscriptions(now: datetime.datetime | None = None) -> list[int]:
    now = now or clock.now()
    candidates = ReportSubscription.objects.filter(user__is_active=True).select_related("user").order_by("pk")
    return [subscription.pk for subscription in candidates.iterator() if is_due(subscription, now)]


def enqueue_due() -> int:
    """The scheduled job: one background task per subscription due; the number queued."""
    from .tasks import send_report_subscription

    due = due_subscriptions()
    for pk in due:
        send_report_subscription.enqueue(pk)
    return len(due)


def send(subscription_id: int, now: datetime.datetime | None = None) -> bool:
    """E-mail one subscription if its period has not been sent yet; whether it was sent. The period is
    claimed first (`last_sent_at` set only if nobody set it meanwhile) and given back if the e-mail fails."""
    now = now or clock.now()
    subscription = (ReportSubscription.objects.select_related("report", "user", "user__office")
                    .filter(pk=subscription_id).first())
    if subscription is None or not is_due(subscription, now):
        return False
    user = subscription.user
    if not (user.is_active and user.email) or not saved_reports_for(user).filter(pk=subscription.report_id).exists():
        return False  # no longer allowed to open the report (unshared, a deactivated user): nothing is sent
    previous = subscription.last_sent_at
    if not ReportSubscription.objects.filter(pk=subscription.pk, last_sent_at=previous).update(last_sent_at=now):
        return False  # another worker sent it
    try:
        message = render(subscription, now)
        if message is not None:
            message.send()
    except Exception:
        ReportSubscription.objects.filter(pk=subscription.pk, last_sent_at=now).update(last_sent_at=previous)
        raise
    return message is not None


def render(subscription: ReportSubscription, now: datetime.datetime) -> EmailMessage | None:
    """The e-mail of one subscription, in its subscriber's language, with the report run as them attached;
    None when the saved definition no longer runs (logged; the period counts as sent)."""
    user, report = subscription.user, subscription.report
    with translation.override(user.language or settings.LANGUAGE_CODE), override_country(user.office_country()):
        try:
            result = output.exported(Definition.from_dict(report.definition), user, subscription.format, EXPORT_ROWS)
        except ReportError as exc:
            logger.warning("Scheduled report %s for %s does not run: %s", report.pk, user.pk, exc)
            return None
        fmt = subscription.format
        data = output.to_pdf(result, report.name) if fmt == "pdf" else output.to_xlsx(result, report.name)
        day = formats.date_format(timezone.localdate(now, _zone(user)), "SHORT_DATE_FORMAT")
        link = settings.VINCULO_SITE_URL.rstrip("/") + reverse("reports:saved", args=[report.pk])
        subject = _("Report “%(report)s” of %(date)s") % {"report": report.name, "date": day}
        body = "\n\n".join([
            _("Hello %(name)s,") % {"name": user.get_short_name() or user.username},
            _("Attached is the report “%(report)s” of %(date)s, on the records you may see.")
            % {"report": report.name, "date": day},
            _("You receive it %(every)s. To stop receiving it, or to change how often, open the report: %(link)s")
            % {"every": EVERY[subscription.frequency], "link": link},
        ]) + "\n"
    message = EmailMessage(subject, body, None, [user.email])
    message.attach(f"{slugify(report.name) or 'report'}.{fmt}", data, CONTENT_TYPES[fmt])
    return message


def subscribe(report, user, frequency: str, fmt: str) -> ReportSubscription:
    """Subscribe `user` to `report` (one they may open), or change how often and in which format they get it."""
    subscription, created = ReportSubscription.objects.get_or_create(
        report=report, user=user, defaults={"frequency": frequency, "format": fmt})
    if not created and (subscription.frequency, subscription.format) != (frequency, fmt):
        subscription.frequency, subscription.format = frequency, fmt
        subscription.save(update_fields=["frequency", "format"])
    return subscription
