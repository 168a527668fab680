"""Marketing: campaigns and who they reached. The Marketing issue extends these (items, budget, ROI)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core.models import TrackedModel
from vinculo.core.policy import Policy, content_type_ref


class Campaign(TrackedModel):
    class Kind(models.TextChoices):
        MAILING = "mailing", _("Mailing")
        TELEMARKETING = "telemarketing", _("Telemarketing")
        SOCIAL_ADS = "social_ads", _("Social ads")
        TRADE_FAIR = "trade_fair", _("Trade fair")
        EVENT = "event", _("Event")
        WEBINAR = "webinar", _("Webinar")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        ABORTED = "aborted", _("Aborted")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.MAILING)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="campaigns"
    )
    description = models.TextField(_("description"), blank=True)

    policy = Policy(owner="owner")

    class Meta:
        ordering = ["-start_date", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("marketing:campaign_detail", args=[self.pk])

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date is before the start date.")})

    def search_text(self) -> str:
        return self.name


class CampaignMemberQuerySet(models.QuerySet):
    def of_member(self, subject):
        """The memberships of `subject` (a lead, or any registered subject type other than a contact), served by
        the (member_type, member_id) index."""
        return self.filter(member_type_id=content_type_ref(type(subject)), member_id=subject.pk)


class CampaignMember(models.Model):
    """A contact, or another record a campaign reached (a lead: any type registered with
    `core.subjects.register`), through the generic `member` link: its attribution, carried from lead to
    contact on conversion (`services.move_memberships`).

    The subject's model declares the reverse side, `SubjectRelation("marketing.CampaignMember",
    content_type_field="member_type", object_id_field="member_id", related_query_name=...)`: deleting the
    subject deletes its memberships, and `CampaignMember.objects.filter(lead=lead)` reads the link."""

    class Response(models.TextChoices):
        PLANNED = "planned", _("Planned")
        SENT = "sent", _("Sent")
        RESPONDED = "responded", _("Responded")
        ATTENDED = "attended", _("Attended")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="members")
    member_type = models.ForeignKey(
        ContentType, verbose_name=_("member (type)"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )
    member_id = models.PositiveBigIntegerField(_("member"), null=True, blank=True, editable=False)
    member = GenericForeignKey("member_type", "member_id")
    contact = models.ForeignKey(
        "contacts.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="campaign_memberships",
    )
    response = models.CharField(_("response"), max_length=15, choices=Response.choices, default=Response.SENT)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    objects = CampaignMemberQuerySet.as_manager()

    class Meta:
        ordering = ["-added_at", "-id"]
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        indexes = [
            # A subject's memberships: its page, its conversion (the mover) and its deletion.
            models.Index(fields=["member_type", "member_id"], name="campaign_member_member_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member_id__isnull=False) | models.Q(contact__isnull=False),
                name="campaign_member_has_member_or_contact",
            ),
            # The link is whole or empty: a type without an id (or an id without a type) names nothing.
            models.CheckConstraint(
                condition=models.Q(member_type__isnull=True, member_id__isnull=True)
                | models.Q(member_type__isnull=False, member_id__isnull=False),
                name="campaign_member_link_whole",
            ),
            models.UniqueConstraint(fields=["campaign", "member_type", "member_id"],
                                    name="campaign_member_member_unique"),
            models.UniqueConstraint(fields=["campaign", "contact"], name="campaign_member_contact_unique"),
        ]

    def __str__(self):
        return f"{self.campaign}: {self.contact or self.member}"
