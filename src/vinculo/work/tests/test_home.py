"""The home page's "My day"."""

import datetime

from django.urls import reverse

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
