"""The records of an account's Customer 360 page that may name one of its contacts — assets, contracts,
notes, content deliveries — and its files (about any subject, like notes).

They moved here from accounts, which sits below contacts; their tables kept their names (`accounts_note`…).
Invoices and payments stay in accounts: the account's sales figures are summed from them.
"""

import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import AccountRecord, SubjectRecord
from vinculo.core.access import RecordQuerySet
from vinculo.core.models import LiveManager, recycle_bin_index


class CustomerAsset(AccountRecord):
    """A product we sold that the customer has installed or uses."""

    page_name = "asset"

    class Status(models.TextChoices):
        ACTIVE = "active", _("In use")
        IN_SERVICE = "in_service", _("In service / repair")
        RETIRED = "retired", _("Retired")
        RETURNED = "returned", _("Returned")

    product_name = models.CharField(_("product"), max_length=200)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    sale_date = models.DateField(_("sale date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    contact = models.ForeignKey(
        "contacts.Contact", verbose_name=_("contact in charge"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assets",
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-sale_date", "-id"]
        db_table = "accounts_customerasset"
        verbose_name = _("customer asset")
        verbose_name_plural = _("customer assets")
        indexes = [
            # The account page's assets list.
            models.Index(fields=["account", "deleted_at", "-sale_date"], name="asset_account_idx"),
            models.Index(fields=["serial_number"], name="asset_serial_idx"),
        ]

    def __str__(self):
        return f"{self.product_name} ({self.serial_number})" if self.serial_number else self.product_name


# The renewal alert opens this many days before a contract's decision date (its expiry less its notice
# period), so that the renewal can still be prepared: with the usual 30 days' notice, 60 days before expiry.
RENEWAL_ALERT_LEAD_DAYS = 30


class DaysBefore(models.Func):
    """`date` less `days` days (an integer expression), computed by the database: the decision date of each
    contract in a filter. PostgreSQL subtracts an integer from a date; SQLite has its date modifiers."""

    output_field = models.DateField()
    arity = 2
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="date(%(expressions)s || ' days')",
                           arg_joiner=", '-' || ", **extra_context)


class ContractQuerySet(RecordQuerySet):
    def expiring_within(self, today, days: int):
        """Active contracts whose expiry falls between today and `days` from today (both included)."""
        return self.filter(
            status=Contract.Status.ACTIVE, end_date__gte=today, end_date__lte=today + timedelta(days=days)
        )

    def renewals_due(self, today):
        """Active contracts whose renewal alert is open today: from RENEWAL_ALERT_LEAD_DAYS days before their
        decision date (expiry less notice period) up to their expiry, both included (see
        `Contract.renewal_due_on`). Open-ended contracts have nothing to renew."""
        alert_from = DaysBefore("end_date", models.F("notice_days") + RENEWAL_ALERT_LEAD_DAYS)
        return self.filter(status=Contract.Status.ACTIVE, end_date__gte=today).alias(
            renewal_alert_from=alert_from).filter(renewal_alert_from__lte=today)


class Contract(AccountRecord):
    page_name = "contract"

    class Type(models.TextChoices):
        SERVICE = "service", _("Service")
        MAINTENANCE = "maintenance", _("Maintenance")
        SUPPLY = "supply", _("Supply")
        LICENSE = "license", _("Licence")
        FRAMEWORK = "framework", _("Framework agreement")
        OTHER = "other", _("Other")

    class Renewal(models.TextChoices):
        AUTOMATIC = "automatic", _("Renews automatically")
        MANUAL = "manual", _("Renewal to negotiate")
        NONE = "none", _("Does not renew")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")
        RENEWED = "renewed", _("Renewed")

    number = models.CharField(_("contract number"), max_length=50)
    description = models.CharField(_("description"), max_length=300, blank=True)
    contract_type = models.CharField(_("type"), max_length=12, choices=Type.choices, default=Type.SERVICE)
    contact = models.ForeignKey(
        "contacts.Contact", verbose_name=_("customer contact responsible"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="contracts",
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("expiry"), null=True, blank=True)
    renewal_type = models.CharField(_("renewal"), max_length=10, choices=Renewal.choices, default=Renewal.MANUAL)
    notice_days = models.PositiveSmallIntegerField(
        _("notice period (days)"), default=30, help_text=_("How long before expiry the renewal must be decided.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CLP")

    objects = LiveManager.from_queryset(ContractQuerySet)()
    all_objects = models.Manager.from_queryset(ContractQuerySet)()

    class Meta:
        ordering = ["end_date", "number"]
        db_table = "accounts_contract"
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        base_manager_name = "all_objects"
        indexes = [
            # Renewal alerts: active contracts expiring soon.
            models.Index(fields=["status", "end_date"], name="contract_renewal_idx"),
            models.Index(fields=["account", "deleted_at", "end_date"], name="contract_account_idx"),
        ]

    def __str__(self):
        return f"{self.number} — {self.description}" if self.description else self.number

    def clean(self):
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The expiry cannot be before the start.")})

    def days_to_expiry(self, today) -> int | None:
        return (self.end_date - today).days if self.end_date else None

    @property
    def renewal_decision_date(self):
        return self.end_date - timedelta(days=self.notice_days) if self.end_date else None

    @property
    def renewal_alert_from(self):
        """The first day the renewal is alerted: RENEWAL_ALERT_LEAD_DAYS before the decision date."""
        decision = self.renewal_decision_date
        return decision - timedelta(days=RENEWAL_ALERT_LEAD_DAYS) if decision else None

    def renewal_due_on(self, today) -> bool:
        """Whether the renewal is alerted on `today`: an active contract, from its alert date to its expiry
        (the same rule as `Contract.objects.renewals_due`)."""
        return (self.status == self.Status.ACTIVE and self.end_date is not None
                and self.renewal_alert_from <= today <= self.end_date)


class Note(SubjectRecord):
    """A seller's note about the account (optionally about one of its contacts)."""

    page_name = "note"

    contact = models.ForeignKey(
        "contacts.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="notes",
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("note"))

    class Meta:
        ordering = ["-created_at", "-id"]
        db_table = "accounts_note"
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [
            recycle_bin_index("note_deleted_idx"),
            models.Index(fields=["account", "deleted_at", "-created_at"], name="note_account_idx"),
            # A subject's notes (a lead's page) and the subject access rule.
            models.Index(fields=["regarding_type", "regarding_id", "-created_at"], name="note_regarding_idx"),
        ]

    def __str__(self):
        return self.title or self.body[:60]


class ContentDelivery(AccountRecord):
    """Material or a knowledge article we delivered to the account."""

    page_name = "delivery"

    class Kind(models.TextChoices):
        ARTICLE = "article", _("Knowledge article")
        BROCHURE = "brochure", _("Brochure")
        PRESENTATION = "presentation", _("Presentation")
        CATALOGUE = "catalogue", _("Catalogue / price list")
        SAMPLE = "sample", _("Sample")
        TRAINING = "training", _("Training")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        VISIT = "visit", _("Visit")
        PORTAL = "portal", _("Portal")
        POST = "post", _("Post / courier")

    title = models.CharField(_("material"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ARTICLE)
    reference = models.CharField(_("link or reference"), max_length=300, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact", verbose_name=_("delivered to"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="content_deliveries",
    )
    delivered_on = models.DateField(_("delivered on"))
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("delivered by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-delivered_on", "-id"]
        db_table = "accounts_contentdelivery"
        verbose_name = _("content delivery")
        verbose_name_plural = _("content deliveries")
        indexes = [models.Index(fields=["account", "deleted_at", "-delivered_on"], name="delivery_account_idx")]

    def __str__(self):
        return self.title


class Document(SubjectRecord):
    """A customer file; its content lives in versions, the newest being the current one."""

    page_name = "document"

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        db_table = "accounts_document"
        verbose_name = _("file")
        verbose_name_plural = _("files")
        indexes = [
            recycle_bin_index("document_deleted_idx"),
            models.Index(fields=["account", "deleted_at", "-updated_at"], name="document_account_idx"),
            # A subject's files (a lead's page) and the subject access rule.
            models.Index(fields=["regarding_type", "regarding_id", "-updated_at"], name="document_regarding_idx"),
        ]

    def __str__(self):
        return self.title


def _version_path(version, filename):
    # Unguessable and unrelated to the account: downloads always go through a view that checks access.
    return f"documents/{uuid.uuid4().hex}/{Path(filename).name}"


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=_version_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["-number"]
        db_table = "accounts_documentversion"
        verbose_name = _("file version")
        verbose_name_plural = _("file versions")
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="document_version_unique")]

    def __str__(self):
        return f"{self.document} v{self.number}"
