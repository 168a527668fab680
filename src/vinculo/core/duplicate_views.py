"""The pages of possible duplicates: the list a form shows while a record is typed, the on-demand page of
pairs for a record type, and the merge page of a pair (core.duplicates, core.merging)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from . import duplicates, merging
from .access import HIDDEN_RECORD, get_for_user, has_policy, may_see
from .records import record_types
from .views import UNDO_TAG

PAIRS_PER_PAGE = 25


def _rules(kind):
    rules = duplicates.registry.get(kind)
    if rules is None:
        raise Http404
    return rules


@login_required
def check(request, kind):
    """The records the user may see that look like the one being typed (a form's fields in the query
    string): a fragment the form swaps in as the user types."""
    rules = _rules(kind)
    exclude = request.GET.get("exclude", "")
    exclude_pk = int(exclude) if exclude.isdigit() else None
    values = {name: request.GET.get(name, "")[:300] for name in request.GET}
    matches = duplicates.matches_for(request.user, rules, values, exclude_pk=exclude_pk)
    return render(request, "core/_possible_duplicates.html", {
        "matches": matches, "kind": kind, "editing": exclude_pk, "shown": duplicates.FORM_SHOWN,
    })


def found_on_create(request, kind, form) -> list:
    """On the POST of a create form whose data is valid: the possible duplicates of the record, which the
    page shows instead of saving until the user confirms with "create anyway" (`create_anyway` posted)."""
    if request.method != "POST" or request.POST.get("create_anyway") or not form.is_valid():
        return []
    return duplicates.matches_for(request.user, _rules(kind), request.POST)


@login_required
def pairs(request, kind):
    """Pairs of records the user may see that are possible duplicates, each with a link to merge them."""
    rules = _rules(kind)
    found = duplicates.pairs_for(request.user, rules)
    page = Paginator(found, PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = duplicates.load(rules, list(page.object_list))
    context = {"rules": rules, "kind": kind, "page_obj": page, "query": request.GET, "target": "duplicate-pairs"}
    if request.htmx and not request.htmx.boosted:
        return render(request, "core/_duplicate_pairs.html", context)
    return render(request, "core/duplicates.html", context)


@login_required
def merge(request, kind, pk, other_pk):
    """Merge `other_pk` into `pk`: the user chooses, per differing field, whose value the merged record keeps.
    Both records must be editable by the user (404 for one they cannot see, 403 for one they may only read)."""
    rules = _rules(kind)
    if pk == other_pk:
        raise Http404
    winner = get_for_user(rules.model, request.user, pk, write=True)
    loser = get_for_user(rules.model, request.user, other_pk, write=True)
    fields = [
        {"name": field.name, "label": field.verbose_name,
         "first": _shown(request.user, winner, field), "second": _shown(request.user, loser, field)}
        for field in merging.mergeable_fields(rules.model, request.user)
        if field.value_from_object(winner) != field.value_from_object(loser)
    ]
    error = ""
    if request.method == "POST":
        take = [field["name"] for field in fields if request.POST.get(field["name"]) == "second"]
        try:
            merging.merge(winner, loser, take, by=request.user)
        except (merging.MergeError, ValidationError) as exc:
            error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        else:
            tags = ["recycle-bin"]
            restorable = record_types.restorable_key(rules.model)
            if restorable is not None:
                tags.append(f"{UNDO_TAG}{restorable}:{loser.pk}")
            messages.success(request, _("“%(loser)s” was merged into “%(winner)s” and moved to the recycle bin; "
                                        "restoring it undoes the merge.") % {"loser": loser, "winner": winner},
                             extra_tags=" ".join(tags))
            return redirect(winner)
    return render(request, "core/merge.html", {
        "rules": rules, "kind": kind, "first": winner, "second": loser, "fields": fields, "error": error,
        "moving": merging.related_counts(rules.model, loser),
        "swap_url": reverse("duplicates:merge", args=[kind, loser.pk, winner.pk]),
    })


def _shown(user, record, field) -> str:
    """A field's value as the merge page shows it; a related record the user may not see is not named."""
    if field.is_relation:
        target = getattr(record, field.name)
        if target is not None and has_policy(type(target)) and not may_see(user, target):
            return str(HIDDEN_RECORD)
        return str(target or "")
    value = field.value_from_object(record)
    if field.choices and not isinstance(value, list | dict):
        return str(getattr(record, f"get_{field.name}_display")())
    if isinstance(value, list):
        labels = dict(field.flatchoices) if field.choices else {}
        return ", ".join(str(labels.get(item, item)) for item in value)
    return "" if value is None else str(value)
