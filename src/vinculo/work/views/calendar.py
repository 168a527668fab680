"""The calendar pages (month, week, day), rescheduling a task by dragging it, the ICS feed at a secret
address and the single-task .ics download."""

import calendar as months
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vinculo.core import clock
from vinculo.core.access import get_for_user

from .. import calendar, services
from ..models import Task

VIEWS = ("month", "week", "day")


def _day(value) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return clock.today()


def _range(view: str, day: date) -> tuple[date, date]:
    if view == "day":
        return day, day
    if view == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    first = day.replace(day=1)
    start = first - timedelta(days=first.weekday())
    last = first.replace(day=months.monthrange(first.year, first.month)[1])
    return start, last + timedelta(days=6 - last.weekday())


def _step(view: str, day: date, forward: bool) -> date:
    sign = 1 if forward else -1
    if view == "day":
        return day + timedelta(days=sign)
    if view == "week":
        return day + timedelta(days=7 * sign)
    month = day.month - 1 + sign
    return date(day.year + month // 12, month % 12 + 1, 1)


@login_required
def calendar_page(request):
    user = request.user
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "month"
    day = _day(request.GET.get("day"))
    team = request.GET.get("team") == "1"
    start, end = _range(view, day)
    found = calendar.items(user, start, end, team=team)
    by_day = {}
    for item in found:
        by_day.setdefault(item.day, []).append(item)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    weeks = [[(d, by_day.get(d, [])) for d in days[i:i + 7]] for i in range(0, len(days), 7)]
    return render(request, "work/calendar.html", {
        "view": view, "views": VIEWS, "day": day, "weeks": weeks, "items": found, "today": clock.today(),
        "team": team, "previous": _step(view, day, False), "next": _step(view, day, True),
        "is_manager": get_user_model().objects.filter(manager=user, is_active=True).exists(),
        "feed_url": request.build_absolute_uri(calendar.feed_url(user)),
    })


@login_required
@require_POST
def reschedule(request, pk):
    """Move a task's next action to another day (dragged on the calendar), if the user may change it."""
    task = get_for_user(Task, request.user, pk, write=True)
    try:
        task.next_action_date = date.fromisoformat(request.POST.get("day", ""))
        services.update_task(task, by=request.user)
    except ValueError:
        return JsonResponse({"errors": {"day": [_("Enter a valid date.")]}}, status=422)
    except ValidationError as exc:
        return JsonResponse({"errors": exc.message_dict}, status=422)
    return JsonResponse({"id": task.pk, "next_action_date": task.next_action_date.isoformat()})


@login_required
@require_POST
def rotate_feed(request):
    calendar.rotate(request.user)
    return render(request, "work/_feed_url.html",
                  {"feed_url": request.build_absolute_uri(calendar.feed_url(request.user))})


def feed(request, token):
    """The ICS feed of the user whose token this is; any other token (old, invented) is a plain 404."""
    user = calendar.owner_of(token)
    if user is None:
        raise Http404
    # In the owner's language: the calendar application asking has no say.
    with translation.override(user.language or settings.LANGUAGE_CODE):
        body = calendar.feed_ics(user, request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def task_ics(request, pk):
    task = get_for_user(Task, request.user, pk)
    response = HttpResponse(calendar.task_ics(task, request.build_absolute_uri("/").rstrip("/")),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="task-{task.pk}.ics"'
    return response
