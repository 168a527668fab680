"""Accounts: the companies we sell to, with every field group of the Customer 360 page, their addresses,
team, invoices and payments. The records that may name a contact (and files) are in vinculo.customer360."""

import re

from babel import Locale
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core.access import RecordQuerySet
from vinculo.core.models import LiveManager, TrackedModel, recycle_bin_index
from vinculo.core.policy import Clause, FieldGroup, Parent, Policy, Subject
from vinculo.core.subjects import Regarding
from vinculo.core.validators import format_phone, format_tax_id, normalize_phone, normalize_tax_id
from vinculo.org.access import SalesTeamGrant, TerritoryGrant

VIEW_FINANCIAL_DATA = "accounts.view_financial_data"


class AccountTeamGrant(Clause):
    """The account team: members read the account, and change it with "edit" access.

    Non-correlated IN lists, like every grant on accounts: the database computes each list once, instead
    of running a subquery per account row (bench/: account list -25%, account page -35% on 50,000 accounts)."""

    def granting(self, team, write: bool):
        return team.filter(access=AccountTeamMember.Access.EDIT) if write else team

    def q(self, user, write, per_row, prefix=""):
        team = self.granting(AccountTeamMember.objects.filter(user=user), write)
        return models.Q(**{f"{prefix}pk__in": team.values("account_id")})

    def users(self, record, write):
        team = self.granting(AccountTeamMember.objects.filter(account_id=record.pk), write)
        return models.Q(pk__in=team.values("user_id"))


class Industry(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    sic_code = models.CharField(_("SIC code"), max_length=8, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")

    def __str__(self):
        return f"{self.name} ({self.sic_code})" if self.sic_code else self.name


class Account(TrackedModel):
    class Type(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        PROSPECT = "prospect", _("Prospect")
        PARTNER = "partner", _("Partner")
        COMPETITOR = "competitor", _("Competitor")
        SUPPLIER = "supplier", _("Supplier")
        OTHER = "other", _("Other")

    class Rating(models.TextChoices):
        HOT = "hot", _("Hot")
        WARM = "warm", _("Warm")
        COLD = "cold", _("Cold")

    class PurchaseMethod(models.TextChoices):
        B2B_PORTAL = "b2b_portal", _("B2B portal")
        PURCHASE_ORDER = "purchase_order", _("Purchase order")
        PUBLIC_TENDER = "public_tender", _("Public tender (e.g. ChileCompra)")
        QUOTE_FIRST = "quote_first", _("Asks for a quote first")
        DIRECT = "direct", _("Direct purchase")

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        YEARLY = "yearly", _("Yearly")
        OCCASIONAL = "occasional", _("Occasionally")

    class Channel(models.TextChoices):
        VISIT = "visit", _("On-site visit")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        PORTAL = "portal", _("Self-service portal")
        MESSAGING = "messaging", _("WhatsApp / messaging")

    class PaymentBehaviour(models.TextChoices):
        ON_TIME = "on_time", _("Pays on time")
        SLIGHTLY_LATE = "slightly_late", _("Slightly late")
        LATE = "late", _("Often late")
        DEFAULTED = "defaulted", _("Defaulted")

    class Relationship(models.TextChoices):
        NEW = "new", _("New")
        ACTIVE = "active", _("Active")
        AT_RISK = "at_risk", _("At risk")
        DORMANT = "dormant", _("Dormant")
        LOST = "lost", _("Lost")

    class BureauStatus(models.TextChoices):
        UNKNOWN = "", _("Not checked")
        CLEAN = "clean", _("Clean")
        FLAGGED = "flagged", _("Flagged (e.g. Dicom)")

    class CreditGrade(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"
        E = "E", "E"

    # Responsibility
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_accounts"
    )
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), null=True, blank=True, on_delete=models.SET_NULL
    )
    office = models.ForeignKey("org.Office", verbose_name=_("office"), null=True, blank=True, on_delete=models.SET_NULL)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("supervisor"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="supervised_accounts",
    )
    support_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("technical support"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="supported_accounts",
    )
    sales_team = models.ForeignKey(
        "org.SalesTeam", verbose_name=_("sales team"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="accounts",
    )

    # Identification
    legal_name = models.CharField(_("legal name"), max_length=200)
    trade_name = models.CharField(_("trade name"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CL", help_text=_("ISO code, e.g. CL, ES."))
    tax_id = models.CharField(_("tax id"), max_length=30, blank=True, help_text=_("RUT in Chile, NIF/CIF in Spain."))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent account"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="children",
    )

    # Classification
    industry = models.ForeignKey(Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.SET_NULL)
    account_type = models.CharField(_("account type"), max_length=20, choices=Type.choices, default=Type.PROSPECT)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = models.DecimalField(_("annual revenue"), max_digits=18, decimal_places=2, null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=10, choices=Rating.choices, blank=True)
    territory = models.ForeignKey(
        "org.Territory", verbose_name=_("territory"), null=True, blank=True, on_delete=models.SET_NULL
    )

    # How it buys
    purchase_methods = models.JSONField(_("purchase methods"), default=list, blank=True)
    buying_frequency = models.CharField(_("buying frequency"), max_length=20, choices=Frequency.choices, blank=True)
    preferred_channel = models.CharField(
        _("preferred service channel"), max_length=20, choices=Channel.choices, blank=True
    )

    # Commercial terms
    currency = models.CharField(_("currency"), max_length=3, default="CLP")
    credit_limit = models.DecimalField(_("credit limit"), max_digits=18, decimal_places=2, null=True, blank=True)
    discount_level = models.DecimalField(
        _("discount level (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    payment_behaviour = models.CharField(
        _("payment behaviour"), max_length=20, choices=PaymentBehaviour.choices, blank=True
    )
    relationship_status = models.CharField(
        _("relationship status"), max_length=20, choices=Relationship.choices, default=Relationship.NEW
    )

    # Sales information (targets; actual figures are computed)
    sales_target = models.DecimalField(_("sales target"), max_digits=18, decimal_places=2, null=True, blank=True)
    potential = models.DecimalField(_("account potential"), max_digits=18, decimal_places=2, null=True, blank=True)

    # Financial information: visible only with the "view financial data" permission.
    credit_behaviour = models.TextField(_("credit behaviour"), blank=True)
    commercial_reports = models.TextField(_("commercial reports"), blank=True)
    credit_bureau_status = models.CharField(
        _("credit bureau status"), max_length=10, choices=BureauStatus.choices, blank=True
    )
    risk_analysis = models.TextField(_("risk analysis"), blank=True)
    bank_details = models.TextField(_("bank details"), blank=True)
    other_suppliers = models.TextField(_("other suppliers"), blank=True)
    credit_grade = models.CharField(_("credit grade"), max_length=1, choices=CreditGrade.choices, blank=True)

    description = models.TextField(_("description"), blank=True)

    FINANCIAL_FIELDS = (
        "credit_behaviour", "commercial_reports", "credit_bureau_status", "risk_analysis",
        "bank_details", "other_suppliers", "credit_grade",
    )
    SEARCH_SELECT_RELATED = ()

    policy = Policy(
        owner="owner",
        grants=[AccountTeamGrant(), SalesTeamGrant("sales_team"), TerritoryGrant("territory")],
        field_groups={"financial": FieldGroup(FINANCIAL_FIELDS, permission=VIEW_FINANCIAL_DATA)},
    )

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        permissions = [("view_financial_data", _("Can view financial data"))]
        indexes = [
            # The account list, sorted by name, and "my accounts".
            models.Index(fields=["deleted_at", "legal_name"], name="account_live_name_idx"),
            models.Index(fields=["owner", "deleted_at"], name="account_owner_idx"),
            # The columns Account.access_rule reads: listing the accounts a user may see (which the contact
            # list and every record inheriting an account's access do too) reads this index, not the table.
            models.Index(fields=["deleted_at", "owner", "sales_team", "territory"], name="account_access_idx"),
            # Filters on the account list.
            models.Index(fields=["account_type", "legal_name"], name="account_type_name_idx"),
            models.Index(fields=["territory"], name="account_territory_idx"),
            models.Index(fields=["tax_id"], name="account_tax_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "tax_id"],
                condition=models.Q(deleted_at__isnull=True) & ~models.Q(tax_id=""),
                name="account_unique_live_tax_id",
                violation_error_message=_("Another account already has this tax id."),
            )
        ]

    def __str__(self):
        return self.trade_name or self.legal_name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("accounts:detail", args=[self.pk])

    def clean(self):
        errors = {}
        self.country = (self.country or "CL").upper()
        try:
            self.tax_id = normalize_tax_id(self.tax_id, self.country)
        except ValidationError as exc:
            errors["tax_id"] = exc.messages
        try:
            self.phone = normalize_phone(self.phone, self.country)
        except ValidationError as exc:
            errors["phone"] = exc.messages
        valid_methods = set(self.PurchaseMethod.values)
        if not isinstance(self.purchase_methods, list) or not set(self.purchase_methods) <= valid_methods:
            errors["purchase_methods"] = [_("Choose purchase methods from the list.")]
        if self.parent_id and self.pk and self.parent_id == self.pk:
            errors["parent"] = [_("An account cannot be its own parent.")]
        elif self.parent_id and self.pk:
            ancestor, seen = self.parent, set()
            while ancestor is not None and ancestor.pk not in seen:
                if ancestor.pk == self.pk:
                    errors["parent"] = [_("This parent would make a loop in the account hierarchy.")]
                    break
                seen.add(ancestor.pk)
                ancestor = ancestor.parent
        if self.discount_level is not None and not 0 <= self.discount_level <= 100:
            errors["discount_level"] = [_("A discount is between 0 and 100%.")]
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            # The only constraint is the live tax id's uniqueness: name the field it is about.
            raise ValidationError({"tax_id": exc.messages}) from exc

    @property
    def tax_id_display(self) -> str:
        return format_tax_id(self.tax_id, self.country)

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    def get_purchase_methods_display(self) -> list[str]:
        labels = dict(self.PurchaseMethod.choices)
        return [str(labels.get(method, method)) for method in self.purchase_methods or []]

    def search_text(self) -> str:
        return " ".join(filter(None, [self.legal_name, self.trade_name, self.tax_id, self.tax_id_display, self.email]))


class AccountRecord(TrackedModel):
    """A record that belongs to an account and inherits its visibility (and editability)."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="%(class)ss"
    )

    # Prefix of the record's URL names ("accounts:<page_name>_detail"); types without pages of their
    # own leave it empty and are shown on their account's page.
    page_name = ""

    policy = Policy(parents=[Parent("account", "accounts.Account")])

    class Meta:
        abstract = True

    def get_absolute_url(self):
        from django.urls import reverse

        if not self.page_name:
            return reverse("accounts:detail", args=[self.account_id])
        return reverse(f"accounts:{self.page_name}_detail", args=[self.pk])


class SubjectRecord(Regarding, AccountRecord):
    """A record about any subject (notes and files): an account, or e.g. a lead before its conversion. It
    inherits the visibility of its account and of its subject."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="%(class)ss",
    )

    # Its account's visibility, and its subject's (a lead's before conversion, a campaign's…).
    policy = Policy(parents=[Parent("account", "accounts.Account"), Subject(exclude=("accounts.Account",))])

    class Meta:
        abstract = True

    def get_absolute_url(self):
        if self.account_id is None and self.regarding_id:
            subject = self.regarding
            if subject is not None:
                return subject.get_absolute_url()
        return super().get_absolute_url()

    def clean(self):
        super().clean()
        if not (self.account_id or self.regarding_id):
            raise ValidationError({"account": _("Choose the account (or lead) this belongs to.")})


class Address(AccountRecord):
    """One of the account's addresses. Chile's administrative levels are comuna › provincia › región, Spain's
    municipio › provincia (› comunidad autónoma): `municipality` holds the comuna or municipio."""

    class Kind(models.TextChoices):
        BILLING = "billing", _("Billing")
        SHIPPING = "shipping", _("Shipping")
        OTHER = "other", _("Other")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BILLING)
    street = models.CharField(_("street"), max_length=200)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True,
                                    help_text=_("Comuna in Chile, municipio in Spain."))
    city = models.CharField(_("city"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True,
                              help_text=_("Región in Chile, comunidad autónoma in Spain."))
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CL")

    # What an address needs in each country, besides its street: {country: (field, ...)}.
    REQUIRED_BY_COUNTRY = {"CL": ("municipality", "region"), "ES": ("municipality", "province", "postal_code")}

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self):
        city = self.city if self.city and self.city != self.municipality else ""
        if self.country == "ES":
            place = " ".join(filter(None, [self.postal_code, self.municipality]))
            return ", ".join(filter(None, [self.street, place, city, self.province, self.region, self.country]))
        return ", ".join(filter(None, [self.street, self.municipality, city, self.province, self.region, self.country]))

    def clean(self):
        super().clean()
        self.country = (self.country or "CL").strip().upper()
        errors = {}
        if self.country not in country_codes():
            errors["country"] = [_("Give the country as its two-letter ISO code, e.g. CL or ES.")]
        for name in self.REQUIRED_BY_COUNTRY.get(self.country, ()):
            if not getattr(self, name).strip():
                errors[name] = [_("An address in %(country)s needs its %(field)s.") % {
                    "country": self.country, "field": self._meta.get_field(name).verbose_name}]
        if self.country == "ES" and self.postal_code and not re.fullmatch(r"(0[1-9]|[1-4]\d|5[0-2])\d{3}",
                                                                          self.postal_code.strip()):
            errors["postal_code"] = [_("A Spanish postal code has five digits, starting with 01 to 52.")]
        if errors:
            raise ValidationError(errors)


def country_codes() -> frozenset[str]:
    """The two-letter ISO codes of the countries an address may be in."""
    return frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


class AccountTeamMember(models.Model):
    class Access(models.TextChoices):
        READ = "read", _("Read only")
        EDIT = "edit", _("Read and edit")

    class Role(models.TextChoices):
        ACCOUNT_MANAGER = "account_manager", _("Account manager")
        SALES_REP = "sales_rep", _("Sales rep")
        PRESALES = "presales", _("Pre-sales engineer")
        SUPPORT = "support", _("Technical support")
        EXECUTIVE_SPONSOR = "executive_sponsor", _("Executive sponsor")
        FINANCE = "finance", _("Finance")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="account_memberships")
    role = models.CharField(_("role on the account"), max_length=20, choices=Role.choices, default=Role.SALES_REP)
    access = models.CharField(_("access"), max_length=10, choices=Access.choices, default=Access.READ)

    class Meta:
        ordering = ["account", "role"]
        verbose_name = _("account team member")
        verbose_name_plural = _("account team")
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="account_team_unique_member")]
        indexes = [
            # The access rule: "accounts where this user is on the team".
            models.Index(fields=["user", "account"], name="account_team_user_idx"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}"


def invoice_amounts_restricted() -> bool:
    """Whether invoice and payment amounts belong to the restricted financial group (an org choice)."""
    return bool(settings.VINCULO.get("INVOICE_AMOUNTS_RESTRICTED"))


def amounts_hidden_from(user) -> bool:
    """Whether invoice and payment amounts (and the sales figures summed from them) are kept from `user`:
    the "amounts" field group of the invoice's policy."""
    return not Invoice.policy.can_read(user, "amounts")


class InvoiceQuerySet(RecordQuerySet):
    def billed(self):
        """Invoices that count as sales: issued, whatever their payment state."""
        return self.exclude(status__in=[Invoice.Status.DRAFT, Invoice.Status.CANCELLED])

    def overdue(self, today):
        return self.billed().filter(balance__gt=0, due_date__lt=today)


class Invoice(AccountRecord):
    page_name = "invoice"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("invoice number"), max_length=50)
    issue_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CLP")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ISSUED)
    balance = models.DecimalField(_("unpaid balance"), max_digits=18, decimal_places=2, editable=False, default=0)
    external_ref = models.CharField(_("ERP reference"), max_length=100, blank=True)

    objects = LiveManager.from_queryset(InvoiceQuerySet)()
    all_objects = models.Manager.from_queryset(InvoiceQuerySet)()

    policy = Policy(parents=[Parent("account", "accounts.Account")], field_groups={
        "amounts": FieldGroup(("amount", "balance"), permission=VIEW_FINANCIAL_DATA,
                              restricted=invoice_amounts_restricted),
    })

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        base_manager_name = "all_objects"
        indexes = [
            recycle_bin_index("invoice_deleted_idx"),
            # The account's invoice list and its sales figures by month.
            models.Index(fields=["account", "deleted_at", "-issue_date"], name="invoice_account_idx"),
            # Overdue balances.
            models.Index(fields=["account", "balance", "due_date"], name="invoice_overdue_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=models.Q(deleted_at__isnull=True), name="invoice_unique_live_number",
                violation_error_message=_("Another invoice already has this number."),
            )
        ]

    def __str__(self):
        return self.number

    def clean(self):
        errors = {}
        if self.amount is not None and self.amount < 0:
            errors["amount"] = [_("An invoice amount cannot be negative; record a credit note instead.")]
        if self.issue_date and self.due_date and self.due_date < self.issue_date:
            errors["due_date"] = [_("The due date cannot be before the invoice date.")]
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            raise ValidationError({"number": exc.messages}) from exc

    def is_overdue(self, today) -> bool:
        return (
            self.status not in (self.Status.DRAFT, self.Status.CANCELLED)
            and self.balance > 0 and self.due_date < today
        )


class Payment(AccountRecord):
    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        CHECK = "check", _("Cheque")
        CARD = "card", _("Card")
        CASH = "cash", _("Cash")
        OTHER = "other", _("Other")

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="payments")
    paid_on = models.DateField(_("payment date"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.TRANSFER)
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    policy = Policy(parents=[Parent("account", "accounts.Account")], field_groups={
        "amounts": FieldGroup(("amount",), permission=VIEW_FINANCIAL_DATA, restricted=invoice_amounts_restricted),
    })

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [models.Index(fields=["invoice", "deleted_at"], name="payment_invoice_idx")]

    def __str__(self):
        return f"{self.invoice} · {self.paid_on}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("accounts:invoice_detail", args=[self.invoice_id])

    def clean(self):
        if self.amount is not None and self.amount <= 0:
            raise ValidationError({"amount": _("A payment amount must be positive.")})
        if self.invoice_id and self.account_id and self.invoice.account_id != self.account_id:
            raise ValidationError({"invoice": _("The invoice belongs to another account.")})
