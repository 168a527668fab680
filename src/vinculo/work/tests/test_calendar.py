"""The calendar pages, the ICS feed at a secret address and the single-task download."""

import datetime

from django.urls import reverse
from icalendar import Calendar

from vinculo.activities.models import Activity
from vinculo.core.services import create_record
from vinculo.customer360.tests.factories import ContractFactory
from vinculo.work import calendar
from vinculo.work.models import Task

from .conftest import TODAY
from .factories import make_task

DAY = datetime.timedelta(days=1)


def uids(body: bytes) -> set[str]:
    parsed = Calendar.from_ical(body)
    return {str(event["uid"]) for event in parsed.walk("VEVENT")}


def test_the_feed_holds_exactly_the_users_visible_calendar_items(client, org):
    mine = make_task(org.vendedor_norte, org.north_account, title="Llamar", next_action_date=TODAY + DAY)
    checked = make_task(org.gerente_norte, org.north_account, title="Revisar", responsible=org.vendedor_norte2,
                        controller=org.vendedor_norte, next_action_date=TODAY)
    make_task(org.vendedor_sur, org.south_account, title="Ajeno", next_action_date=TODAY)
    cancelled = make_task(org.vendedor_norte, org.north_account, title="Anulada", status="cancelled")
    visit = create_record(Activity(kind="visit", subject="Visita", owner=org.vendedor_norte, account=org.north_account,
                                   status="planned", occurred_at=datetime.datetime(2026, 4, 20, 14, tzinfo=datetime.timezone.utc)),
                          by=org.vendedor_norte)
    contract = ContractFactory(account=org.north_account, start_date=datetime.date(2025, 6, 1),
                               end_date=TODAY + 40 * DAY, notice_days=30)
    client.force_login(org.vendedor_norte)
    url = client.get(reverse("work:calendar")).context["feed_url"]
    client.logout()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    found = uids(response.content)
    assert found == {f"task-{mine.pk}@vinculo", f"task-{checked.pk}@vinculo", f"activity-{visit.pk}@vinculo",
                     f"renewal-{contract.pk}@vinculo"}
    assert cancelled.pk not in {int(uid.split("-")[1].split("@")[0]) for uid in found if uid.startswith("task")}
    # Against the access policy: every task in the feed is one the user may see.
    task_ids = {int(uid[5:].split("@")[0]) for uid in found if uid.startswith("task-")}
    assert task_ids <= set(Task.objects.visible_to(org.vendedor_norte).values_list("pk", flat=True))


def test_the_team_view_adds_the_team_and_nothing_the_manager_cannot_see(org):
    theirs = make_task(org.vendedor_norte, org.north_account, next_action_date=TODAY, controller=org.vendedor_norte2)
    make_task(org.vendedor_sur, org.south_account, next_action_date=TODAY)
    found = calendar.items(org.gerente_norte, TODAY, TODAY, team=True)
    assert [item.record for item in found] == [theirs]
    assert calendar.items(org.gerente_norte, TODAY, TODAY, team=False) == []


def test_a_rotated_or_invented_token_answers_404(client, org):
    old = calendar.feed_url(org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("work:calendar_rotate"))
    new = calendar.feed_url(org.vendedor_norte)
    assert new != old and new in response.content.decode()
    client.logout()
    assert client.get(old).status_code == 404
    invented = client.get(reverse("work:calendar_feed", args=["not-a-token"]))
    assert invented.status_code == 404
    assert client.get(new).status_code == 200
    org.vendedor_norte.is_active = False
    org.vendedor_norte.save()
    assert client.get(new).status_code == 404


def test_month_week_and_day_pages_show_the_task_on_its_day(client, org, django_assert_max_num_queries):
    task = make_task(org.vendedor_norte, org.north_account, title="Visita a faena", next_action_date=TODAY,
                     next_action_time=datetime.time(9, 30))
    client.force_login(org.vendedor_norte)
    for view in ("month", "week", "day"):
        with django_assert_max_num_queries(20):
            response = client.get(reverse("work:calendar"), {"view": view, "day": "2026-04-15"})
        assert [item.record for item in response.context["items"]] == [task]
        assert "09:30 Visita a faena" in response.content.decode()


def test_dragging_reschedules_only_what_the_user_may_change(client, org):
    task = make_task(org.vendedor_norte, org.north_account, next_action_date=TODAY)
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("work:task_reschedule", args=[task.pk]), {"day": "2026-04-22"})
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.next_action_date == datetime.date(2026, 4, 22)
    assert client.post(reverse("work:task_reschedule", args=[task.pk]), {"day": "nope"}).status_code == 422
    client.force_login(org.vendedor_sur)
    assert client.post(reverse("work:task_reschedule", args=[task.pk]), {"day": "2026-04-23"}).status_code == 404


def test_a_single_task_downloads_as_a_valid_ics(client, org):
    task = make_task(org.vendedor_norte, org.north_account, title="Llamar", next_action_date=TODAY)
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("work:task_ics", args=[task.pk]))
    parsed = Calendar.from_ical(response.content)
    (event,) = parsed.walk("VEVENT")
    assert str(event["summary"]) == "Llamar" and event.decoded("dtstart") == TODAY
    client.force_login(org.vendedor_sur)
    assert client.get(reverse("work:task_ics", args=[task.pk])).status_code == 404


def _meeting(owner, account, subject, *participants, at=datetime.datetime(2026, 4, 15, 18, tzinfo=datetime.timezone.utc)):
    activity = create_record(Activity(kind="meeting", subject=subject, owner=owner, account=account, status="planned",
                                      occurred_at=at), by=owner)
    activity.participants.add(*participants)
    return activity


def test_activities_the_user_takes_part_in_are_on_the_calendar_the_feed_and_my_day(client, org):
    # vendedor.norte2 owns the north meeting and invites vendedor.norte, who may see it (the manager's line
    # does not see a colleague's records: the account is vendedor.norte's own).
    meeting = _meeting(org.vendedor_norte2, org.north_account, "Reunión con mantención", org.vendedor_norte)
    _meeting(org.vendedor_norte2, org.north_account, "Reunión sin él")
    found = [item.record for item in calendar.items(org.vendedor_norte, TODAY, TODAY)]
    assert found == [meeting]
    client.force_login(org.vendedor_norte)
    assert f"activity-{meeting.pk}@vinculo" in uids(client.get(calendar.feed_url(org.vendedor_norte)).content)
    home = client.get(reverse("home"))
    assert [activity.subject for activity in home.context["day"]["activities"]] == ["Reunión con mantención"]


def test_taking_part_reveals_nothing_the_user_may_not_see(org):
    # A south meeting naming vendedor.norte as a participant: its account is out of his sight.
    _meeting(org.vendedor_sur, org.south_account, "Reunión del sur", org.vendedor_norte)
    assert calendar.items(org.vendedor_norte, TODAY, TODAY) == []


def test_a_meeting_of_two_team_members_comes_once_in_the_team_view(org):
    meeting = _meeting(org.vendedor_norte, org.north_account, "Reunión de zona", org.vendedor_norte,
                       org.vendedor_norte2, org.gerente_norte)
    found = [item.record for item in calendar.items(org.gerente_norte, TODAY, TODAY, team=True)]
    assert found == [meeting]
