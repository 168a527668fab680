"""Logging an interaction: the activity lands on the timeline of its account and of its contacts' account."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core.services import create_record

from .models import Activity


@transaction.atomic
def log_activity(activity: Activity, by, contacts=(), participants=()) -> Activity:
    """Create `activity` with its contacts and participants. Without an account, it takes the account of
    its first contact, so it shows on that account's timeline."""
    contacts = list(contacts)
    if activity.account_id is None and contacts:
        activity.account_id = next((contact.account_id for contact in contacts if contact.account_id), None)
    if activity.account_id is None and activity.lead_id is None and not contacts:
        raise ValidationError({"account": _("Link the activity to an account or to at least one contact.")})
    create_record(activity, by=by)
    if contacts:
        activity.contacts.set(contacts)
    if participants:
        activity.participants.set(participants)
    return activity
