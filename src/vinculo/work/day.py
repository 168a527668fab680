"""The home page's "My day": what the user (and, for a manager, the team) must do or check today, in a
bounded number of queries; every item is one the user may see and links to its record."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from vinculo.accounts.models import Account
from vinculo.activities.models import Activity
from vinculo.core import clock, subjects
from vinculo.core.access import subordinate_ids, visible_ids
from vinculo.core.money import MissingRate, total_in
from vinculo.customer360.models import Contract

from .models import Task, worklist_key

SHOWN = 10
# Activities of one day a person takes part in without owning them, read before their access is checked.
MAX_JOINED = 200
# What the lists show of each record (its link, name, dates, amount; a task's responsible): the rest of their
# columns cost more to select and load than the queries take to run.
TASK_FIELDS = ("id", "title", "priority", "next_action_date", "next_action_time", "due_date", "status",
               "responsible_id", "account_id")
PERSON_FIELDS = ("responsible__username", "responsible__first_name", "responsible__last_name")
ACTIVITY_FIELDS = ("id", "subject", "occurred_at", "owner_id", "status", "account_id")
DEAL_FIELDS = {"id", "name", "amount", "currency", "expected_close_date", "account_id"}
CONTRACT_FIELDS = ("id", "number", "description", "end_date", "account_id", "account__legal_name",
                   "account__trade_name")


def _tasks(user, people: Q):
    """Open tasks of `people` (the user as responsible or controller, or the users below them as
    responsible): the access policy's own clauses, so all visible to `user` without `visible_to`."""
    return (Task.objects.open().filter(people).select_related("responsible").only(*TASK_FIELDS, *PERSON_FIELDS)
            .worklist_order())


def _first(tasks, count: int = SHOWN) -> list:
    """The first `count` of `tasks` (in the worklist order) in one query per open status: each is read in
    the order of the (status, priority, next action) index and stops at `count`, where one query over both
    statuses would sort every open task of a team first (bench/: a director's team, 500,000 tasks)."""
    found = [task for status in Task.OPEN for task in tasks.filter(status=status)[:count]]
    found.sort(key=worklist_key)
    return found[:count]


def _with_responsibles(tasks) -> None:
    """Set each task's responsible, read in one query."""
    people = get_user_model().objects.only("username", "first_name", "last_name").in_bulk(
        {task.responsible_id for task in tasks})
    for task in tasks:
        task.responsible = people[task.responsible_id]


def _activities_today(user, start) -> list:
    """The user's planned activities of the day starting at `start`, owned or taken part in, first ones first.
    The owner's are the user's to see; one taken part in is checked against the activity's rule, and only
    when there is one: that rule (every subject type's) costs more to build than the page's other queries."""
    today = Activity.objects.filter(status=Activity.Status.PLANNED, occurred_at__gte=start,
                                    occurred_at__lt=start + timedelta(days=1)).only(*ACTIVITY_FIELDS).order_by(
        "occurred_at", "pk")
    owned = list(today.filter(owner=user)[:SHOWN])
    # A person takes part in a handful of activities a day: all of them are read, then checked.
    # Only the participations: those owned were read above (an OR with the owner made SQLite read both).
    joined = list(today.filter(pk__in=Activity.participants.through.objects.filter(user=user).values("activity_id"))
                  .exclude(owner=user)[:MAX_JOINED])
    if joined:
        seen = visible_ids(user, Activity, [activity.pk for activity in joined])
        owned += [activity for activity in joined if activity.pk in seen]
        owned.sort(key=lambda activity: (activity.occurred_at, activity.pk))
    return owned[:SHOWN]


def my_day(user) -> dict:
    today = clock.today()
    # The team as a test on each task (EXISTS), not a list of people: SQLite then reads the team's tasks
    # along the (status, priority, next action) index and stops at the first ten, where a list would have it
    # read every open task of each person below (a director's: the whole company's) and sort them.
    me = Q(responsible=user)
    team = Q(Exists(subordinate_ids(user).filter(pk=OuterRef("responsible_id"))))
    start = timezone.make_aware(datetime.combine(today, time.min))
    # The user's own deals and the contracts of the user's own accounts: the owner clause of their access
    # policies grants them, so neither asks `visible_to` (whose SQL costs more to build than these queries).
    deal_model = subjects.registry.model_named("opportunity")
    deals = deal_model.objects.filter(
        owner=user, status="open", expected_close_date__gte=today.replace(day=1),
        expected_close_date__lt=(today.replace(day=28) + timedelta(days=4)).replace(day=1))
    # One read of the month's deals (a few hundred at most, along the owner's index) for both the total and the
    # first ten, where a sum and a list each walked the owner's open deals.
    columns = [field.attname for field in deal_model._meta.concrete_fields if field.attname in DEAL_FIELDS]
    rows = list(deals.order_by("expected_close_date", "pk").values_list(*columns))
    amounts: dict[str, Decimal] = {}
    currency_at, amount_at = columns.index("currency"), columns.index("amount")
    for row in rows:
        amounts[row[currency_at]] = amounts.get(row[currency_at], Decimal(0)) + row[amount_at]
    try:
        closing_total = total_in(amounts, user.currency)
    except MissingRate:
        closing_total = None
    day = {
        "overdue": _first(_tasks(user, me).overdue(today)),
        "today": list(_tasks(user, me).due_today(today)[:SHOWN]),
        "to_control": _first(_tasks(user, Q(controller=user)).filter(
            Q(next_action_date__lte=today) | Q(due_date__lte=today))),
        "activities": _activities_today(user, start),
        "deals": [deal_model.from_db(deals.db, columns, row) for row in rows[:SHOWN]],
        "closing_total": closing_total,
        # Through the user's accounts (the owner's index, then each account's contracts): the renewals of
        # the whole company first would be tens of thousands of rows.
        "renewals": list(Contract.objects.renewals_due(today).filter(account__in=Account.objects.filter(owner=user).values("pk"))
                         .select_related("account").only(*CONTRACT_FIELDS).order_by("end_date", "pk")[:SHOWN]),
        "is_manager": get_user_model().objects.filter(manager=user, is_active=True).exists(),
    }
    if day["is_manager"]:
        # Without the responsible joined: given a join, SQLite starts from the users and sorts each one's tasks.
        team_tasks = _tasks(user, team).select_related(None).only(*TASK_FIELDS)
        day["team_overdue"] = _first(team_tasks.overdue(today))
        day["team_today"] = list(team_tasks.due_today(today)[:SHOWN])
        _with_responsibles([*day["team_overdue"], *day["team_today"]])
    return day
