"""Contacts: the people we talk to, linked to one main account and cross-referenced to others."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account
from vinculo.core.models import TrackedModel
from vinculo.core.policy import Parent, Policy
from vinculo.core.validators import format_phone, normalize_phone


class Contact(TrackedModel):
    class ExecutiveLevel(models.TextChoices):
        C_LEVEL = "c_level", _("C-level")
        VP = "vp", _("Vice president")
        DIRECTOR = "director", _("Director")
        MANAGER = "manager", _("Manager")
        STAFF = "staff", _("Staff")

    class PurchaseRole(models.TextChoices):
        DECISION_MAKER = "decision_maker", _("Decision maker")
        ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
        INFLUENCER = "influencer", _("Influencer")
        TECHNICAL_EVALUATOR = "technical_evaluator", _("Technical evaluator")
        USER = "user", _("User")
        GATEKEEPER = "gatekeeper", _("Gatekeeper")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_contacts"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    other_accounts = models.ManyToManyField(
        Account, verbose_name=_("other accounts"), through="ContactAccountLink", related_name="linked_contacts",
        blank=True,
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    title = models.CharField(_("job title"), max_length=150, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    executive_level = models.CharField(
        _("executive level"), max_length=20, choices=ExecutiveLevel.choices, blank=True
    )
    purchase_role = models.CharField(_("role in the purchase"), max_length=30, choices=PurchaseRole.choices, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CL")
    city = models.CharField(_("city"), max_length=100, blank=True)
    email_opt_out = models.BooleanField(_("does not want emails"), default=False)
    do_not_call = models.BooleanField(_("do not call"), default=False)
    description = models.TextField(_("notes"), blank=True)

    SEARCH_SELECT_RELATED = ("account",)

    # A contact inherits the visibility of its main account; its owner's line sees it too.
    policy = Policy(owner="owner", parents=[Parent("account", "accounts.Account")])

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            # The contact list sorted by name; an account's contacts.
            models.Index(fields=["deleted_at", "last_name", "first_name"], name="contact_live_name_idx"),
            models.Index(fields=["account", "deleted_at"], name="contact_account_idx"),
            models.Index(fields=["owner", "deleted_at"], name="contact_owner_idx"),
            # The columns Contact.access_rule reads: counting the contacts a user may see reads this index,
            # not the table (bench/: 250,000 contacts, a rep's count ~90 → ~60 ms).
            models.Index(fields=["deleted_at", "owner", "account"], name="contact_access_idx"),
            # Duplicate checks and imports match on email.
            models.Index(fields=["email"], name="contact_email_idx"),
            # ... and, for a row without an e-mail, on the mobile (or phone) with the name: one query per batch
            # of rows, `mobile IN (…) OR phone IN (…)`, which without these reads the whole table.
            models.Index(fields=["mobile"], name="contact_mobile_idx"),
            models.Index(fields=["phone"], name="contact_phone_idx"),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("contacts:detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return " ".join(filter(None, [self.first_name, self.last_name]))

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    @property
    def mobile_display(self) -> str:
        return format_phone(self.mobile)

    def clean(self):
        errors = {}
        self.country = (self.country or "CL").upper()
        for field in ("phone", "mobile"):
            try:
                setattr(self, field, normalize_phone(getattr(self, field), self.country))
            except ValidationError as exc:
                errors[field] = exc.messages
        if self.email:
            self.email = self.email.strip().lower()
        if errors:
            raise ValidationError(errors)

    def search_text(self) -> str:
        account = self.account.legal_name if self.account_id else ""
        return " ".join(filter(None, [self.first_name, self.last_name, self.email, self.title, account]))


class ContactAccountLink(models.Model):
    """A contact's relation to an account other than its main one (e.g. a consultant for several clients)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="account_links")
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE,
                                related_name="contact_links")
    role = models.CharField(_("role"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("other account")
        verbose_name_plural = _("other accounts")
        constraints = [models.UniqueConstraint(fields=["contact", "account"], name="contact_link_unique")]

    def __str__(self):
        return f"{self.contact} → {self.account}"
