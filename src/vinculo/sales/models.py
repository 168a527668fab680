"""Sales: leads, opportunities and their pipeline, competitors, the product catalogue, price lists and quotes."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vinculo.core import clock
from vinculo.core.access import AccessLevel
from vinculo.core.models import TrackedModel
from vinculo.core.money import CurrencyField
from vinculo.core.policy import Parent, PermissionGrant, Policy
from vinculo.core.subjects import SubjectRelation
from vinculo.core.validators import format_phone, normalize_phone
from vinculo.org.access import SalesTeamGrant, TerritoryGrant
from vinculo.plans.links import check_link

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Source(models.TextChoices):
    """Where a lead or a deal came from."""

    WEB = "web", _("Website")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    TRADE_FAIR = "trade_fair", _("Trade fair")
    COLD_CALL = "cold_call", _("Cold call")
    PARTNER = "partner", _("Partner")
    PUBLIC_TENDER = "public_tender", _("Public tender")
    EXISTING_CUSTOMER = "existing_customer", _("Existing customer")
    OTHER = "other", _("Other")


class Lead(TrackedModel):
    """Unqualified interest: a person and/or a company, until converted into account, contact and deal."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        UNQUALIFIED = "unqualified", _("Unqualified")
        CONVERTED = "converted", _("Converted")

    class Rating(models.TextChoices):
        HOT = "hot", _("Hot")
        WARM = "warm", _("Warm")
        COLD = "cold", _("Cold")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    company_tax_id = models.CharField(_("company tax id"), max_length=30, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CL")
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)
    industry = models.ForeignKey(
        "accounts.Industry", verbose_name=_("industry"), null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.WEB)
    campaign = models.ForeignKey(
        "marketing.Campaign", verbose_name=_("source campaign"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="leads",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    rating = models.CharField(_("rating"), max_length=10, choices=Rating.choices, blank=True)
    territory = models.ForeignKey(
        "org.Territory", verbose_name=_("territory"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="leads",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="leads"
    )
    description = models.TextField(_("description"), blank=True)

    policy = Policy(owner="owner", grants=[TerritoryGrant("territory")])

    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True, editable=False)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("converted by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )
    converted_account = models.ForeignKey(
        "accounts.Account", verbose_name=_("converted to account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="converted_leads", editable=False,
    )
    converted_contact = models.ForeignKey(
        "contacts.Contact", verbose_name=_("converted to contact"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="converted_leads", editable=False,
    )
    converted_opportunity = models.ForeignKey(
        "sales.Opportunity", verbose_name=_("converted to opportunity"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="converted_leads", editable=False,
    )
    # What was recorded about the lead (moved to the account, contact and deal on conversion).
    activities = SubjectRelation("activities.Activity", related_query_name="lead")
    notes = SubjectRelation("customer360.Note", related_query_name="lead")
    documents = SubjectRelation("customer360.Document", related_query_name="lead")
    # The campaigns that reached the lead (moved to its contact on conversion, deleted with the lead).
    campaign_memberships = SubjectRelation("marketing.CampaignMember", content_type_field="member_type",
                                           object_id_field="member_id", related_query_name="lead")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            # The lead list (newest first) and "my leads".
            models.Index(fields=["deleted_at", "-created_at", "-id"], name="lead_live_created_idx"),
            models.Index(fields=["owner", "status"], name="lead_owner_status_idx"),
            # Filters by status and territory; duplicate checks by email.
            models.Index(fields=["status", "-created_at"], name="lead_status_idx"),
            models.Index(fields=["territory"], name="lead_territory_idx"),
            models.Index(fields=["email"], name="lead_email_idx"),
        ]

    def __str__(self):
        person = " ".join(filter(None, [self.first_name, self.last_name]))
        if person and self.company:
            return f"{person} ({self.company})"
        return person or self.company or str(_("Lead #%(id)s") % {"id": self.pk})

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sales:lead_detail", args=[self.pk])

    @property
    def is_converted(self) -> bool:
        return self.converted_at is not None

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    def clean(self):
        from vinculo.core.validators import normalize_tax_id

        errors = {}
        if not (self.last_name or self.company):
            errors["last_name"] = [_("Give at least a last name or a company.")]
        self.country = (self.country or "CL").upper()
        try:
            self.phone = normalize_phone(self.phone, self.country)
        except ValidationError as exc:
            errors["phone"] = exc.messages
        try:
            self.company_tax_id = normalize_tax_id(self.company_tax_id, self.country)
        except ValidationError as exc:
            errors["company_tax_id"] = exc.messages
        if errors:
            raise ValidationError(errors)

    def search_text(self) -> str:
        return " ".join(filter(None, [self.first_name, self.last_name, self.company, self.email, self.company_tax_id]))


class PipelineStage(models.Model):
    """A step of the sales pipeline; admins edit the list, its order and default probabilities."""

    name = models.CharField(_("name"), max_length=80)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10, validators=PERCENT)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")

    def __str__(self):
        return self.name


class Opportunity(TrackedModel):
    """A deal ("negocio") with an account."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("deal status", "Open")
        WON = "won", pgettext_lazy("deal status", "Won")
        LOST = "lost", pgettext_lazy("deal status", "Lost")

    class CloseReason(models.TextChoices):
        NONE = "", _("—")
        PRICE = "price", _("Price")
        PRODUCT_FIT = "product_fit", _("Product fit")
        COMPETITOR = "competitor", _("Went with a competitor")
        TIMING = "timing", _("Timing")
        NO_DECISION = "no_decision", _("No decision / cancelled")
        RELATIONSHIP = "relationship", _("Relationship")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.CASCADE, related_name="opportunities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="opportunities"
    )
    sales_team = models.ForeignKey(
        "org.SalesTeam", verbose_name=_("sales team"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), null=True, blank=True, on_delete=models.SET_NULL
    )
    stage = models.ForeignKey(
        PipelineStage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10, validators=PERCENT)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=Decimal("0"))
    currency = CurrencyField(_("currency"), default="CLP")
    status = models.CharField(_("status"), max_length=5, choices=Status.choices, default=Status.OPEN)
    close_reason = models.CharField(_("reason"), max_length=15, choices=CloseReason.choices, blank=True)
    close_note = models.TextField(_("closing comment"), blank=True)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    campaign = models.ForeignKey(
        "marketing.Campaign", verbose_name=_("source campaign"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    contacts = models.ManyToManyField(
        "contacts.Contact", through="OpportunityContact", verbose_name=_("contacts"), blank=True,
        related_name="opportunities",
    )
    competitors = models.ManyToManyField(
        "Competitor", through="OpportunityCompetitor", verbose_name=_("competitors"), blank=True,
        related_name="opportunities",
    )
    # The business plan, or the plan's objective, the deal counts towards (plans.links).
    plan = models.ForeignKey("plans.BusinessPlan", verbose_name=_("business plan"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="opportunities")
    objective = models.ForeignKey("plans.Objective", verbose_name=_("objective"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="opportunities")
    # Interactions about the deal; deleting the deal leaves them on its account.
    activities = SubjectRelation("activities.Activity", cascade=False, related_query_name="opportunity")

    # The account's visibility, plus the owner's line and the deal's sales team.
    policy = Policy(owner="owner", parents=[Parent("account", "accounts.Account")],
                    grants=[SalesTeamGrant("sales_team")])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            # The board and the list by stage: live open deals, closing soonest first.
            models.Index(fields=["status", "stage", "expected_close_date"], name="opp_board_idx"),
            # Newest first ends on the id (the lists' order): deals imported or created together share their
            # created_at, and without it the database sorts all of them (4,834 in the demo) to show 25.
            models.Index(fields=["deleted_at", "-created_at", "-id"], name="opp_live_created_idx"),
            # The list's default view, open deals newest first: read in the index's order, 25 at a time. Without
            # it SQLite takes the report's status-first index and sorts every open deal (4× slower on 70,000).
            models.Index(fields=["deleted_at", "status", "-created_at", "-id"], name="opp_open_created_idx"),
            # One stage's deals newest first (the API's ?stage=, the list filtered by stage): 25 read in the
            # index's order instead of every deal of the stage sorted (API, one stage, page 3: 110–120 → 45–65 ms).
            models.Index(fields=["stage", "deleted_at", "-created_at", "-id"], name="opp_stage_created_idx"),
            # "My deals" and the owner's line.
            models.Index(fields=["owner", "status"], name="opp_owner_status_idx"),
            # The account page's opportunities list.
            models.Index(fields=["account", "deleted_at", "-created_at"], name="opp_account_idx"),
            models.Index(fields=["sales_team"], name="opp_sales_team_idx"),
            # The pipeline totals of the list and the board (count, amount, weighted amount per stage and
            # currency): read from an index alone, visibility columns included, never from the table. The
            # second serves totals narrowed to some accounts (a territory, an account).
            models.Index(fields=["deleted_at", "stage", "currency", "status", "amount", "probability", "owner",
                                 "account", "sales_team"], name="opp_pipeline_totals_idx"),
            models.Index(fields=["account", "deleted_at", "stage", "currency", "status", "amount", "probability",
                                 "owner", "sales_team"], name="opp_account_totals_idx"),
            # The list sorted by amount: the biggest (open) deals first.
            models.Index(fields=["deleted_at", "status", "amount"], name="opp_status_amount_idx"),
            # Reports (vinculo.reports.engine) grouped by stage and owner: the groups read in the index's order
            # and the first rows of the report from the index alone, visibility columns included.
            models.Index(fields=["deleted_at", "stage", "owner", "currency", "amount", "account", "sales_team"],
                         name="opp_report_stage_owner_idx"),
            # The pipeline report (open deals by stage, closing soonest first) as a rep: the open deals' rows
            # read from the index alone to sort them, visibility columns included.
            models.Index(fields=["status", "deleted_at", "stage", "expected_close_date", "owner", "account",
                                 "sales_team"], name="opp_report_pipeline_idx"),
            # A plan's and an objective's revenue won and linked deals.
            models.Index(fields=["plan", "status", "closed_on"], name="opp_plan_idx"),
            models.Index(fields=["objective", "status", "closed_on"], name="opp_objective_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sales:opportunity_detail", args=[self.pk])

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def clean(self):
        errors = {}
        if self.amount is not None and self.amount < 0:
            errors["amount"] = [_("An amount cannot be negative.")]
        if self.status != self.Status.OPEN and not self.closed_on:
            errors["closed_on"] = [_("Give the date the deal was closed.")]
        if self.status == self.Status.OPEN and self.close_reason:
            errors["close_reason"] = [_("Only a won or lost deal has a reason.")]
        try:
            check_link(self)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)

    def search_text(self) -> str:
        return self.name


class OpportunityContact(models.Model):
    class Role(models.TextChoices):
        DECISION_MAKER = "decision_maker", _("Decision maker")
        ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
        INFLUENCER = "influencer", _("Influencer")
        TECHNICAL = "technical", _("Technical evaluator")
        CHAMPION = "champion", _("Champion")
        USER = "user", _("User")
        OTHER = "other", _("Other")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="contact_roles")
    contact = models.ForeignKey("contacts.Contact", verbose_name=_("contact"), on_delete=models.CASCADE,
                                related_name="opportunity_roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.INFLUENCER)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("opportunity contact")
        verbose_name_plural = _("opportunity contacts")
        constraints = [models.UniqueConstraint(fields=["opportunity", "contact"], name="opp_contact_unique")]

    def __str__(self):
        return f"{self.contact} ({self.get_role_display()})"


class CatalogueRecord(TrackedModel):
    """Catalogue records (products, price lists, competitors): every user reads them, whatever the org
    defaults say; catalogue managers (permission `sales.manage_catalogue`) change them."""

    policy = Policy(level=AccessLevel.PUBLIC_READ, grants=[PermissionGrant("sales.manage_catalogue")])

    class Meta:
        abstract = True
        base_manager_name = "all_objects"


class Product(CatalogueRecord):
    class Unit(models.TextChoices):
        UNIT = "unit", _("Unit")
        HOUR = "hour", _("Hour")
        DAY = "day", _("Day")
        MONTH = "month", _("Month")
        YEAR = "year", _("Year")
        KG = "kg", _("Kilogram")
        LITRE = "litre", _("Litre")
        METRE = "metre", _("Metre")
        LICENCE = "licence", _("Licence")
        SERVICE = "service", _("Service")

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    family = models.CharField(_("family"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.UNIT)
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=5, decimal_places=2, default=Decimal("19"), validators=PERCENT,
        help_text=_("e.g. 19 for Chilean IVA, 21 for Spanish IVA, 0 if exempt."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        permissions = [("manage_catalogue", _("Can manage the product catalogue, price lists and competitors"))]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(deleted_at__isnull=True), name="product_unique_live_code",
                violation_error_message=_("Another product already has this code."),
            )
        ]

    def __str__(self):
        return f"{self.code} · {self.name}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sales:product_detail", args=[self.pk])

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            raise ValidationError({"code": exc.messages}) from exc

    def search_text(self) -> str:
        return f"{self.code} {self.name}"


class PriceList(CatalogueRecord):
    """Prices in one currency; a product has at most one price per list."""

    name = models.CharField(_("name"), max_length=120)
    currency = CurrencyField(_("currency"), default="CLP")
    is_active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self):
        return f"{self.name} ({self.get_currency_display()})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sales:pricelist_detail", args=[self.pk])

    def clean(self):
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The end date is before the start date.")})


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, verbose_name=_("price list"), on_delete=models.CASCADE,
                                   related_name="items")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="prices")
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=4,
                                     validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["product__code"]
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [models.UniqueConstraint(fields=["price_list", "product"], name="pricelist_product_unique")]

    def __str__(self):
        return f"{self.product}: {self.unit_price} {self.price_list.currency}"


class OpportunityLine(models.Model):
    """A product line of the deal's estimated order."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    description = models.CharField(_("description"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=Decimal("1"),
                                   validators=[MinValueValidator(0)])
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=4, default=Decimal("0"),
                                     validators=[MinValueValidator(0)])
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"),
                                           validators=PERCENT)

    class Meta:
        ordering = ["id"]
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")

    def __str__(self):
        return self.description or str(self.product)

    @property
    def net_amount(self) -> Decimal:
        return (self.quantity * self.unit_price * (100 - self.discount_percent) / 100).quantize(Decimal("0.01"))


class Competitor(CatalogueRecord):
    name = models.CharField(_("name"), max_length=200)
    tax_id = models.CharField(_("tax id"), max_length=30, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CL")
    website = models.URLField(_("website"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    products = models.TextField(_("products"), blank=True, help_text=_("What they sell against us."))
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sales:competitor_detail", args=[self.pk])

    def search_text(self) -> str:
        return self.name


class CompetitorContact(models.Model):
    competitor = models.ForeignKey(Competitor, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("competitor contact")
        verbose_name_plural = _("competitor contacts")

    def __str__(self):
        return self.name


class OpportunityCompetitor(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", _("Pending")
        WE_WON = "we_won", _("We won")
        THEY_WON = "they_won", _("They won")
        NO_DECISION = "no_decision", _("No decision")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="competitor_entries")
    competitor = models.ForeignKey(Competitor, verbose_name=_("competitor"), on_delete=models.PROTECT,
                                   related_name="opportunity_entries")
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices, default=Result.PENDING)

    class Meta:
        ordering = ["competitor__name"]
        verbose_name = _("competitor on the deal")
        verbose_name_plural = _("competitors on the deal")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "competitor"], name="opp_competitor_unique")
        ]

    def __str__(self):
        return f"{self.competitor} ({self.get_result_display()})"


class Quote(TrackedModel):
    """An offer for a deal. A sent quote is never edited: revising it creates the next revision, same number."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", pgettext_lazy("quote status", "Expired")
        SUPERSEDED = "superseded", _("Superseded by a revision")

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="quotes"
    )
    number = models.CharField(_("number"), max_length=30, editable=False)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT,
                              editable=False)
    contact = models.ForeignKey(
        "contacts.Contact", verbose_name=_("addressed to"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="quotes",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="quotes"
    )
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), null=True, blank=True, on_delete=models.PROTECT, related_name="quotes"
    )
    currency = CurrencyField(_("currency"), default="CLP")
    issued_on = models.DateField(_("date"))
    valid_until = models.DateField(_("valid until"))
    terms = models.TextField(_("terms and conditions"), blank=True)
    notes = models.TextField(_("notes for the customer"), blank=True)
    # Totals, kept by sales.quoting.recompute_totals whenever lines change.
    subtotal = models.DecimalField(_("subtotal"), max_digits=18, decimal_places=2, default=Decimal("0"),
                                   editable=False)
    discount_total = models.DecimalField(_("discounts"), max_digits=18, decimal_places=2, default=Decimal("0"),
                                         editable=False)
    tax_total = models.DecimalField(_("taxes"), max_digits=18, decimal_places=2, default=Decimal("0"),
                                    editable=False)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2, default=Decimal("0"), editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("accepted or rejected at"), null=True, blank=True, editable=False)
    decision_note = models.TextField(_("customer's answer"), blank=True, editable=False)

    # A quote inherits its deal's visibility. Lists apply the deal's rule to the joined deal row rather
    # than to a list of every visible deal (bench/: quote list on 210,000 deals).
    policy = Policy(parents=[Parent("opportunity", "sales.Opportunity", join=True)])

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        indexes = [
            models.Index(fields=["opportunity", "deleted_at"], name="quote_opportunity_idx"),
            models.Index(fields=["status", "-issued_on"], name="quote_status_idx"),
            # The quote list's default view (live quotes, newest first) read in order, 25 at a time.
            models.Index(fields=["deleted_at", "-issued_on", "-id"], name="quote_live_issued_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="quote_number_revision_unique"),
        ]

    def __str__(self):
        return f"{self.number} rev. {self.revision}" if self.revision > 1 else self.number

    @property
    def past_validity(self) -> bool:
        """Expired, or sent and past `valid_until` before the scheduled job (quoting.expire_quotes) marks it."""
        return self.status == self.Status.EXPIRED or (
            self.status == self.Status.SENT and self.valid_until < clock.today())

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sales:quote_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def clean(self):
        """Checks dates, and (one query) that the addressee is a contact of the deal's account."""
        errors = {}
        if self.issued_on and self.valid_until and self.valid_until < self.issued_on:
            errors["valid_until"] = [_("A quote cannot expire before its date.")]
        if self.contact_id and self.opportunity_id:
            account_id = self.opportunity.account_id
            if self.contact.account_id != account_id and not self.contact.account_links.filter(
                account_id=account_id
            ).exists():
                errors["contact"] = [_("Address the quote to a contact of the deal's account.")]
        if errors:
            raise ValidationError(errors)

    def search_text(self) -> str:
        return self.number


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, validators=[MinValueValidator(0)])
    unit = models.CharField(_("unit"), max_length=10, choices=Product.Unit.choices, default=Product.Unit.UNIT)
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=4,
                                     validators=[MinValueValidator(0)])
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"),
                                           validators=PERCENT)
    tax_rate = models.DecimalField(_("tax (%)"), max_digits=5, decimal_places=2, default=Decimal("19"),
                                   validators=PERCENT)
    # Computed by sales.quoting, rounded to the quote currency's minor unit.
    net_amount = models.DecimalField(_("net"), max_digits=18, decimal_places=2, default=Decimal("0"), editable=False)
    tax_amount = models.DecimalField(_("tax"), max_digits=18, decimal_places=2, default=Decimal("0"), editable=False)
    total_amount = models.DecimalField(_("total"), max_digits=18, decimal_places=2, default=Decimal("0"),
                                       editable=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")

    def __str__(self):
        return self.description
