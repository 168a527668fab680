"""Logging an interaction: the activity lands on the timeline of its account and of its contacts' account."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core import subjects
from vinculo.core.services import create_record

from .models import Activity


@transaction.atomic
def log_activity(activity: Activity, by, contacts=(), participants=()) -> Activity:
    """Create `activity` with its contacts and participants. Without an account, it takes the account of
    its first contact, so it shows on that account's timeline."""
    contacts = list(contacts)
    if activity.account_id is None and contacts:
        activity.account_id = next((contact.account_id for contact in contacts if contact.account_id), None)
    if activity.account_id is None and activity.regarding_id is None and not contacts:
        raise ValidationError({"account": _("Link the activity to an account or to at least one contact.")})
    create_record(activity, by=by)
    if contacts:
        activity.contacts.set(contacts)
    if participants:
        activity.participants.set(participants)
    return activity


def move_activities(handover: subjects.Handover, model) -> None:
    """Mover (core.subjects): when a subject is handed over (a lead converted), its interactions
    go under the deal when there is one, else the account, and involve the contact."""
    target = handover.targets.get("deal") or handover.account
    moved = subjects.move(model, handover.source, target, handover)
    contact = handover.targets.get("contact")
    if moved and contact is not None:
        through = model.contacts.through
        through.objects.bulk_create([through(activity_id=activity.pk, contact_id=contact.pk) for activity in moved],
                                    ignore_conflicts=True)
