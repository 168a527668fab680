"""The task explorer, the wizard and the task page."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.org.models import Territory
from vinculo.work import services
from vinculo.work.models import Priority, Task, TaskType, TimeEntry

from .conftest import TODAY
from .factories import log, make_task

DAY = datetime.timedelta(days=1)


def explorer(client, user, **params):
    if client.session.get("_auth_user_id") != str(user.pk):
        client.force_login(user)
    response = client.get(reverse("work:task_list"), params)
    assert response.status_code == 200
    return response


def titles(response) -> list[str]:
    return [task.title for task in response.context["tasks"]]


def test_to_do_is_sorted_by_priority_then_next_action_and_leaves_closed_tasks_out(client, org):
    rep = org.vendedor_norte
    for title, priority, day, status in (
        ("normal soon", Priority.NORMAL, TODAY + DAY, "pending"), ("high late", Priority.HIGH, TODAY + 5 * DAY, "pending"),
        ("high early", Priority.HIGH, TODAY - DAY, "in_progress"), ("low", Priority.LOW, TODAY - 9 * DAY, "pending"),
        ("done", Priority.HIGH, TODAY - 9 * DAY, "done"),
    ):
        make_task(rep, org.north_account, title=title, priority=priority, next_action_date=day, status=status)
    assert titles(explorer(client, rep)) == ["high early", "high late", "normal soon", "low"]
    assert titles(explorer(client, rep, status="done")) == ["done"]


def test_each_view_lists_its_role(client, org):
    make_task(org.gerente_norte, org.north_account, title="norte2 does, norte checks",
              responsible=org.vendedor_norte2, controller=org.vendedor_norte)
    make_task(org.vendedor_norte, org.north_account, title="norte does, created by norte")
    assert titles(explorer(client, org.vendedor_norte, view="todo")) == ["norte does, created by norte"]
    assert titles(explorer(client, org.vendedor_norte, view="control")) == ["norte2 does, norte checks"]
    assert titles(explorer(client, org.gerente_norte, view="created")) == ["norte2 does, norte checks"]
    assert sorted(titles(explorer(client, org.gerente_norte, view="team"))) == [
        "norte does, created by norte", "norte2 does, norte checks"]
    assert titles(explorer(client, org.gerente_sur, view="team")) == []


def test_overdue_and_due_today_rows_are_highlighted(client, org):
    make_task(org.vendedor_norte, org.north_account, title="late", next_action_date=TODAY - DAY)
    make_task(org.vendedor_norte, org.north_account, title="today", next_action_date=TODAY)
    make_task(org.vendedor_norte, org.north_account, title="later", next_action_date=TODAY + DAY)
    page = explorer(client, org.vendedor_norte).content.decode()
    late, today, later = (Task.objects.get(title=t).pk for t in ("late", "today", "later"))
    assert f'id="task-{late}" class="row-danger"' in page
    assert f'id="task-{today}" class="row-warning"' in page
    assert f'id="task-{later}" class=""' in page
    assert titles(explorer(client, org.vendedor_norte, overdue="on")) == ["late"]


def test_filters_on_type_and_priority(client, org):
    visit = TaskType.objects.create(name="Visita")
    make_task(org.vendedor_norte, org.north_account, title="visit", task_type=visit)
    make_task(org.vendedor_norte, org.north_account, title="high", priority=Priority.HIGH)
    assert titles(explorer(client, org.vendedor_norte, task_type=visit.pk)) == ["visit"]
    assert titles(explorer(client, org.vendedor_norte, priority=1)) == ["high"]
    assert titles(explorer(client, org.vendedor_norte, q="vis")) == ["visit"]


def test_the_explorer_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries):
    for n in range(3):
        make_task(org.vendedor_norte, org.north_account, title=f"t{n}")
    explorer(client, org.vendedor_norte)
    cache.clear()  # the count computed afresh both times (core.versioned keeps it until a task is written)
    with django_assert_max_num_queries(25) as few:
        explorer(client, org.vendedor_norte)
    for n in range(25):
        make_task(org.gerente_norte, org.north_account, title=f"more {n}", responsible=org.vendedor_norte)
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = explorer(client, org.vendedor_norte)
    assert (len(response.context["tasks"]), response.context["page_obj"].paginator.count) == (25, 28)


def test_mark_done_in_place_returns_the_row(client, org):
    task = make_task(org.vendedor_norte, org.north_account)
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("work:task_status", args=[task.pk]), {"status": "done"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and f'id="task-{task.pk}"' in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.done_by) == ("done", org.vendedor_norte)


def test_a_reader_cannot_mark_done_and_an_outsider_gets_404(client, org):
    task = make_task(org.vendedor_norte, org.north_account)
    from vinculo.accounts.models import AccountTeamMember

    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur, access=AccountTeamMember.Access.READ)
    client.force_login(org.vendedor_sur)
    page = client.get(task.get_absolute_url()).content.decode()
    assert reverse("work:task_edit", args=[task.pk]) not in page
    assert client.post(reverse("work:task_status", args=[task.pk]), {"status": "done"}).status_code == 403
    client.force_login(org.gerente_sur)
    assert client.get(task.get_absolute_url()).status_code == 404
    assert client.post(reverse("work:task_status", args=[task.pk]), {"status": "done"}).status_code == 404
    task.refresh_from_db()
    assert task.status == "pending"


def test_bulk_reassign_changes_only_what_the_user_may_change(client, org):
    mine = make_task(org.vendedor_norte, org.north_account, title="mine")
    theirs = make_task(org.vendedor_sur, org.south_account, title="theirs")
    client.force_login(org.vendedor_norte)
    client.post(reverse("work:task_bulk"), {"task": [mine.pk, theirs.pk], "responsible": org.vendedor_norte2.pk})
    assert dict(Task.objects.values_list("title", "responsible__username")) == {
        "mine": "vendedor.norte2", "theirs": "vendedor.sur"}


@pytest.fixture
def zones(org):
    """Two zones with their reps: the north rep and the south rep are assigned to them, and their managers
    (assigned too) are left out by the rule."""
    north = Territory.objects.create(name="Zona norte")
    south = Territory.objects.create(name="Zona sur")
    org.vendedor_norte.territories.add(north)
    org.gerente_norte.territories.add(north)
    org.vendedor_sur.territories.add(south)
    org.north_account.territory = north
    org.north_account.save()
    org.south_account.territory = south
    org.south_account.save()
    return north, south


def test_a_task_type_rule_assigns_the_zone_rep_and_their_manager_in_two_territories(org, zones):
    presentation = TaskType.objects.create(
        name="Presentación zona norte", responsible_rule=TaskType.Responsible.TERRITORY_REP,
        controller_rule=TaskType.Controller.RESPONSIBLE_MANAGER, priority=Priority.HIGH, next_action_days=2)
    north = services.preset(presentation, org.north_account, by=org.director)
    south = services.preset(presentation, org.south_account, by=org.director)
    assert (north["responsible"], north["controller"]) == (org.vendedor_norte, org.gerente_norte)
    assert (south["responsible"], south["controller"]) == (org.vendedor_sur, org.gerente_sur)
    assert (north["priority"], north["next_action_date"]) == (Priority.HIGH, datetime.date(2026, 4, 17))


def test_an_account_without_a_rep_in_its_zone_falls_back_to_the_zone_above_then_to_the_creator(org, zones):
    north, _south = zones
    sub = Territory.objects.create(name="Antofagasta", parent=north)
    account = AccountFactory(owner=org.vendedor_norte, territory=sub)
    rule = TaskType.objects.create(name="Visita", responsible_rule=TaskType.Responsible.TERRITORY_REP)
    assert services.preset(rule, account, by=org.director)["responsible"] == org.vendedor_norte
    lonely = AccountFactory(owner=org.vendedor_norte, territory=Territory.objects.create(name="Isla"))
    assert services.preset(rule, lonely, by=org.director)["responsible"] == org.director


def test_the_wizard_goes_from_account_to_type_to_a_prefilled_form(client, org, zones):
    presentation = TaskType.objects.create(
        name="Presentación zona norte", responsible_rule=TaskType.Responsible.TERRITORY_REP,
        priority=Priority.HIGH, next_action_days=2)
    client.force_login(org.director)
    url = reverse("work:task_create")
    assert client.get(url).status_code == 200
    step = client.get(url, {"step": "subject", "pick-account": org.north_account.pk})
    assert step.status_code == 302 and step.url == f"{url}?account={org.north_account.pk}"
    assert presentation.name in client.get(step.url).content.decode()
    form = client.get(url, {"account": org.north_account.pk, "type": presentation.pk}).context["form"]
    assert (form.initial["responsible"], form.initial["controller"], form.initial["priority"]) == (
        org.vendedor_norte.pk, org.gerente_norte.pk, Priority.HIGH)
    response = client.post(f"{url}?account={org.north_account.pk}&type={presentation.pk}", {
        "title": "Presentación", "task_type": presentation.pk, "priority": 1, "responsible": org.vendedor_norte.pk,
        "controller": org.gerente_norte.pk, "next_action_date": "2026-04-17", "creator": org.vendedor_sur.pk,
    })
    assert response.status_code == 302, response.context["form"].errors
    task = Task.objects.get()
    assert response.url == task.get_absolute_url()
    assert (task.creator, task.regarding, task.responsible) == (org.director, org.north_account, org.vendedor_norte)


def test_the_wizard_refuses_an_account_the_user_cannot_see(client, org):
    client.force_login(org.vendedor_sur)
    assert client.get(reverse("work:task_create"), {"account": org.north_account.pk}).status_code == 404


def test_the_task_page_shows_the_diary_newest_first_with_its_total(client, org, django_assert_max_num_queries):
    task = make_task(org.vendedor_norte, org.north_account)
    log(task, org.vendedor_norte, minutes=30, date=TODAY - 2 * DAY, comment="primera")
    log(task, org.vendedor_norte, minutes=45, date=TODAY, comment="segunda")
    client.force_login(org.vendedor_norte)
    with django_assert_max_num_queries(20):
        response = client.get(task.get_absolute_url())
    assert [entry.comment for entry in response.context["diary"]] == ["segunda", "primera"]
    assert response.context["total_minutes"] == 75


def test_logging_time_on_the_page_refuses_bad_input_with_a_field_error(client, org):
    task = make_task(org.vendedor_norte, org.north_account)
    client.force_login(org.vendedor_norte)
    url = reverse("work:time_create", args=[task.pk])
    response = client.post(url, {"date": "2026-04-16", "minutes": 30})
    assert response.status_code == 422 and "date" in response.context["time_form"].errors
    response = client.post(url, {"date": "2026-04-15", "minutes": 0})
    assert response.status_code == 422 and "minutes" in response.context["time_form"].errors
    assert not TimeEntry.objects.exists()
    assert client.post(url, {"date": "2026-04-15", "minutes": 30}).status_code == 302
    assert TimeEntry.objects.get().user == org.vendedor_norte


def test_every_view_of_the_explorer_holds_only_tasks_the_user_may_see_and_change(client, org):
    """The explorer skips `visible_to` and `editable_by` (explorer.in_view): each view must stay within
    the access policy, whoever asks."""
    people = [org.vendedor_norte, org.vendedor_norte2, org.gerente_norte, org.vendedor_sur, org.director]
    for n, (creator, responsible, controller) in enumerate([
        (org.vendedor_norte, org.vendedor_norte, org.gerente_norte),
        (org.gerente_norte, org.vendedor_norte2, org.vendedor_norte),
        (org.vendedor_sur, org.vendedor_sur, org.gerente_sur),
        (org.director, org.vendedor_sur, org.vendedor_norte),
        (org.vendedor_norte, org.vendedor_sur, org.vendedor_sur),
    ]):
        subject = org.south_account if creator == org.vendedor_sur else org.north_account
        make_task(creator, subject, title=f"t{n}", responsible=responsible,
                  controller=controller)
    for user in people:
        visible = set(Task.objects.visible_to(user).values_list("title", flat=True))
        editable = set(Task.objects.editable_by(user).values_list("title", flat=True))
        for view in ("todo", "control", "created", "team"):
            shown = set(titles(explorer(client, user, view=view, status="")))
            assert shown <= visible and shown <= editable, (user, view)
    assert set(titles(explorer(client, org.vendedor_norte, view="control", status=""))) == {"t1", "t3"}
    assert set(titles(explorer(client, org.director, view="team", status=""))) == {f"t{n}" for n in range(5)}


def test_the_explorer_pages_open_tasks_in_the_worklist_order_across_statuses(client, org, settings,
                                                                            django_assert_max_num_queries):
    """Each page is read one open status at a time (explorer.Worklist) and merged: the pages follow the
    worklist order of all open tasks, without gaps or repeats."""
    rep = org.vendedor_norte
    for n in range(7):
        make_task(rep, org.north_account, title=f"t{n}", status=["pending", "in_progress"][n % 2],
                  priority=[Priority.HIGH, Priority.LOW][n % 3 == 0], next_action_date=TODAY - n * DAY)
    make_task(rep, org.north_account, title="closed", status="done")
    settings.VINCULO = {**settings.VINCULO, "PAGE_SIZE": 3}
    expected = [task.title for task in Task.objects.filter(responsible=rep).open().worklist_order()]
    client.force_login(rep)
    with django_assert_max_num_queries(25):
        first = explorer(client, rep)
    pages = [titles(first), titles(explorer(client, rep, page=2)), titles(explorer(client, rep, page=3))]
    assert [title for page in pages for title in page] == expected and len(expected) == 7
    assert first.context["page_obj"].paginator.count == 7
