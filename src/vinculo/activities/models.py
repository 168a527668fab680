"""Activities: every interaction with an account or its contacts (calls, meetings, visits, emails, notes)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account
from vinculo.core.models import TrackedModel, recycle_bin_index
from vinculo.core.policy import Parent, Policy, Subject
from vinculo.core.subjects import Regarding
from vinculo.plans.links import check_link


class Activity(Regarding, TrackedModel):
    """An interaction about one subject (an account, a lead, a deal, a quote…: `regarding`), on the timeline
    of the subject's account (`account`) and of its contacts' accounts."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        VISIT = "visit", _("Visit")
        EMAIL = "email", _("Email")
        NOTE = "note", _("Note")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        POSITIVE = "positive", _("Positive")
        NEUTRAL = "neutral", _("Neutral")
        NEGATIVE = "negative", _("Negative")
        NO_ANSWER = "no_answer", _("No answer")
        FOLLOW_UP = "follow_up", _("Follow-up needed")

    class Direction(models.TextChoices):
        NONE = "", _("—")
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    # A call or an e-mail with its direction reads as one phrase, worded as each language puts it.
    KIND_WITH_DIRECTION = {
        (Kind.CALL, Direction.INBOUND): _("Inbound call"),
        (Kind.CALL, Direction.OUTBOUND): _("Outbound call"),
        (Kind.EMAIL, Direction.INBOUND): _("Inbound email"),
        (Kind.EMAIL, Direction.OUTBOUND): _("Outbound email"),
    }

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CALL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DONE)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    occurred_at = models.DateTimeField(_("date"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="activities"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="activities",
    )
    contacts = models.ManyToManyField(
        "contacts.Contact", verbose_name=_("contacts"), blank=True, related_name="activities"
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("participants"), blank=True, related_name="+"
    )
    # The business plan, or the plan's objective, the activity works towards (plans.links).
    plan = models.ForeignKey("plans.BusinessPlan", verbose_name=_("business plan"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="activities")
    objective = models.ForeignKey("plans.Objective", verbose_name=_("objective"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="activities")

    # An activity inherits the visibility of its account and of what it is about (a lead, a deal, a quote…:
    # core.subjects); its owner's line sees it too.
    policy = Policy(owner="owner", parents=[
        Parent("account", "accounts.Account"), Subject(exclude=("accounts.Account",)),
    ])

    @property
    def kind_label(self) -> str:
        """The kind with its direction: "Outbound call", "Inbound email", "Meeting (inbound)"; the kind alone
        when no direction is recorded."""
        if not self.direction:
            return self.get_kind_display()
        phrase = self.KIND_WITH_DIRECTION.get((self.kind, self.direction))
        if phrase:
            return str(phrase)
        return _("%(kind)s (%(direction)s)") % {"kind": self.get_kind_display(),
                                                 "direction": self.get_direction_display().lower()}

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            recycle_bin_index("activity_deleted_idx"),
            # The account timeline: newest first, live rows only, optionally by kind.
            models.Index(fields=["account", "deleted_at", "-occurred_at"], name="activity_timeline_idx"),
            models.Index(fields=["account", "kind", "-occurred_at"], name="activity_timeline_kind_idx"),
            # The activity list, by date or nearest first (core.lists.nearest_page walks it both ways from now).
            models.Index(fields=["deleted_at", "occurred_at"], name="activity_live_date_idx"),
            # "My activities" and activity indicators per rep.
            models.Index(fields=["owner", "-occurred_at"], name="activity_owner_idx"),
            # A subject's interactions (a lead's, a deal's page) and the subject access rule.
            models.Index(fields=["regarding_type", "regarding_id", "-occurred_at"], name="activity_regarding_idx"),
            # An objective's and a plan's progress and linked activities.
            models.Index(fields=["objective", "kind", "occurred_at"], name="activity_objective_idx"),
            models.Index(fields=["plan", "kind", "occurred_at"], name="activity_plan_idx"),
        ]

    def clean(self):
        check_link(self)

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("activities:detail", args=[self.pk])
