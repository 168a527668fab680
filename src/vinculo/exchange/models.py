"""Import jobs: one row per import (who, when, which file, mapping, options, counts) and one per row of
its file that did something or was refused (its outcome, the record it created or updated, and the values
an update replaced, so that the import can be reverted)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class OnDuplicate(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    FILL_EMPTY = "fill_empty", _("Fill the record's empty fields")
    OVERWRITE = "overwrite", _("Overwrite the record's fields")
    CREATE = "create", _("Create a new record anyway")


class ImportJob(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        REVERTED = "reverted", _("Reverted")

    class Format(models.TextChoices):
        AUTO = "auto", _("Detect")
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        OUTLOOK = "outlook", _("Outlook CSV")
        GOOGLE = "google", _("Google Contacts CSV")
        VCARD = "vcard", "vCard"

    class Kind(models.TextChoices):
        ACCOUNTS = "accounts", _("Accounts")
        CONTACTS = "contacts", _("Contacts")
        LEADS = "leads", _("Leads")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.CASCADE,
                             related_name="import_jobs")
    kind = models.CharField(_("records"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.AUTO)
    encoding = models.CharField(_("encoding"), max_length=40, blank=True,
                                help_text=_("Leave empty to detect it."))
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    # The file's column headers in their order (a row's values are a JSON object, whose keys PostgreSQL
    # does not keep in order): the rejected rows' download writes its columns in this order.
    headers = models.JSONField(default=list, blank=True)
    on_duplicate = models.CharField(_("when a row matches a record"), max_length=12, choices=OnDuplicate.choices,
                                    default=OnDuplicate.SKIP)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    error = models.TextField(_("error"), blank=True)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows done"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    flagged = models.PositiveIntegerField(_("flagged"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            # "My imports", newest first.
            models.Index(fields=["user", "-created_at"], name="importjob_user_idx"),
        ]

    def __str__(self):
        return self.filename

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.processed * 100 // self.total)

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED, self.Status.REVERTED}


class ImportRow(models.Model):
    class Outcome(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        SKIPPED = "skipped", _("Skipped")
        REJECTED = "rejected", _("Rejected")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(_("row"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    flagged = models.BooleanField(_("flagged"), default=False)
    message = models.TextField(_("message"), blank=True)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The row as read, for the rejected rows' download (rejected rows only).
    values = models.JSONField(default=dict, blank=True)
    # For an update: the fields it changed with their values before ({field: value as stored}).
    prior = models.JSONField(default=dict, blank=True)
    # What the duplicate rules compare (an e-mail, a mobile with the name, a tax id): a later row of the file
    # with the same key is the same record (exchange.importing.Run.earlier_rows).
    key = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["job", "number"]
        indexes = [
            # The result page and the rejected rows' download read one job's rows by outcome.
            models.Index(fields=["job", "outcome", "number"], name="importrow_job_outcome_idx"),
            # An import's earlier rows with the keys of the batch being imported.
            models.Index(fields=["job", "key"], name="importrow_job_key_idx"),
        ]

    def __str__(self):
        return f"{self.job_id}:{self.number} {self.outcome}"


class MappingTemplate(models.Model):
    """A column mapping saved by a user for files of the same shape."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_templates")
    kind = models.CharField(_("records"), max_length=20, choices=ImportJob.Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    mapping = models.JSONField(_("column mapping"), default=dict)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mapping template")
        verbose_name_plural = _("mapping templates")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "name"], name="mapping_template_unique")]

    def __str__(self):
        return self.name


class ExportJob(models.Model):
    """An export run in the background: a list (its filters and columns) or a report, in one format, for
    the user who asked, in their language. Its file is written whole before it is offered (a failure
    leaves none), kept in private storage and served to that user alone."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel (XLSX)")
        CSV = "csv", "CSV"
        VCARD = "vcard", _("vCard 4.0")
        OUTLOOK = "outlook", _("Outlook CSV")
        PDF = "pdf", "PDF"
        ICS = "ics", _("Calendar (ICS)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("exported by"), on_delete=models.CASCADE,
                             related_name="export_jobs")
    # A list (accounts, contacts, leads, deals) or a source registered by a module above ("report").
    kind = models.CharField(_("records"), max_length=40)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # An export asked from a list's URL: that list's filter form's query string (exporting.LIST_FILTERS).
    query = models.TextField(blank=True, default="")
    columns = models.JSONField(_("columns"), default=list, blank=True)
    # A report's definition (vinculo.reports.engine.Definition as a dict).
    definition = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("error"), blank=True)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows done"), default=0)
    file = models.FileField(_("file"), upload_to="private/exports/%Y/%m/", max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            # "My exports", newest first.
            models.Index(fields=["user", "-created_at"], name="exportjob_user_idx"),
        ]

    def __str__(self):
        return self.title or self.kind

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return 0 if not self.total else min(100, self.processed * 100 // self.total)

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
