"""Pages of the organisation: territories (tree, rules, assignment), sales teams, exchange rates.

Every signed-in user reads them; changes need a permission (admins have them all): `org.change_territory`,
`org.change_salesteam`, `org.change_exchangerate`. Counts and lists of accounts, leads and opportunities
include only the records the viewer may see."""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vinculo.accounts.models import Account, Industry
from vinculo.core import clock
from vinculo.core.money import Currency, MissingRate, base_currency, quantize, rates_on
from vinculo.sales.models import Lead, Opportunity

from . import services
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
TEAM_RECORDS_SHOWN = 50
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


def _with_counts(territories, user, within: Territory | None = None):
    """Set own_accounts / own_leads and accounts_total / leads_total (with sub-territories) on each territory,
    counting what `user` may see."""
    accounts, leads = Account.objects.visible_to(user), Lead.objects.visible_to(user)
    if within is not None:
        accounts = accounts.filter(territory__path__startswith=within.path)
        leads = leads.filter(territory__path__startswith=within.path)
    account_counts, lead_counts = _counts_by_territory(accounts), _counts_by_territory(leads)
    for territory in territories:
        territory.own_accounts, territory.accounts_total = account_counts[0][territory.pk], account_counts[1][territory.pk]
        territory.own_leads, territory.leads_total = lead_counts[0][territory.pk], lead_counts[1][territory.pk]
    return territories


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
        "unassigned_accounts": Account.objects.visible_to(user).filter(territory__isnull=True).count(),
        "unassigned_leads": Lead.objects.visible_to(user).filter(territory__isnull=True).count(),
    })


@login_required
def territory_detail(request, pk, rule_form=None):
    user = request.user
    territory = get_object_or_404(_territories_with_users(), pk=pk)
    children = list(Territory.objects.filter(parent=territory).annotate(rule_count=Count("rules")))
    _with_counts([territory, *children], user, within=territory)
    rules = list(territory.rules.all())
    industry_ids = [int(rule.value) for rule in rules if rule.field == TerritoryRule.Field.INDUSTRY and rule.value.isdigit()]
    industries = Industry.objects.in_bulk(industry_ids) if industry_ids else {}
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
    results = []
    if what in (ApplyRulesForm.Target.BOTH, ApplyRulesForm.Target.ACCOUNTS):
        done = services.assign_territories(Account.objects.editable_by(user), by=user, only_unassigned=only_unassigned)
        results.append(_("Accounts: %(assigned)s assigned, %(unchanged)s already there, %(unmatched)s matched no rule.")
                       % vars(done))
    if what in (ApplyRulesForm.Target.BOTH, ApplyRulesForm.Target.LEADS):
        done = services.assign_territories(Lead.objects.editable_by(user), by=user, only_unassigned=only_unassigned)
        results.append(_("Leads: %(assigned)s assigned, %(unchanged)s already there, %(unmatched)s matched no rule.")
                       % vars(done))
    messages.success(request, " ".join(results))
    return redirect(target)


# Sales teams

def _open_totals(opportunities, user) -> dict[int | None, Decimal | None]:
    """Open amount per sales team id in the user's currency (None where a currency has no rate). One
    query for the sums, one per currency for today's rates."""
    currency = getattr(user, "currency", "") or base_currency()
    sums = defaultdict(dict)
    for row in opportunities.values("sales_team_id", "currency").annotate(total=Sum("amount")).order_by():
        sums[row["sales_team_id"]][row["currency"]] = row["total"] or Decimal(0)
    currencies = {code for amounts in sums.values() for code in amounts} | {currency}
    try:
        rates = rates_on(currencies, clock.today())
    except MissingRate:
        rates = None
    totals = {}
    for team_id, amounts in sums.items():
        if rates is None:
            totals[team_id] = sum(amounts.values()) if set(amounts) == {currency} else None
        else:
            totals[team_id] = quantize(
                sum((amount * rates[code] for code, amount in amounts.items()), Decimal(0)) / rates[currency], currency)
    return totals


@login_required
def sales_team_list(request):
    user = request.user
    teams = list(SalesTeam.objects.select_related("business_unit").annotate(member_count=Count("memberships")))
    accounts = dict(Account.objects.visible_to(user).filter(sales_team__isnull=False).values("sales_team_id")
                    .annotate(n=Count("pk")).order_by().values_list("sales_team_id", "n"))
    open_deals = Opportunity.objects.visible_to(user).filter(status=Opportunity.Status.OPEN, sales_team__isnull=False)
    deal_counts = dict(open_deals.values("sales_team_id").annotate(n=Count("pk")).order_by()
                       .values_list("sales_team_id", "n"))
    totals = _open_totals(open_deals, user)
    for team in teams:
        team.account_count = accounts.get(team.pk, 0)
        team.open_count = deal_counts.get(team.pk, 0)
        team.open_total = totals.get(team.pk, Decimal(0))
    return render(request, "org/sales_team_list.html", {
        "teams": teams, "currency": user.currency or base_currency(),
    })


@login_required
def sales_team_detail(request, pk, member_form=None):
    user = request.user
    team = get_object_or_404(SalesTeam.objects.select_related("business_unit"), pk=pk)
    members = list(team.memberships.select_related("user").order_by("function", "user__first_name", "user__last_name"))
    accounts = (Account.objects.visible_to(user).filter(sales_team=team).select_related("owner", "territory")
                .order_by("legal_name", "pk"))
    open_deals = (Opportunity.objects.visible_to(user).filter(sales_team=team, status=Opportunity.Status.OPEN)
                  .select_related("account", "stage", "owner").order_by("expected_close_date", "pk"))
    can_manage = user.has_perm(TEAM_PERMISSION)
    deals = list(open_deals[:TEAM_RECORDS_SHOWN])
    if deals:
        visible_accounts = set(Account.objects.visible_to(user).filter(pk__in={deal.account_id for deal in deals})
                               .values_list("pk", flat=True))
        for deal in deals:
            deal.account_visible = deal.account_id in visible_accounts
    return render(request, "org/sales_team_detail.html", {
        "team": team,
        "members": members,
        "accounts": list(accounts[:TEAM_RECORDS_SHOWN]),
        "account_count": accounts.count(),
        "deals": deals,
        "deal_count": open_deals.count(),
        "open_total": _open_totals(open_deals, user).get(team.pk, Decimal(0)),
        "currency": user.currency or base_currency(),
        "can_manage": can_manage,
        "member_form": member_form or (SalesTeamMemberForm() if can_manage else None),
        "shown": TEAM_RECORDS_SHOWN,
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
            "date": saved.date.isoformat()})
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
        "currency": rate.get_currency_display(), "date": rate.date.isoformat()})
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
