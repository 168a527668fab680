"""The organisation: users and their profile, roles, business units, offices, territories, sales teams."""

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from vinculo.core.access import AccessLevel, forget_org_defaults, org_default_level
from vinculo.core.money import Currency, forget_currency_settings
from vinculo.core.policy import group_permissions


class TreeNode(models.Model):
    """A node of a tree kept queryable in one step: `path` is the ids from the root, e.g. "1/4/9/"."""

    path = models.CharField(max_length=255, editable=False, db_index=True, default="")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        old_path = self.path
        with transaction.atomic():
            super().save(*args, **kwargs)
            new_path = (self.parent.path if self.parent_id else "") + f"{self.pk}/"
            if new_path != old_path:
                type(self).objects.filter(pk=self.pk).update(path=new_path)
                self.path = new_path
                if old_path:
                    for node in type(self).objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                        type(self).objects.filter(pk=node.pk).update(path=new_path + node.path[len(old_path):])

    def descendants(self, include_self=True):
        queryset = type(self).objects.filter(path__startswith=self.path)
        return queryset if include_self else queryset.exclude(pk=self.pk)

    def ancestors(self):
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return type(self).objects.filter(pk__in=ids).order_by("path")

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


class Role(TreeNode):
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("reports to"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self):
        return self.name


class BusinessUnit(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.CharField(_("code"), max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business unit")
        verbose_name_plural = _("business units")

    def __str__(self):
        return self.name


class Office(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CL")
    business_unit = models.ForeignKey(
        BusinessUnit, verbose_name=_("business unit"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self):
        return self.name


class Territory(TreeNode):
    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        REGION = "region", _("Region")
        ZONE = "zone", _("Zone")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ZONE)
    parent = models.ForeignKey(
        "self", verbose_name=_("part of"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    grants_access = models.BooleanField(
        _("members see its records"),
        default=False,
        help_text=_("Users assigned to this territory see the accounts and leads in it and in its sub-territories."),
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")

    def __str__(self):
        return self.name


class TerritoryRule(models.Model):
    """Puts an account or lead whose `field` matches `value` into `territory`; the first matching rule
    by `priority` (lowest first) wins. See `org.services.assign_territories`."""

    class Field(models.TextChoices):
        COUNTRY = "country", _("Country")
        REGION = "region", _("Region")
        CITY = "city", _("City")
        INDUSTRY = "industry", _("Industry")
        POSTAL_CODE = "postal_code", _("Postal code starts with")

    territory = models.ForeignKey(Territory, verbose_name=_("territory"), on_delete=models.CASCADE,
                                  related_name="rules")
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    # A country code, a region or city name (matched ignoring case and accents), an industry id or a
    # postal code prefix.
    value = models.CharField(_("value"), max_length=100)
    priority = models.PositiveIntegerField(_("priority"), default=100,
                                           help_text=_("Rules are tried from the lowest number up; the first match wins."))

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("territory rule")
        verbose_name_plural = _("territory rules")

    def __str__(self):
        return f"{self.get_field_display()} = {self.value} → {self.territory}"

    def clean(self):
        from django.core.exceptions import ValidationError

        self.value = (self.value or "").strip()
        if not self.value:
            raise ValidationError({"value": _("Give the value records must have.")})
        if self.field == self.Field.COUNTRY:
            self.value = self.value.upper()
            if len(self.value) != 2 or not self.value.isalpha():
                raise ValidationError({"value": _("Give a two-letter country code, e.g. CL.")})
        elif self.field == self.Field.INDUSTRY:
            from .territories import industries

            if not self.value.isdigit() or not industries().filter(pk=self.value).exists():
                raise ValidationError({"value": _("Choose an existing industry.")})


PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]


def validate_photo_size(photo) -> None:
    if photo.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("The photo is larger than %(max)d MB: choose a smaller one.")
                              % {"max": PHOTO_MAX_BYTES // (1024 * 1024)}, code="too_large")


def validate_time_zone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")


class Notification(models.TextChoices):
    """What a user may choose to be told by e-mail (User.notifications holds the keys switched on)."""

    ASSIGNED = "assigned", _("A record is assigned to me")
    TASK_DUE = "task_due", _("One of my tasks is due")
    QUOTE_ANSWERED = "quote_answered", _("A customer accepts or rejects one of my quotes")


# E-mail notices the apps above org add to the profile's "E-mail me when", from their AppConfig.ready():
# key → (label, switched on for new users).
_added_notifications: dict[str, tuple] = {}


def register_notification(key: str, label, default: bool = False) -> None:
    """Offer the e-mail notice `key` on every user's profile; with `default` new users get it until they
    switch it off (existing users through the app's data migration)."""
    _added_notifications[key] = (label, default)


def notification_choices() -> list[tuple[str, str]]:
    """Every e-mail notice a user may choose: the organisation's own and those the apps added."""
    return [*Notification.choices, *((key, label) for key, (label, _default) in _added_notifications.items())]


def default_notifications() -> list[str]:
    """What a new user is e-mailed about until they choose: the notices registered with `default`."""
    return [key for key, (_label, default) in _added_notifications.items() if default]


class User(AbstractUser):
    class Language(models.TextChoices):
        SPANISH = "es", _("Spanish")
        ENGLISH = "en", _("English")

    role = models.ForeignKey(
        Role, verbose_name=_("role"), null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    manager = models.ForeignKey(
        "self", verbose_name=_("manager"), null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    business_unit = models.ForeignKey(
        BusinessUnit, verbose_name=_("business unit"), null=True, blank=True, on_delete=models.SET_NULL
    )
    office = models.ForeignKey(Office, verbose_name=_("office"), null=True, blank=True, on_delete=models.SET_NULL)
    territories = models.ManyToManyField(Territory, verbose_name=_("territories"), blank=True, related_name="users")
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, blank=True)
    # The currency the user reads totals in (a reading preference, any supported currency), not a record's.
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CLP)
    time_zone = models.CharField(_("time zone"), max_length=60, default="America/Santiago",
                                 validators=[validate_time_zone])
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Pillow checks the file is an image (ImageField); only raster formats, never SVG, which may carry script.
    photo = models.ImageField(_("photo"), upload_to="users/photos/", blank=True,
                              validators=[FileExtensionValidator(PHOTO_EXTENSIONS), validate_photo_size])
    email_signature = models.TextField(_("e-mail signature"), max_length=2000, blank=True)
    notifications = models.JSONField(_("notifications"), default=default_notifications, blank=True,
                                     help_text=_("The Notification keys the user wants by e-mail."))
    list_preferences = models.JSONField(_("list preferences"), default=dict, blank=True)

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username

    def wants_notification(self, kind: str) -> bool:
        return kind in (self.notifications or [])

    def office_country(self) -> str | None:
        """The country of the user's office, whose way of writing money Spanish follows (README "Formats");
        None without an office. One query unless the office is loaded already."""
        if not self.office_id:
            return None
        if "office" in self._state.fields_cache:
            return self.office.country
        return Office.objects.filter(pk=self.office_id).values_list("country", flat=True).first()

    @property
    def can_view_financial_data(self) -> bool:
        """Whether a permission reveals the financial field group the record types' policies declare."""
        return any(self.has_perm(permission) for permission in group_permissions("financial"))


class UserSession(models.Model):
    """A signed-in session of a user, recorded when they sign in (org.sessions): Django's session table is
    keyed by session only, so this is what lists a user's sessions and signs them out everywhere."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(_("signed in at"))
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [
            # A user's sessions on the profile page.
            models.Index(fields=["user", "-created_at"], name="usersession_user_idx"),
        ]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class SalesTeam(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    business_unit = models.ForeignKey(
        BusinessUnit, verbose_name=_("business unit"), null=True, blank=True, on_delete=models.SET_NULL
    )
    members = models.ManyToManyField(User, through="SalesTeamMember", related_name="sales_teams", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sales team")
        verbose_name_plural = _("sales teams")

    def __str__(self):
        return self.name


class SalesTeamMember(models.Model):
    class Function(models.TextChoices):
        LEADER = "leader", _("Team leader")
        ACCOUNT_MANAGER = "account_manager", _("Account manager")
        SALES_REP = "sales_rep", _("Sales rep")
        PRESALES = "presales", _("Pre-sales engineer")
        SUPPORT = "support", _("Support")

    team = models.ForeignKey(SalesTeam, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    function = models.CharField(_("function"), max_length=20, choices=Function.choices, default=Function.SALES_REP)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="salesteam_member_unique")]
        verbose_name = _("sales team member")
        verbose_name_plural = _("sales team members")

    def __str__(self):
        return f"{self.user} ({self.get_function_display()})"


class OrgDefault(models.Model):
    """The org-wide default access per record type ("accounts.account" → private)."""

    record_type = models.CharField(_("record type"), max_length=60, unique=True)
    access = models.CharField(_("access"), max_length=20, choices=AccessLevel.choices, default=AccessLevel.PRIVATE)

    class Meta:
        verbose_name = _("org-wide default")
        verbose_name_plural = _("org-wide defaults")

    def __str__(self):
        return f"{self.record_type}: {self.get_access_display()}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_org_defaults()

    def delete(self, *args, **kwargs):
        forget_org_defaults()
        return super().delete(*args, **kwargs)

    @classmethod
    def levels(cls) -> dict[str, str]:
        """Every default set, {"app_label.model": level}: one query."""
        return dict(cls.objects.values_list("record_type", "access"))

    @classmethod
    def level_for(cls, record_type: str) -> str:
        """Types without a row are private. Read once per request (see core.access.access_scope)."""
        return org_default_level(record_type)


class CompanyProfile(models.Model):
    """Our own company's details, printed on quotes. One row; `current()` creates it on first use."""

    name = models.CharField(_("trade name"), max_length=200, default="Vínculo")
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=30, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CL")
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    quote_terms = models.TextField(_("default quote terms"), blank=True)

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profile")

    def __str__(self):
        return self.legal_name or self.name

    @classmethod
    def current(cls) -> "CompanyProfile":
        profile = cls.objects.order_by("pk").first()
        return profile or cls.objects.create()


def all_currencies() -> list[str]:
    return list(Currency.values)


class OrgSettings(models.Model):
    """Settings of the whole organisation. One row; `current()` creates it on first use."""

    class SecondFactor(models.TextChoices):
        OPTIONAL = "optional", _("Optional for everyone")
        ADMINS = "admins", _("Required for administrators")
        EVERYONE = "everyone", _("Required for everyone")

    second_factor = models.CharField(
        _("second factor at sign-in"), max_length=10, choices=SecondFactor.choices, default=SecondFactor.OPTIONAL,
        help_text=_("Who must sign in with an authenticator app or a passkey besides their password. "
                    "Administrators are superusers and users who may administer the organisation."))

    currencies = models.JSONField(
        _("currencies in use"), default=all_currencies,
        help_text=_("The currencies records may be in; a record keeps one disabled later."))
    default_currency = models.CharField(
        _("default currency"), max_length=3, choices=Currency.choices, default=Currency.CLP,
        help_text=_("New records start in it, and reports show totals in it."))

    class Meta:
        verbose_name = _("organisation settings")
        verbose_name_plural = _("organisation settings")
        permissions = [("administer_organisation", _("Can administer the organisation"))]

    def __str__(self):
        return str(_("organisation settings"))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_currency_settings()

    @classmethod
    def current(cls) -> "OrgSettings":
        settings_row = cls.objects.order_by("pk").first()
        return settings_row or cls.objects.create()

    @classmethod
    def currency_settings(cls) -> tuple[list[str], str]:
        """The enabled currencies and the default one (core.money reads them through its cache): one query,
        and no row is created to read them."""
        stored = cls.objects.order_by("pk").values_list("currencies", "default_currency").first()
        return (list(stored[0]), stored[1]) if stored else (all_currencies(), Currency.CLP)


class ExchangeRate(models.Model):
    """How many units of the base currency (settings VINCULO["BASE_CURRENCY"], CLP) one unit of `currency`
    was worth on `date`. Conversions use the latest rate on or before the day asked for."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=6)
    source = models.CharField(_("source"), max_length=60, blank=True)

    class Meta:
        ordering = ["-date", "currency"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="exchange_rate_unique_day",
                                    violation_error_message=_("There is already a rate for this currency and day.")),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self):
        return f"{self.currency} {self.date}: {self.rate}"
