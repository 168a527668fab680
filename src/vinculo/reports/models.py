from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core import clock
from vinculo.core.access import is_admin
from vinculo.org.models import SalesTeamMember


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Only me")
    USERS = "users", _("Chosen users")
    TEAM = "team", _("A sales team")
    ROLE = "role", _("A role")
    EVERYONE = "everyone", _("Everyone")


class Shareable(models.Model):
    """What a user saves and may share: private to its owner, or shared with chosen users, the members of a
    sales team, the users of a role, or everyone. Sharing lets others open it, never change it: only the
    owner (or an administrator) edits or deletes it. Records shown through it stay those each viewer may see."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                              related_name="+")
    visibility = models.CharField(_("shared with"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.PRIVATE)
    team = models.ForeignKey("org.SalesTeam", verbose_name=_("sales team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    role = models.ForeignKey("org.Role", verbose_name=_("role"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("users"), blank=True, related_name="+")

    class Meta:
        abstract = True

    @classmethod
    def open_to(cls, user):
        """The rows `user` may open: their own and those shared with them (one query, no duplicates)."""
        if not (user and user.is_authenticated):
            return cls.objects.none()
        through = cls.users.through
        mine = models.Q(owner=user) | models.Q(visibility=Visibility.EVERYONE)
        mine |= models.Q(visibility=Visibility.USERS) & models.Q(models.Exists(
            through.objects.filter(**{f"{cls._meta.model_name}_id": models.OuterRef("pk"), "user_id": user.pk})))
        mine |= models.Q(visibility=Visibility.TEAM,
                         team_id__in=SalesTeamMember.objects.filter(user_id=user.pk).values("team_id"))
        if user.role_id:
            mine |= models.Q(visibility=Visibility.ROLE, role_id=user.role_id)
        return cls.objects.filter(mine)

    def editable_by(self, user) -> bool:
        return self.owner_id == user.pk or is_admin(user)

    @property
    def is_shared(self) -> bool:
        return self.visibility != Visibility.PRIVATE

    def sharing_label(self) -> str:
        """Whom it is shared with, in a few words. Reads the team or role (select_related them in lists)."""
        if self.visibility == Visibility.TEAM and self.team_id:
            return str(_("Team %(name)s") % {"name": self.team})
        if self.visibility == Visibility.ROLE and self.role_id:
            return str(_("Role %(name)s") % {"name": self.role})
        return str(self.get_visibility_display())

    def clean_sharing(self):
        """The team or role a visibility needs; the others cleared. Raises ValidationError naming the field."""
        if self.visibility == Visibility.TEAM and not self.team_id:
            raise ValidationError({"team": [_("Choose the team to share with.")]})
        if self.visibility == Visibility.ROLE and not self.role_id:
            raise ValidationError({"role": [_("Choose the role to share with.")]})
        if self.visibility != Visibility.TEAM:
            self.team = None
        if self.visibility != Visibility.ROLE:
            self.role = None


class SavedReport(Shareable):
    """A report a user built and saved: its definition (vinculo.reports.engine.Definition, as a dict), in a
    folder of the owner's choosing, shared as Shareable says (each viewer runs it on the rows they may see)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                              related_name="saved_reports")
    name = models.CharField(_("name"), max_length=200)
    record_type = models.CharField(_("record type"), max_length=40)
    definition = models.JSONField(_("definition"), default=dict)
    chart = models.CharField(_("chart"), max_length=10, blank=True, default="")
    folder = models.CharField(_("folder"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["folder", "name", "id"]
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        indexes = [
            # The report list: a user's own reports and the shared ones.
            models.Index(fields=["owner", "name"], name="savedreport_owner_idx"),
            models.Index(fields=["visibility", "name"], name="savedreport_shared_idx"),
        ]

    def __str__(self):
        return self.name


def saved_reports_for(user):
    """The saved reports `user` may open: their own and those shared with them."""
    return SavedReport.open_to(user)


class SavedView(Shareable):
    """A list page's filters, columns and sort saved under a name (core.lists: the list is named by its key,
    "opportunities"). `filters` holds the list's query parameters ({"stage": ["3"], "q": ["acme"]})."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                              related_name="saved_views")
    name = models.CharField(_("name"), max_length=100)
    list_key = models.CharField(_("list"), max_length=40)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    sort = models.CharField(_("sort"), max_length=60, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        indexes = [
            # A list page's views menu: the user's own views of that list, then the shared ones.
            models.Index(fields=["list_key", "owner"], name="savedview_owner_idx"),
            models.Index(fields=["list_key", "visibility"], name="savedview_shared_idx"),
        ]

    def __str__(self):
        return self.name

    def query(self):
        """The list's query string applying this view: its filters, sort and columns."""
        from django.http import QueryDict

        query = QueryDict(mutable=True)
        for key, values in (self.filters or {}).items():
            query.setlist(key, [str(value) for value in (values if isinstance(values, list) else [values])])
        if self.sort:
            query["sort"] = self.sort
        if self.columns:
            query["cols"] = ",".join(self.columns)
        return query.urlencode()


def saved_views_for(user, list_key: str | None = None):
    """The saved views `user` may open (of one list when `list_key` is given)."""
    views = SavedView.open_to(user)
    return views.filter(list_key=list_key) if list_key else views


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
