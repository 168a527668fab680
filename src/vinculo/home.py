"""The home page: part of the shell, since it brings accounts and contacts together."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import render
from django.urls import reverse

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core.lists import capped_count
from vinculo.core.models import ChangeLog
from vinculo.work.day import my_day

RECENT_CHANGES = 10


def _count(queryset) -> dict:
    """The card's figure: counted up to VINCULO_EXACT_COUNT_UP_TO (a large organisation's 250,000 contacts
    are not counted on every visit), shown as "10000+" beyond."""
    count, exact = capped_count(queryset, settings.VINCULO["EXACT_COUNT_UP_TO"])
    return {"value": count if exact else count - 1, "exact": exact}


@login_required
def home(request):
    user = request.user
    accounts = Account.objects.visible_to(user)
    contacts = Contact.objects.visible_to(user)
    types = ContentType.objects.get_for_models(Account, Contact)
    # The newest changes first, each checked against its record's rule (per row, EXISTS): listing every
    # visible account and contact first would cost more than the ten lines shown.
    seen_accounts = Account.objects.visible_to(user, per_row=True).filter(pk=OuterRef("object_id"))
    seen_contacts = Contact.objects.visible_to(user, per_row=True).filter(pk=OuterRef("object_id"))
    recent = list(
        ChangeLog.objects.filter(
            (Q(content_type=types[Account]) & Q(Exists(seen_accounts)))
            | (Q(content_type=types[Contact]) & Q(Exists(seen_contacts)))
        ).select_related("user", "content_type")[:RECENT_CHANGES]
    )
    for entry in recent:
        entry.url = reverse(f"{entry.content_type.app_label}:detail", args=[entry.object_id])
        entry.kind = entry.content_type.model_class()._meta.verbose_name
    account_count, contact_count = _count(accounts), _count(contacts)
    return render(request, "home.html", {
        "account_count": account_count["value"], "account_count_exact": account_count["exact"],
        "contact_count": contact_count["value"], "contact_count_exact": contact_count["exact"],
        "my_account_count": Account.objects.filter(owner=user).count(),
        "recent": recent,
        "day": my_day(user),
    })
