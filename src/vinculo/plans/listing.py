"""The team's plans as the overview lists them, without a request: what reads the list elsewhere (its export,
core.lists' `for_query` protocol: `narrow`, `chosen_columns`, `columns`) lists what the page lists."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vinculo.core.access import is_admin
from vinculo.core.lists import Column

from .models import APPROVE_PLANS, BusinessPlan


def team_plans(user, visible, by_list: bool = False):
    """The plans of `user`'s team among those they may see (`visible`): their own and those of the users below
    them in the role hierarchy or reporting to them; every visible plan for an administrator or a holder of
    *approve plans*, who oversee them all. Filtering by owner first lets the database start from the owners'
    index instead of testing every plan's account."""
    if is_admin(user) or user.has_perm(APPROVE_PLANS):
        return visible
    below = Q(pk=user.pk) | Q(manager=user)
    if getattr(user, "role", None) is not None:
        below |= Q(role__path__startswith=user.role.path) & ~Q(role_id=user.role_id)
    team = get_user_model().objects.filter(below).values("pk")
    if by_list:
        # The team as a list (one small query): given a few owners' ids, SQLite counts a rep's plans through
        # the (owner, status) index, where given the subquery it walked every plan of the company in status
        # order. (For pages in the list's order the subquery serves better.)
        return visible.filter(owner__in=list(team.values_list("pk", flat=True)))
    return visible.filter(owner__in=team)


class PlanList:
    """The overview's "my team's plans": of one status (any by default), overlapping a year, only the user's
    own with `mine=1`; the latest period first. Its page has no column chooser: every column is shown."""

    list_key = "plans"
    # The period is two columns here (the page shows "start – end"), so that a spreadsheet reads two dates.
    columns = (
        Column("name", _("Plan"), always=True), Column("account", _("Account")), Column("owner", _("Owner")),
        Column("period_start", _("Period start")), Column("period_end", _("Period end")),
        Column("status", _("Status")), Column("revenue_target", _("Revenue target")),
    )

    def __init__(self, user, params):
        self.user, self.params = user, params
        self.status = params.get("status", "")
        self.year = params.get("year", "")
        self.mine = params.get("mine") == "1"

    @classmethod
    def for_query(cls, user, params) -> "PlanList":
        return cls(user, params)

    def chosen_columns(self) -> list[str]:
        return [column.name for column in self.columns]

    def filter(self, plans):
        """`plans` (the team's) narrowed by the page's filters, unsorted."""
        if self.status in BusinessPlan.Status.values:
            plans = plans.filter(status=self.status)
        if self.year.isdigit() and len(self.year) == 4:
            plans = plans.filter(period_start__year__lte=int(self.year), period_end__year__gte=int(self.year))
        if self.mine:
            plans = plans.filter(owner=self.user)
        return plans

    def narrow(self, queryset=None):
        """The team's plans among `queryset` (all by default; the caller keeps those the user may see),
        filtered and sorted as the page lists them."""
        plans = team_plans(self.user, queryset if queryset is not None else BusinessPlan.objects.all())
        return self.filter(plans).order_by("-period_start", "name", "pk")
