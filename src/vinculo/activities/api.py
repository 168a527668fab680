"""/api/v1/activities, and the merged timeline of an account at /api/v1/accounts/{id}/timeline."""

from datetime import date, datetime
from typing import Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core import clock, subjects
from vinculo.core.access import get_for_user
from vinculo.core.api import (
    ERRORS,
    FilterSchema,
    InputSchema,
    PageParams,
    RecordAPI,
    Ref,
    Versioned,
    active_users,
    capped_limit,
    choice,
    page_of,
    shown_if_visible,
)

from .models import Activity
from .services import log_activity
from .timeline import timeline


class ActivityOut(Schema):
    id: int
    version: int
    kind: str
    status: str
    subject: str
    description: str
    occurred_at: datetime
    duration_minutes: int | None
    direction: str
    outcome: str
    owner: Ref
    account: Ref | None = Field(description="Null also when the account is not visible to you.")
    contacts: list[int] = Field(description="Ids of the contacts involved that you can see.")
    participants: list[int] = Field(description="Ids of the users who took part.")
    plan: Ref | None = Field(description="The business plan it counts towards. Null also when not visible to you.")
    objective: Ref | None = Field(description="The plan's objective it counts towards. Null also when not visible "
                                              "to you.")
    created_at: datetime
    updated_at: datetime

    resolve_account = shown_if_visible("account")
    resolve_plan = shown_if_visible("plan")
    resolve_objective = shown_if_visible("objective")

    @staticmethod
    def resolve_contacts(activity):
        return [contact.pk for contact in activity.visible_contacts]

    @staticmethod
    def resolve_participants(activity):
        return [user.pk for user in activity.participants.all()]


class ActivityIn(InputSchema):
    kind: choice(Activity.Kind) = Activity.Kind.CALL
    status: choice(Activity.Status) = Activity.Status.DONE
    subject: str = ""
    description: str = ""
    occurred_at: datetime | None = None
    duration_minutes: int | None = Field(None, ge=0)
    direction: choice(Activity.Direction) = Activity.Direction.NONE
    outcome: choice(Activity.Outcome) = Activity.Outcome.NONE
    owner: int | None = Field(None, description="A user id; defaults to you on creation.")
    contacts: list[int] | None = Field(None, description="Contact ids you can see. On a change the list replaces "
                                                         "the contacts you can see; others stay linked.")
    participants: list[int] | None = Field(None, description="User ids; on a change the list replaces them.")
    plan: int | None = Field(None, description="A business plan of the activity's account.")
    objective: int | None = Field(None, description="An objective of a plan of the activity's account (the plan "
                                                    "follows).")


class ActivityCreate(ActivityIn):
    account: int | None = Field(None, description="An account id you can see and edit; without it, the "
                                                  "account of the first contact.")
    regarding_type: str | None = Field(None, description="What the activity is about, with regarding_id: a record "
                                                         "type such as “sales.opportunity”, “sales.quote”, "
                                                         "“contacts.contact” or “marketing.campaign”. The activity "
                                                         "then belongs to that record's account.")
    regarding_id: int | None = Field(None, description="The id of that record, one you can see.")
    subject: str
    occurred_at: datetime | None = Field(None, description="Defaults to now.")


class ActivityPatch(ActivityIn, Versioned):
    pass


class ActivityFilters(FilterSchema):
    account: int | None = None
    plan: int | None = None
    objective: int | None = None
    contact: int | None = None
    owner: int | None = None
    kind: choice(Activity.Kind) | None = None
    status: choice(Activity.Status) | None = None
    outcome: choice(Activity.Outcome) | None = None
    occurred_from: date | None = Field(None, description="On or after this date.")
    occurred_to: date | None = Field(None, description="On or before this date.")


class ActivityAPI(RecordAPI):
    model = Activity
    name, singular, plural = "activity", "an activity", "activities"
    Out, Create, Patch, Filters = ActivityOut, ActivityCreate, ActivityPatch, ActivityFilters
    related = ("owner",)
    guarded = ("account", "plan", "objective")
    lookups = {
        "plan": "plan_id", "objective": "objective_id",
        "account": "account_id", "contact": "contacts", "owner": "owner_id", "kind": "kind", "status": "status",
        "outcome": "outcome", "occurred_from": "occurred_at__date__gte", "occurred_to": "occurred_at__date__lte",
    }
    ordering = ("id", "occurred_at", "kind", "status", "subject", "duration_minutes", "created_at", "updated_at")
    search_fields = ("subject", "description")

    def readable(self, queryset, user):
        contacts = Contact.objects.visible_to(user).only("pk")
        return super().readable(queryset, user).prefetch_related(
            Prefetch("contacts", queryset=contacts, to_attr="visible_contacts"),
            Prefetch("participants", queryset=get_user_model().objects.only("pk")),
        )

    def references(self, user, record=None):
        return {
            **super().references(user, record),
            "owner": active_users(), "participants": active_users(), "contacts": Contact.objects.visible_to(user),
        }

    @transaction.atomic
    def create(self, data, user):
        contacts, participants = data.pop("contacts", None) or [], data.pop("participants", None) or []
        data.setdefault("occurred_at", clock.now())
        subject = _subject(user, data.pop("regarding_type", None), data.pop("regarding_id", None))
        activity = Activity(**data)
        if subject is not None:
            subjects.attach(activity, subject)  # its account follows the subject's
            given = data.get("account")
            if given is not None and activity.account_id not in (None, given.pk):
                raise ValidationError({"regarding_id": _("This record belongs to another account.")})
            activity.account_id = activity.account_id or (given.pk if given is not None else None)
        activity = log_activity(activity, by=user, contacts=contacts, participants=participants)
        # Checked once the account is known (it may come from the first contact); raising rolls back.
        if activity.account_id and not Account.objects.editable_by(user).filter(pk=activity.account_id).exists():
            raise PermissionDenied
        return activity

    @transaction.atomic
    def update(self, record, data, user, version):
        contacts, participants = data.pop("contacts", None), data.pop("participants", None)
        super().update(record, data, user, version)
        if contacts is not None:
            hidden = record.contacts.exclude(pk__in=Contact.objects.visible_to(user).values("pk"))
            record.contacts.set([*contacts, *hidden])
        if participants is not None:
            record.participants.set(participants)


def _subject(user, label, pk):
    """The record an activity is created about, which `user` must be able to see; None without one."""
    if label is None and pk is None:
        return None
    subject_type = subjects.registry.by_label(label)
    if subject_type is None:
        raise ValidationError({"regarding_type": _("Not a record type an activity can be about.")})
    if pk is None:
        raise ValidationError({"regarding_id": _("Name the record the activity is about.")})
    found = subject_type.model.objects.visible_to(user, per_row=True).filter(pk=pk).first()
    if found is None:
        raise ValidationError({"regarding_id": _("No such record, or you may not see it.")})
    return found


router = ActivityAPI().router("activities")


class TimelineEntryOut(Schema):
    type: Literal["activity", "note"] = Field(description="An activity (/activities/{id}) or an account note "
                                                           "(/notes/{id}).")
    id: int
    kind: str = Field(description="The activity's kind; “note” for account notes too.")
    at: datetime
    subject: str
    text: str
    author: Ref | None = Field(description="The activity's owner, or who wrote the note.")
    status: str | None = Field(description="Activities only.")
    outcome: str | None = Field(description="Activities only.")
    duration_minutes: int | None

    @staticmethod
    def resolve_type(entry):
        return "note" if entry.is_note else "activity"

    @staticmethod
    def resolve_id(entry):
        return entry.record.pk

    @staticmethod
    def resolve_subject(entry):
        return entry.record.title if entry.is_note else entry.record.subject

    @staticmethod
    def resolve_text(entry):
        return entry.record.body if entry.is_note else entry.record.description

    @staticmethod
    def resolve_author(entry):
        return entry.record.created_by if entry.is_note else entry.record.owner

    @staticmethod
    def resolve_status(entry):
        return None if entry.is_note else entry.record.status

    @staticmethod
    def resolve_outcome(entry):
        return None if entry.is_note else entry.record.outcome

    @staticmethod
    def resolve_duration_minutes(entry):
        return None if entry.is_note else entry.record.duration_minutes


timeline_router = Router(tags=["accounts"])
# A parameter of its own rather than a field of a schema: ninja then names it in errors about one of its values.
KINDS = Query(None, description="Only these kinds; repeat to combine (?kind=call&kind=visit). “note” includes "
                                "account notes.")


@timeline_router.get("/{int:account_id}/timeline", response={200: page_of(TimelineEntryOut), **ERRORS},
                     summary="An account's timeline",
                     description="The activities of the account and of its contacts, and the account's notes, "
                                 "merged newest first; only those you can see.")
def account_timeline(request, account_id: int, params: Query[PageParams],
                     kind: list[choice(Activity.Kind)] | None = KINDS):
    account = get_for_user(Account, request.auth, account_id)
    entries, total = timeline(account, request.auth, kinds=kind or (), offset=params.offset, limit=capped_limit(params))
    return {"items": entries, "count": total}
