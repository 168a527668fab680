from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vinculo.accounts.models import Account, ContentDelivery, Contract, CustomerAsset, Document, Invoice, Note
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact
from vinculo.marketing.models import Campaign
from vinculo.org.models import User
from vinculo.sales.models import Competitor, Lead, Opportunity, PriceList, Product

from . import services
from .access import get_for_user
from .lists import mark_visible
from .search import search

HISTORY_SHOWN = 25
SEARCH_DROPDOWN_SIZE = 5
SEARCH_PAGE_SIZE = 25
RECYCLE_BIN_SIZE = 50
# The record types the recycle bin and restore handle, by the name used in URLs. Payments are left
# out: removing one changes its invoice's balance, which a plain restore would not undo.
RESTORABLE = {
    "account": Account, "contact": Contact, "activity": Activity, "asset": CustomerAsset, "contract": Contract,
    "invoice": Invoice, "note": Note, "delivery": ContentDelivery, "document": Document, "lead": Lead,
    "campaign": Campaign, "opportunity": Opportunity, "competitor": Competitor, "product": Product,
    "pricelist": PriceList,
}


def visible_history(record, user, hidden_fields=()):
    """The record's latest changes, without the values of fields the user may not see."""
    hidden = set(hidden_fields)
    entries = []
    for entry in record.history()[:HISTORY_SHOWN]:
        if hidden:
            changes = [change for change in entry.changes if change.get("field") not in hidden]
            if entry.changes and not changes:
                continue
            entry.changes = changes
        entries.append(entry)
    return entries


def edit_page(request, record, form_class, template: str, edit_url_name: str, context_name: str):
    """The edit page of a tracked record: its form, saved through core.services (conflicts and model
    errors end on the form), then back to the record."""
    form = form_class(request.POST if request.method == "POST" else None, instance=record, user=request.user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("Changes to “%(name)s” saved.") % {"name": record})
        return redirect(record)
    return render(request, template, {
        "form": form, context_name: record, "reload_url": reverse(edit_url_name, args=[record.pk]),
    })


def move_to_recycle_bin(request, record) -> None:
    services.soft_delete(record, by=request.user)
    messages.success(request, _("“%(name)s” was moved to the recycle bin.") % {"name": record}, extra_tags="recycle-bin")


@login_required
def global_search(request):
    """Accounts, contacts, leads and opportunities matching `q` that the user may see: a dropdown fragment for
    htmx, a page otherwise."""
    user = request.user
    query = request.GET.get("q", "").strip()[:200]
    dropdown = bool(request.htmx) and not request.htmx.boosted
    limit = SEARCH_DROPDOWN_SIZE if dropdown else SEARCH_PAGE_SIZE
    accounts, contacts, leads, opportunities = [], [], [], []
    if query:
        accounts = list(search(Account, user, query).select_related("owner")[:limit])
        contacts = mark_visible(search(Contact, user, query).select_related("account")[:limit], user, "account",
                                "account_visible")
        leads = list(search(Lead, user, query)[:limit])
        opportunities = mark_visible(search(Opportunity, user, query).select_related("account", "stage")[:limit], user,
                                     "account", "account_visible")
    context = {"query": query, "accounts": accounts, "contacts": contacts, "leads": leads, "limit": limit,
               "opportunities": opportunities}
    return render(request, "core/_search_results.html" if dropdown else "core/search.html", context)


def _safe_next(request, url):
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("home")


@require_POST
def set_language(request):
    """Switch the interface language: stored on the user (it follows them to any browser) and in the
    language cookie (so the login page and anonymous pages follow too)."""
    language = request.POST.get("language", "")
    response = redirect(_safe_next(request, request.POST.get("next")))
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language,
        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@require_POST
@login_required
def set_currency(request):
    """The currency the user's totals (pipeline, teams, sales) are shown in."""
    currency = request.POST.get("currency", "")
    if currency in User.Currency.values and request.user.currency != currency:
        request.user.currency = currency
        request.user.save(update_fields=["currency"])
    return redirect(_safe_next(request, request.POST.get("next")))


@login_required
def recycle_bin(request):
    """Deleted records the user may edit (and so restore), newest first."""
    user = request.user
    sections = [
        {
            "kind": kind,
            "title": model._meta.verbose_name_plural,
            "records": list(
                model.all_objects.deleted().editable_by(user).select_related("deleted_by")
                .order_by("-deleted_at", "-pk")[:RECYCLE_BIN_SIZE]
            ),
        }
        for kind, model in RESTORABLE.items()
    ]
    return render(request, "core/recycle_bin.html", {"sections": sections, "limit": RECYCLE_BIN_SIZE})


@login_required
@require_POST
def restore(request, kind, pk):
    model = RESTORABLE.get(kind)
    if model is None:
        raise Http404
    record = get_for_user(model.all_objects.deleted(), request.user, pk, write=True)
    try:
        services.restore(record, by=request.user)
    except ValidationError as exc:
        messages.error(request, _("“%(name)s” could not be restored: %(reason)s")
                       % {"name": record, "reason": " ".join(exc.messages)})
        return redirect("core:recycle_bin")
    messages.success(request, _("“%(name)s” was restored.") % {"name": record})
    return redirect(record)
