from collections import defaultdict
from functools import partial

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

from . import compiled, search, services
from .access import HIDDEN_RECORD, get_for_user, visible_ids
from .money import Currency
from .records import record_types

HISTORY_SHOWN = 25
SEARCH_DROPDOWN_SIZE = 5
SEARCH_PAGE_SIZE = 25
RECYCLE_BIN_SIZE = 50


def visible_history(record, user, hidden_fields=None):
    """The record's latest changes, without the values of fields the user may not see (by default those
    of the field groups the record's access policy keeps from them, core.policy), and with every related
    record the user may not see (a contact replaced on a deal, the new account of a contact) named by a
    placeholder: one query per type of related record named."""
    hidden = set(type(record).policy.hidden_fields(user) if hidden_fields is None else hidden_fields)
    entries = hide_unseen_mentions(list(record.history()[:HISTORY_SHOWN]), user)
    if not hidden:
        return entries
    shown = []
    for entry in entries:
        changes = [change for change in entry.changes if change.get("field") not in hidden]
        if entry.changes and not changes:
            continue
        entry.changes = changes
        shown.append(entry)
    return shown


def hide_unseen_mentions(entries, user):
    """Rewrite the values of `entries`' changes that name records (ChangeLog.mentions): each part whose
    record `user` may not see reads "a record you cannot see"."""
    from django.apps import apps

    wanted = defaultdict(set)
    for entry in entries:
        for parts in entry.mentions.values():
            for part in parts:
                if "id" in part:
                    wanted[part["model"]].add(part["id"])
    if not wanted:
        return entries
    seen = {}
    for label, ids in wanted.items():
        try:
            seen[label] = visible_ids(user, apps.get_model(label), ids)
        except LookupError:
            seen[label] = set()

    def text(part):
        return part["text"] if "id" not in part or part["id"] in seen[part["model"]] else str(HIDDEN_RECORD)

    for entry in entries:
        for key, parts in entry.mentions.items():
            index, side = key.split(".")
            if int(index) < len(entry.changes) and any(text(part) != part["text"] for part in parts):
                entry.changes[int(index)][side] = ", ".join(text(part) for part in parts)
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


UNDO_TAG = "undo:"


def move_to_recycle_bin(request, record, message: str | None = None) -> None:
    """Soft-delete `record` and say so in a message that links to the recycle bin and, for a type the bin
    restores, offers to undo (a POST to the restore view, which checks the permission again)."""
    services.soft_delete(record, by=request.user)
    tags = ["recycle-bin"]
    kind = record_types.restorable_key(type(record))
    if kind is not None:
        tags.append(f"{UNDO_TAG}{kind}:{record.pk}")
    messages.success(request, message or _("“%(name)s” was moved to the recycle bin.") % {"name": record},
                     extra_tags=" ".join(tags))


@login_required
def global_search(request):
    """The records of each searchable type (core.records) matching `q` that the user may see: a dropdown
    fragment for htmx, a page otherwise."""
    user = request.user
    query = request.GET.get("q", "").strip()[:200]
    dropdown = bool(request.htmx) and not request.htmx.boosted
    limit = SEARCH_DROPDOWN_SIZE if dropdown else SEARCH_PAGE_SIZE
    context = {"query": query, "limit": limit, "groups": []}
    for record_type in record_types.searchable():
        spec = record_type.search
        records = search.found(record_type, user, query, limit)
        context[spec.name] = records
        if records:
            context["groups"].append({"label": spec.label, "template": spec.template, "records": records})
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
    if currency in Currency.values and request.user.currency != currency:
        request.user.currency = currency
        request.user.save(update_fields=["currency"])
    return redirect(_safe_next(request, request.POST.get("next")))


def _deleted_editable(model, user, _record_id):
    """The newest records of `model` in the recycle bin that `user` may edit. Per row: the planner then starts
    from the few deleted rows (each large table's recycle-bin index) rather than from every account the user
    may see."""
    return (
        model.all_objects.deleted().editable_by(user, per_row=True).select_related("deleted_by")
        .order_by("-deleted_at", "-pk")[:RECYCLE_BIN_SIZE]
    )


@login_required
def recycle_bin(request):
    """Deleted records the user may edit (and so restore), newest first: a section for each type that has
    some, one "nothing here" when there are none."""
    user = request.user
    sections = [
        {
            "kind": record_type.key,
            "title": record_type.model._meta.verbose_name_plural,
            "records": compiled.fetch(
                f"recycle-bin:{record_type.key}", record_type.model,
                partial(_deleted_editable, record_type.model), user, 0
            ),
        }
        for record_type in record_types.restorable()
    ]
    sections = [section for section in sections if section["records"]]
    return render(request, "core/recycle_bin.html", {"sections": sections, "limit": RECYCLE_BIN_SIZE})


@login_required
@require_POST
def restore(request, kind, pk):
    model = record_types.restorable_model(kind)
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
