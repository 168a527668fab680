from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core import clock


class SavedReport(models.Model):
    """A report a user built and saved: its definition (vinculo.reports.engine.Definition, as a dict).
    Private to its owner unless shared, in which case every user may run it (on the rows they may see)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                              related_name="saved_reports")
    name = models.CharField(_("name"), max_length=200)
    record_type = models.CharField(_("record type"), max_length=40)
    definition = models.JSONField(_("definition"), default=dict)
    chart = models.CharField(_("chart"), max_length=10, blank=True, default="")
    shared = models.BooleanField(_("shared with everyone"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        indexes = [
            # The report list: a user's own reports and the shared ones.
            models.Index(fields=["owner", "name"], name="savedreport_owner_idx"),
            models.Index(fields=["shared", "name"], name="savedreport_shared_idx"),
        ]

    def __str__(self):
        return self.name


def saved_reports_for(user):
    """The saved reports `user` may open: their own and the shared ones."""
    return SavedReport.objects.filter(models.Q(owner=user) | models.Q(shared=True))


class BulkChange(models.Model):
    """One bulk change a user made (a new owner for many records), kept so that it can be undone once:
    `previous` holds, per record id, the value each record had before."""

    token = models.UUIDField(unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    record_type = models.CharField(_("record type"), max_length=40)
    field = models.CharField(_("field"), max_length=60)
    value = models.JSONField(_("value set"), null=True)
    previous = models.JSONField(_("previous values"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk change")
        verbose_name_plural = _("bulk changes")

    def __str__(self):
        return f"{self.record_type}.{self.field} · {len(self.previous)}"


class ReportSubscription(models.Model):
    """A user receiving a saved report by e-mail, as an XLSX or PDF attachment, once a day, week or month
    (vinculo.reports.scheduled): the report runs as that user, on the rows they may see. The periods start on
    the day of `created_at` (a weekly one on its weekday, a monthly one on its day of the month, on the last
    day of a shorter month); `last_sent_at` keeps it to one e-mail per period."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel (XLSX)")
        PDF = "pdf", _("PDF")

    report = models.ForeignKey(SavedReport, verbose_name=_("report"), on_delete=models.CASCADE,
                               related_name="subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="report_subscriptions")
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.XLSX)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)

    class Meta:
        ordering = ["report", "user"]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="reportsubscription_unique")]

    def __str__(self):
        return f"{self.report} · {self.user} · {self.frequency}"
