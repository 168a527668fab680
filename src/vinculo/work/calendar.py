"""The calendar: a user's (or, for a manager, their team's) tasks by next-action date, activities and
contract renewal decision dates, in a date range; as month/week/day pages, as an ICS feed at a secret
address and as single-record .ics downloads (built with `icalendar`). Every item is one the viewer may see."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from vinculo.activities.models import Activity
from vinculo.core import clock
from vinculo.core.access import subordinate_ids
from vinculo.customer360.models import Contract

from .models import CalendarFeed, Task

PRODID = "-//Vínculo CRM//Calendar//ES"
# The feed covers this window around today: calendar programs poll it, and old items only add weight.
FEED_PAST, FEED_AHEAD = timedelta(days=90), timedelta(days=365)


@dataclass
class Item:
    uid: str
    kind: str  # "task", "activity", "renewal"
    title: str
    day: date
    at: datetime | None  # a time of day, when the item has one
    url: str
    record: object
    overdue: bool = False
    editable: bool = False


def people(user, team: bool):
    """Whose calendar: the user's, with `team` also the users below them."""
    return Q(pk=user.pk) | Q(pk__in=subordinate_ids(user)) if team else Q(pk=user.pk)


def tasks_in(user, start: date, end: date, team: bool = False):
    """Tasks with their next action in [start, end] that the user (or the team) does or checks."""
    mine = Q(responsible=user) | Q(controller=user)
    if team:
        below = subordinate_ids(user)
        mine |= Q(responsible__in=below) | Q(controller__in=below)
    return (Task.objects.visible_to(user).filter(mine, next_action_date__gte=start, next_action_date__lte=end)
            .exclude(status=Task.Status.CANCELLED).select_related("account"))


def involving(user, team: bool = False) -> Q:
    """Activities the user (with `team`, or someone below them) owns or takes part in; the participants as a
    subquery, so that an activity with several of them comes once."""
    owners, participants = Q(owner=user), Q(user=user)
    if team:
        below = subordinate_ids(user)
        owners, participants = owners | Q(owner__in=below), participants | Q(user__in=below)
    taking_part = Activity.participants.through.objects.filter(participants).values("activity_id")
    return owners | Q(pk__in=taking_part)


def activities_in(user, start: date, end: date, team: bool = False):
    """Activities in [start, end] that the user (or the team) owns or takes part in, among those they may see."""
    owners = involving(user, team)
    window = (timezone.make_aware(datetime.combine(start, time.min)),
              timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))
    return (Activity.objects.visible_to(user).filter(owners, occurred_at__gte=window[0], occurred_at__lt=window[1])
            .exclude(status=Activity.Status.CANCELLED))


def renewals_in(user, start: date, end: date, team: bool = False):
    """Active contracts of the user's (or the team's) accounts whose renewal decision falls in the range; the
    decision date is the expiry less the notice days, so the expiry window is widened and cut in Python."""
    owners = Q(account__owner=user) | Q(account__owner__in=subordinate_ids(user)) if team else Q(account__owner=user)
    contracts = (Contract.objects.visible_to(user).filter(owners, status=Contract.Status.ACTIVE,
                                                          end_date__gte=start, end_date__lte=end + timedelta(days=366))
                 .select_related("account"))
    return [contract for contract in contracts if start <= contract.renewal_decision_date <= end]


def items(user, start: date, end: date, team: bool = False) -> list[Item]:
    """Everything on the calendar between `start` and `end` (inclusive), by day and time; three queries, and
    one more for which tasks the user may move."""
    today = clock.today()
    tasks = list(tasks_in(user, start, end, team))
    editable = set(Task.objects.editable_by(user).filter(pk__in=[task.pk for task in tasks])
                   .values_list("pk", flat=True)) if tasks else set()
    found = [
        Item(f"task-{task.pk}@vinculo", "task", task.title, task.next_action_date,
             timezone.make_aware(datetime.combine(task.next_action_date, task.next_action_time))
             if task.next_action_time else None,
             task.get_absolute_url(), task, overdue=task.is_open and task.next_action_date < today,
             editable=task.pk in editable)
        for task in tasks
    ]
    for activity in activities_in(user, start, end, team):
        local = timezone.localtime(activity.occurred_at)
        found.append(Item(f"activity-{activity.pk}@vinculo", "activity", f"{activity.get_kind_display()}: {activity.subject}",
                          local.date(), local, activity.get_absolute_url(), activity))
    for contract in renewals_in(user, start, end, team):
        found.append(Item(f"renewal-{contract.pk}@vinculo", "renewal",
                          _("Renewal decision: %(contract)s (%(account)s)") % {"contract": contract, "account": contract.account},
                          contract.renewal_decision_date, None, contract.get_absolute_url(), contract))
    return sorted(found, key=lambda item: (item.day, item.at is None, item.at.timestamp() if item.at else 0))


# --- ICS ---------------------------------------------------------------------------------------------------

def _event(item: Item, base_url: str) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("summary", item.title)
    event.add("dtstamp", clock.now())
    if item.at is not None:
        event.add("dtstart", item.at)
        duration = getattr(item.record, "duration_minutes", None) or 30
        event.add("dtend", item.at + timedelta(minutes=duration))
    else:
        event.add("dtstart", item.day)
        event.add("dtend", item.day + timedelta(days=1))
    event.add("url", f"{base_url}{item.url}")
    description = getattr(item.record, "description", "")
    if description:
        event.add("description", description)
    return event


def calendar_of(events_items: list[Item], base_url: str, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for item in events_items:
        calendar.add_component(_event(item, base_url))
    return calendar.to_ical()


def feed_ics(user, base_url: str) -> bytes:
    today = clock.today()
    return calendar_of(items(user, today - FEED_PAST, today + FEED_AHEAD), base_url,
                       _("Vínculo: %(name)s") % {"name": user})


def task_ics(task: Task, base_url: str) -> bytes:
    item = Item(f"task-{task.pk}@vinculo", "task", task.title, task.next_action_date,
                timezone.make_aware(datetime.combine(task.next_action_date, task.next_action_time))
                if task.next_action_time else None, task.get_absolute_url(), task)
    return calendar_of([item], base_url, task.title)


# --- The secret address ------------------------------------------------------------------------------------

def feed_token(user) -> str:
    """The user's feed token, made on first use."""
    feed = CalendarFeed.objects.filter(user=user).first()
    return feed.token if feed is not None else rotate(user)


@transaction.atomic
def rotate(user) -> str:
    """A new token for the user's feed: the old address answers 404 from now on."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user=user, defaults={"token": token})
    return token


def feed_url(user) -> str:
    return reverse("work:calendar_feed", args=[feed_token(user)])


def owner_of(token: str):
    """The active user whose feed `token` opens, or None (an unknown, rotated or malformed token alike)."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first() if token else None
    return feed.user if feed is not None and feed.user.is_active else None
