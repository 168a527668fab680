"""Pipeline totals: count, amount and weighted amount of a set of deals, per stage (or territory, owner,
status), in the viewer's currency.

One GROUP BY (group, currency) query sums the deals whatever their number; the sums are converted with
the exchange rates of the day, fetched once. A missing rate does not break the page: the totals then
stay per currency and `missing_rate` says which one is missing.

Also the win/loss record against a competitor, over the deals the viewer may see.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import router
from django.db.models import Count, DecimalField, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from vinculo.core import clock, compiled, versioned
from vinculo.core.lists import mark_visible
from vinculo.core.money import SYMBOLS, MissingRate, quantize, rates_on, total_in

from .models import Competitor, Opportunity, OpportunityCompetitor, PipelineStage

# The "group by" choices of the totals, and the column each groups on.
GROUPS = {
    "stage": ("stage_id", _("Stage")),
    "territory": ("account__territory_id", _("Territory")),
    "owner": ("owner_id", _("Owner")),
    "status": ("status", _("Status")),
}
# The latest deals a competitor page lists.
DEALS_SHOWN = 25
GROUP_CHOICES = [(name, label) for name, (_column, label) in GROUPS.items()]


@dataclass
class Total:
    key: object  # the stage / territory / owner id, or the status
    label: str
    count: int = 0
    # Per currency, as stored: {"CLP": (amount, weighted amount)}.
    by_currency: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    # In the viewer's currency; None when a rate is missing.
    amount: Decimal | None = None
    weighted: Decimal | None = None

    def add(self, currency: str, count: int, amount: Decimal, weighted: Decimal) -> None:
        self.count += count
        old_amount, old_weighted = self.by_currency.get(currency, (Decimal(0), Decimal(0)))
        self.by_currency[currency] = (old_amount + amount, old_weighted + weighted)

    @property
    def currency_sums(self) -> list[tuple[str, Decimal, Decimal]]:
        """The per-currency sums, rounded to each currency's unit, for display when a rate is missing."""
        return [(currency, quantize(amount, currency), quantize(weighted, currency))
                for currency, (amount, weighted) in sorted(self.by_currency.items())]


@dataclass
class Totals:
    group: str
    currency: str
    groups: list[Total]
    overall: Total
    missing_rate: MissingRate | None = None

    def get(self, key) -> Total:
        """The total of one group (an empty one if no deal is in it)."""
        return next((total for total in self.groups if total.key == key), Total(key, ""))

    @property
    def group_label(self) -> str:
        return GROUPS[self.group][1]

    @property
    def currency_label(self) -> str:
        return SYMBOLS.get(self.currency, self.currency)


def _labels(group: str, keys: set, stages: list[PipelineStage] | None) -> dict:
    """Display names of the group keys, in display order (one query, none for statuses or given stages)."""
    from vinculo.org.models import Territory, User

    known = {key for key in keys if key is not None}
    if group == "stage":
        if stages is None:
            stages = PipelineStage.objects.filter(pk__in=known)
        return {stage.pk: stage.name for stage in sorted(stages, key=lambda s: (s.order, s.pk))}
    if group == "status":
        return {value: label for value, label in Opportunity.Status.choices if value in known}
    model, ordering = (Territory, ("path",)) if group == "territory" else (User, ("first_name", "last_name"))
    return {record.pk: str(record) for record in model.objects.filter(pk__in=known).order_by(*ordering)}


def _grouped_by(column: str) -> list[str]:
    return list(dict.fromkeys(("stage_id", "currency", column)))


def _sums(deals, column: str):
    """(stage, currency[, `column`], count, amount, amount × probability) of `deals`. Always grouped by stage and
    currency first, the order of the totals index, so that the database reads the index alone (grouped by the
    owner or the status alone, it would pick their own index and read every row); the few rows are then added
    up per group in Python."""
    return (
        deals.order_by()
        .values_list(*_grouped_by(column))
        .annotate(
            n=Count("pk"),
            total=Sum("amount"),
            # amount × probability; divided by 100 in Python so no rounding happens in SQL.
            weighted=Sum(F("amount") * F("probability"), output_field=DecimalField(max_digits=24, decimal_places=2)),
        )
    )


def pipeline_totals(deals, group: str, currency: str, on: date | None = None,
                    stages: list[PipelineStage] | None = None, *, compiled_for: tuple | None = None) -> Totals:
    """Totals of the `deals` queryset per `group`, in `currency`. `stages` (for the board) lists every
    column, including empty ones, in order; otherwise only groups holding deals are listed. With
    `compiled_for=(name, user, key)`, `deals` is a function giving the deals of a user, and the totals' SQL is
    compiled once per process for each shape of user and `key` (core.compiled)."""
    group = group if group in GROUPS else "stage"
    column = GROUPS[group][0]
    position = _grouped_by(column).index(column)  # in a row of _sums
    if compiled_for is None:
        rows = _sums(deals, column)
        fetched = versioned.cached(rows, "pipeline sums", lambda: list(rows))
    else:
        name, user, key = compiled_for

        def build(user, _record):
            return _sums(deals(user), column)

        try:
            query, params = compiled.sql(name, Opportunity, build, user, 0, key=(group, *key))
        except EmptyResultSet:  # filtered on an empty list of ids: no deal
            query = None
        fetched = [] if query is None else versioned.cached_sql(
            router.db_for_read(Opportunity), query, params, "pipeline sums",
            lambda: compiled.values(name, Opportunity, build, user, 0, key=(group, *key)))
    by_key: dict = defaultdict(dict)
    for row in fetched:
        row_currency, count, amount, weighted = row[1], row[-3], row[-2], row[-1]
        found = by_key[row[position]].get(row_currency, (0, Decimal(0), Decimal(0)))
        by_key[row[position]][row_currency] = (found[0] + count, found[1] + (amount or Decimal(0)),
                                               found[2] + (weighted or Decimal(0)) / 100)
    labels = _labels(group, set(by_key), stages)
    order = list(labels) + [key for key in by_key if key not in labels]
    no_group = {"territory": _("No territory"), "stage": _("No stage")}
    groups, overall = [], Total(None, str(_("Total")))
    for key in order:
        total = Total(key, str(labels.get(key) or no_group.get(group, "—")))
        for row_currency, (count, amount, weighted) in by_key.get(key, {}).items():
            total.add(row_currency, count, amount, weighted)
            overall.add(row_currency, count, amount, weighted)
        groups.append(total)
    result = Totals(group, currency, groups, overall)
    try:
        rates = rates_on({*overall.by_currency, currency}, on or clock.today())
    except MissingRate as missing:
        result.missing_rate = missing
        return result
    for total in [*groups, overall]:
        total.amount = total_in({c: a for c, (a, _w) in total.by_currency.items()}, currency, rates=rates)
        total.weighted = total_in({c: w for c, (_a, w) in total.by_currency.items()}, currency, rates=rates)
    return result


def competitor_record(competitor: Competitor, user) -> dict:
    """The deals the competitor was on that `user` may see: counts won / lost / open, our win rate among
    the closed ones, and the latest deals (two queries, plus one naming the accounts)."""
    entries = OpportunityCompetitor.objects.filter(
        competitor=competitor, opportunity__in=Opportunity.objects.visible_to(user)
    )
    counts = entries.aggregate(
        won=Count("pk", filter=Q(opportunity__status=Opportunity.Status.WON)),
        lost=Count("pk", filter=Q(opportunity__status=Opportunity.Status.LOST)),
        open=Count("pk", filter=Q(opportunity__status=Opportunity.Status.OPEN)),
    )
    closed = counts["won"] + counts["lost"]
    latest = list(
        entries.select_related("opportunity", "opportunity__account", "opportunity__stage")
        .order_by("-opportunity__updated_at", "-pk")[:DEALS_SHOWN]
    )
    mark_visible([entry.opportunity for entry in latest], user, "account", "account_visible")
    return {
        **counts,
        "total": closed + counts["open"],
        "win_rate": round(counts["won"] * 100 / closed) if closed else None,
        "latest": latest,
    }
