"""The home page's "My day"."""

import datetime

from django.urls import reverse

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.activities.models import Activity
from vinculo.core.services import create_record
from vinculo.work.models import Priority

from .conftest import TODAY
from .factories import make_task

DAY = datetime.timedelta(days=1)


def test_my_day_lists_my_overdue_and_todays_tasks_what_i_control_and_my_team(client, org, django_assert_max_num_queries):
    late = make_task(org.vendedor_norte, org.north_account, title="Atrasada", next_action_date=TODAY - DAY)
    today = make_task(org.vendedor_norte, org.north_account, title="Para hoy", next_action_date=TODAY)
    make_task(org.vendedor_norte, org.north_account, title="Mañana", next_action_date=TODAY + DAY)
    checked = make_task(org.gerente_norte, org.north_account, title="Revisar", responsible=org.vendedor_norte2,
                        controller=org.vendedor_norte, next_action_date=TODAY)
    client.force_login(org.vendedor_norte)
    with django_assert_max_num_queries(30) as few:
        response = client.get(reverse("home"))
    day = response.context["day"]
    assert (day["overdue"], day["today"], day["to_control"], day["is_manager"]) == ([late], [today], [checked], False)
    assert late.get_absolute_url() in response.content.decode()
    for n in range(5):
        make_task(org.vendedor_norte, org.north_account, title=f"más {n}", next_action_date=TODAY - DAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("home"))

    client.force_login(org.gerente_norte)
    day = client.get(reverse("home")).context["day"]
    assert day["is_manager"] and [task.title for task in day["team_today"]] == ["Para hoy", "Revisar"]
    client.force_login(org.gerente_sur)
    day = client.get(reverse("home")).context["day"]
    assert (day["team_overdue"], day["team_today"]) == ([], [])


def test_the_team_overdue_list_keeps_the_worklist_order_across_statuses_and_stops_at_ten(org):
    """Read one status at a time (day._first), merged: priority, then next action date, then time (none
    last), then creation; the eleventh and later are left out."""
    from vinculo.work.day import SHOWN, my_day

    rep, day = org.vendedor_norte, datetime.timedelta(days=1)
    plan = [  # title, status, priority, days before today, time
        ("a", "in_progress", Priority.HIGH, 3, datetime.time(9)), ("b", "pending", Priority.HIGH, 3, None),
        ("c", "pending", Priority.HIGH, 3, datetime.time(8)), ("d", "in_progress", Priority.HIGH, 1, None),
        ("e", "pending", Priority.NORMAL, 9, None), ("f", "in_progress", Priority.NORMAL, 2, None),
        ("g", "pending", Priority.LOW, 30, None), ("h", "in_progress", Priority.LOW, 20, None),
        ("i", "pending", Priority.LOW, 10, None), ("j", "in_progress", Priority.LOW, 5, None),
        ("k", "pending", Priority.LOW, 4, None), ("l", "in_progress", Priority.LOW, 1, None),
        ("m", "done", Priority.HIGH, 9, None),
    ]
    for title, status, priority, ago, at in plan:
        make_task(rep, org.north_account, title=title, status=status, priority=priority,
                  next_action_date=TODAY - ago * day, next_action_time=at)
    found = my_day(org.gerente_norte)["team_overdue"]
    assert SHOWN == 10
    assert [task.title for task in found] == ["c", "a", "b", "d", "e", "f", "g", "h", "i", "j"]


def _meeting(owner, account, subject, *participants, hour=18):
    activity = create_record(Activity(kind="meeting", subject=subject, owner=owner, account=account, status="planned",
                                      occurred_at=datetime.datetime(2026, 4, 15, hour, tzinfo=datetime.timezone.utc)),
                             by=owner)
    activity.participants.add(*participants)
    return activity


def test_my_days_activities_are_mine_and_those_i_take_part_in_and_may_see_first_ones_first(org):
    from vinculo.work.day import my_day

    _meeting(org.vendedor_norte, org.north_account, "Mía", hour=19)
    _meeting(org.vendedor_norte2, org.north_account, "Invitado", org.vendedor_norte, hour=14)
    _meeting(org.vendedor_sur, org.south_account, "Del sur, invitado", org.vendedor_norte, hour=13)  # out of sight
    _meeting(org.vendedor_norte2, org.north_account, "Sin él", hour=12)
    assert [activity.subject for activity in my_day(org.vendedor_norte)["activities"]] == ["Invitado", "Mía"]


def test_the_home_counts_stop_at_the_exact_count_limit(client, org, settings):
    for n in range(3):
        AccountFactory(owner=org.vendedor_norte, legal_name=f"Cliente {n}")
    settings.VINCULO = {**settings.VINCULO, "EXACT_COUNT_UP_TO": 2}
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("home"))
    assert (response.context["account_count"], response.context["account_count_exact"]) == (2, False)
    assert '<span class="value">2+</span>' in response.content.decode()
    settings.VINCULO = {**settings.VINCULO, "EXACT_COUNT_UP_TO": 10}
    response = client.get(reverse("home"))
    assert (response.context["account_count"], response.context["account_count_exact"]) == (4, True)
