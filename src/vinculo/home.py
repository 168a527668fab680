"""The home page: part of the shell, since it brings accounts and contacts together."""

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core.models import ChangeLog
from vinculo.work.day import my_day

RECENT_CHANGES = 10


@login_required
def home(request):
    user = request.user
    accounts = Account.objects.visible_to(user)
    contacts = Contact.objects.visible_to(user)
    types = ContentType.objects.get_for_models(Account, Contact)
    recent = list(
        ChangeLog.objects.filter(
            Q(content_type=types[Account], object_id__in=accounts.values("pk"))
            | Q(content_type=types[Contact], object_id__in=contacts.values("pk"))
        ).select_related("user", "content_type")[:RECENT_CHANGES]
    )
    for entry in recent:
        entry.url = reverse(f"{entry.content_type.app_label}:detail", args=[entry.object_id])
        entry.kind = entry.content_type.model_class()._meta.verbose_name
    return render(request, "home.html", {
        "account_count": accounts.count(),
        "contact_count": contacts.count(),
        "my_account_count": Account.objects.filter(owner=user).count(),
        "recent": recent,
        "day": my_day(user),
    })
