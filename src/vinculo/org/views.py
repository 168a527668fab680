"""Pages of the organisation: territories (tree, rules, assignment), sales teams, exchange rates.

Every signed-in user reads them; changes need a permission (admins have them all): `org.change_territory`,
`org.change_salesteam`, `org.change_exchangerate`. Counts and lists of accounts, leads and opportunities
include only the records the viewer may see."""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vinculo.core.money import Currency, base_currency

from . import services
from . import teams as teams_registry
from . import territories as territorial_types
from .forms import (
    ApplyRulesForm,
    ExchangeRateFilterForm,
    ExchangeRateForm,
    ExchangeRateImportForm,
    SalesTeamMemberForm,
    TerritoryForm,
    TerritoryRuleForm,
    tree_order,
)
from .models import ExchangeRate, SalesTeam, Territory, TerritoryRule, User

TERRITORY_PERMISSION = "org.change_territory"
TEAM_PERMISSION = "org.change_salesteam"
RATE_PERMISSION = "org.change_exchangerate"
RATES_PAGE_SIZE = 30


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def _users():
    return User.objects.filter(is_active=True).only("pk", "username", "first_name", "last_name")


# Territories

def _counts_by_territory(queryset) -> tuple[dict[int, int], dict[int, int]]:
    """Records of `queryset` per territory id: (in the territory itself, in it or below it). One query."""
    direct, subtree = defaultdict(int), defaultdict(int)
    rows = (queryset.filter(territory__isnull=False).values("territory_id", "territory__path")
            .annotate(n=Count("pk")).order_by())
    for row in rows:
        direct[row["territory_id"]] += row["n"]
        for part in row["territory__path"].strip("/").split("/"):
            subtree[int(part)] += row["n"]
    return direct, subtree


@dataclass
class TerritoryCount:
    kind: territorial_types.TerritorialType
    own: int  # in the territory itself
    total: int  # in it or below it


def _with_counts(territory_list, user, within: Territory | None = None):
    """Set `counts` (a TerritoryCount per territorial type) on each territory, counting what `user` may see;
    also as own_<key> and <key>_total attributes (own_accounts, leads_total)."""
    for territory in territory_list:
        territory.counts = []
    for kind in territorial_types.types():
        records = kind.model.objects.visible_to(user)
        if within is not None:
            records = records.filter(territory__path__startswith=within.path)
        own, total = _counts_by_territory(records)
        for territory in territory_list:
            count = TerritoryCount(kind, own[territory.pk], total[territory.pk])
            territory.counts.append(count)
            setattr(territory, f"own_{kind.key}", count.own)
            setattr(territory, f"{kind.key}_total", count.total)
    return territory_list


def _territories_with_users():
    return Territory.objects.annotate(rule_count=Count("rules")).prefetch_related(
        Prefetch("users", queryset=_users().order_by("first_name", "last_name", "username"))
    )


@login_required
def territory_list(request):
    user = request.user
    territories = _with_counts(tree_order(_territories_with_users()), user)
    can_manage = user.has_perm(TERRITORY_PERMISSION)
    return render(request, "org/territory_list.html", {
        "territories": territories,
        "can_manage": can_manage,
        "apply_form": ApplyRulesForm() if can_manage else None,
        "rule_count": sum(territory.rule_count for territory in territories),
        "unassigned": [(kind, kind.model.objects.visible_to(user).filter(territory__isnull=True).count())
                       for kind in territorial_types.types()],
        "territorial_types": territorial_types.types(),
    })


@login_required
def territory_detail(request, pk, rule_form=None):
    user = request.user
    territory = get_object_or_404(_territories_with_users(), pk=pk)
    children = list(Territory.objects.filter(parent=territory).annotate(rule_count=Count("rules")))
    _with_counts([territory, *children], user, within=territory)
    rules = list(territory.rules.all())
    industry_ids = [int(rule.value) for rule in rules if rule.field == TerritoryRule.Field.INDUSTRY and rule.value.isdigit()]
    industries = territorial_types.industries().in_bulk(industry_ids) if industry_ids else {}
    for rule in rules:
        rule.value_display = (
            str(industries.get(int(rule.value), rule.value)) if rule.field == TerritoryRule.Field.INDUSTRY else rule.value
        )
    can_manage = user.has_perm(TERRITORY_PERMISSION)
    return render(request, "org/territory_detail.html", {
        "territory": territory,
        "ancestors": list(territory.ancestors().exclude(pk=territory.pk)),
        "children": sorted(children, key=lambda child: child.name.casefold()),
        "rules": rules,
        "can_manage": can_manage,
        "rule_form": rule_form or (TerritoryRuleForm(territory=territory) if can_manage else None),
        "apply_form": ApplyRulesForm() if can_manage else None,
        "territorial_types": territorial_types.types(),
    })


def _territory_form_page(request, territory=None):
    _require(request.user, TERRITORY_PERMISSION)
    form = TerritoryForm(request.POST or None, instance=territory)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, _("Territory “%(name)s” saved.") % {"name": saved})
        return redirect("org:territory_detail", saved.pk)
    return render(request, "org/territory_form.html", {
        "form": form,
        "territory": territory,
        "cancel_url": reverse("org:territory_detail", args=[territory.pk]) if territory else reverse("org:territory_list"),
    })


@login_required
def territory_create(request):
    return _territory_form_page(request)


@login_required
def territory_edit(request, pk):
    return _territory_form_page(request, get_object_or_404(Territory, pk=pk))


@login_required
@require_POST
def territory_rule_add(request, pk):
    _require(request.user, TERRITORY_PERMISSION)
    territory = get_object_or_404(Territory, pk=pk)
    form = TerritoryRuleForm(request.POST, territory=territory)
    if not form.is_valid():
        return territory_detail(request, pk, rule_form=form)
    rule = form.save()
    messages.success(request, _("Rule added: %(rule)s.") % {"rule": rule})
    return redirect(reverse("org:territory_detail", args=[pk]) + "#rules")


@login_required
@require_POST
def territory_rule_delete(request, pk, rule_pk):
    _require(request.user, TERRITORY_PERMISSION)
    rule = get_object_or_404(TerritoryRule, pk=rule_pk, territory_id=pk)
    rule.delete()
    messages.success(request, _("Rule removed."))
    return redirect(reverse("org:territory_detail", args=[pk]) + "#rules")


@login_required
@require_POST
def territory_apply_rules(request):
    """Assign accounts and/or leads the user may edit to the territory of the first rule they match."""
    user = request.user
    _require(user, TERRITORY_PERMISSION)
    back = request.POST.get("territory", "")
    target = reverse("org:territory_detail", args=[back]) if back.isdigit() else reverse("org:territory_list")
    form = ApplyRulesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to apply the rules to."))
        return redirect(target)
    what, only_unassigned = form.cleaned_data["target"], form.cleaned_data["only_unassigned"]
    if not TerritoryRule.objects.exists():
        messages.error(request, _("There are no territory rules yet: add rules on a territory's page first."))
        return redirect(target)
    preview = request.POST.get("preview") == "yes"
    results, previews = [], []
    for kind in territorial_types.types():
        if what in (ApplyRulesForm.ALL, kind.key):
            done = services.assign_territories(kind.model.objects.editable_by(user), by=user,
                                               only_unassigned=only_unassigned, preview=preview)
            results.append(_("%(records)s: %(assigned)s assigned, %(unchanged)s already there, %(unmatched)s "
                             "matched no rule.") % {"records": kind.label, **vars(done)})
            previews.append((kind, done))
    if preview:
        names = Territory.objects.in_bulk([pk for _kind, done in previews for pk in done.per_territory])
        return render(request, "org/territory_rules_preview.html", {
            "previews": [(kind, done, [(names[pk], count) for pk, count in sorted(done.per_territory.items())])
                         for kind, done in previews],
            "form": form, "back": target, "territory_pk": back if back.isdigit() else "",
        })
    messages.success(request, " ".join(results))
    return redirect(target)


# Sales teams

@login_required
def sales_team_list(request):
    user = request.user
    currency = user.currency or base_currency()
    teams = list(SalesTeam.objects.select_related("business_unit").annotate(member_count=Count("memberships")))
    for section in teams_registry.sections:
        section.options["annotate_list"](teams, user, currency)
    return render(request, "org/sales_team_list.html", {
        "teams": teams, "currency": currency, "sections": list(teams_registry.sections),
    })


@login_required
def sales_team_detail(request, pk, member_form=None):
    user = request.user
    currency = user.currency or base_currency()
    team = get_object_or_404(SalesTeam.objects.select_related("business_unit"), pk=pk)
    members = list(team.memberships.select_related("user").order_by("function", "user__first_name", "user__last_name"))
    can_manage = user.has_perm(TEAM_PERMISSION)
    return render(request, "org/sales_team_detail.html", {
        "team": team,
        "members": members,
        "sections": [(section, section.load(team, user, currency)) for section in teams_registry.sections],
        "currency": currency,
        "can_manage": can_manage,
        "member_form": member_form or (SalesTeamMemberForm() if can_manage else None),
        "shown": teams_registry.RECORDS_SHOWN,
    })


@login_required
@require_POST
def sales_team_member_add(request, pk):
    _require(request.user, TEAM_PERMISSION)
    team = get_object_or_404(SalesTeam, pk=pk)
    form = SalesTeamMemberForm(request.POST)
    if not form.is_valid():
        return sales_team_detail(request, pk, member_form=form)
    try:
        member = services.add_team_member(team, form.cleaned_data["user"], form.cleaned_data["function"])
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return sales_team_detail(request, pk, member_form=form)
    messages.success(request, _("%(member)s is in the team.") % {"member": member})
    return redirect(reverse("org:sales_team_detail", args=[pk]) + "#members")


@login_required
@require_POST
def sales_team_member_remove(request, pk, user_pk):
    _require(request.user, TEAM_PERMISSION)
    team = get_object_or_404(SalesTeam, pk=pk)
    if services.remove_team_member(team, user_pk):
        messages.success(request, _("Member removed from the team."))
    return redirect(reverse("org:sales_team_detail", args=[pk]) + "#members")


# Exchange rates

def latest_rates():
    """The latest rate of each currency, with the one before it (for the change), in one query."""
    latest = ExchangeRate.objects.filter(currency=OuterRef("currency")).order_by("-date")
    rows = list(ExchangeRate.objects.filter(date__in=latest.values("date")[:2]).order_by("currency", "-date"))
    by_currency = defaultdict(list)
    for rate in rows:
        by_currency[rate.currency].append(rate)
    cards = []
    for currency, label in Currency.choices:
        rates = by_currency.get(currency)
        if not rates:
            continue
        current, previous = rates[0], rates[1] if len(rates) > 1 else None
        change = (current.rate - previous.rate) / previous.rate * 100 if previous else None
        cards.append({"currency": currency, "label": label, "rate": current, "previous": previous, "change": change})
    return cards


@login_required
def exchange_rate_list(request):
    user = request.user
    filters = ExchangeRateFilterForm(request.GET or None)
    history = filters.apply(ExchangeRate.objects.order_by("-date", "currency"))
    page = Paginator(history, RATES_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    htmx = getattr(request, "htmx", None)
    fragment = bool(htmx) and not htmx.boosted and not htmx.history_restore_request
    template = "org/_exchange_rate_history.html" if fragment else "org/exchange_rate_list.html"
    return render(request, template, {
        "latest": [] if fragment else latest_rates(),
        "filters": filters,
        "page": page,
        "query": query,
        "base": base_currency(),
        "can_manage": user.has_perm(RATE_PERMISSION),
    })


def _rate_form_page(request, rate=None):
    _require(request.user, RATE_PERMISSION)
    form = ExchangeRateForm(request.POST or None, instance=rate)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Rate saved: 1 %(currency)s = %(rate)s %(base)s on %(date)s.") % {
            "currency": saved.get_currency_display(), "rate": saved.rate.normalize(), "base": base_currency(),
            "date": date_format(saved.date, "SHORT_DATE_FORMAT")})
        return redirect(reverse("org:exchange_rate_list") + f"?currency={saved.currency}")
    return render(request, "org/exchange_rate_form.html", {"form": form, "rate": rate})


@login_required
def exchange_rate_create(request):
    return _rate_form_page(request)


@login_required
def exchange_rate_edit(request, pk):
    return _rate_form_page(request, get_object_or_404(ExchangeRate, pk=pk))


@login_required
@require_POST
def exchange_rate_delete(request, pk):
    _require(request.user, RATE_PERMISSION)
    rate = get_object_or_404(ExchangeRate, pk=pk)
    rate.delete()
    messages.success(request, _("Rate of %(currency)s on %(date)s deleted.") % {
        "currency": rate.get_currency_display(), "date": date_format(rate.date, "SHORT_DATE_FORMAT")})
    return redirect("org:exchange_rate_list")


@login_required
def exchange_rate_import(request):
    _require(request.user, RATE_PERMISSION)
    form = ExchangeRateImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.import_rates(form.cleaned_data["file"].read(), source=form.cleaned_data["source"])
        except services.RateImportError as exc:
            problems = exc.messages
        else:
            messages.success(request, _("Rates imported: %(created)s new, %(updated)s updated.") % vars(result))
            return redirect("org:exchange_rate_list")
    return render(request, "org/exchange_rate_import.html", {"form": form, "problems": problems})
