"""Tasks: who may read and change them, the creator, status and done, overdue; the activity tasks' move."""

import datetime
import importlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from vinculo.activities.models import Activity
from vinculo.work import services
from vinculo.work.models import Task

from .conftest import NOW
from .factories import make_project, make_task

TODAY = datetime.date(2026, 4, 15)



@pytest.fixture
def task(org):
    """Created by the north manager, done by the second north rep, checked by the first, about the north
    account (owned by vendedor.norte)."""
    return make_task(org.gerente_norte, org.north_account, responsible=org.vendedor_norte2,
                     controller=org.vendedor_norte)


def readers(task):
    return set(Task.policy.users_who_may_see(task).values_list("username", flat=True))


def editors(task):
    return set(Task.policy.users_who_may_edit(task).values_list("username", flat=True))


def test_the_people_on_a_task_and_their_managers_edit_it_and_subject_readers_only_read(org, task):
    # The people on it and every role above theirs (finanzas and catalogo hold the director's role); the
    # account is private to vendedor.norte's line, so the subject adds no reader.
    expected_editors = {"admin", "director", "finanzas", "catalogo", "gerente.norte", "vendedor.norte",
                        "vendedor.norte2"}
    assert editors(task) == expected_editors
    assert readers(task) == expected_editors
    for user in (org.admin, org.director, org.gerente_norte, org.vendedor_norte, org.vendedor_norte2):
        assert Task.objects.editable_by(user).filter(pk=task.pk).exists(), user
    for user in (org.gerente_sur, org.vendedor_sur):
        assert not Task.objects.visible_to(user).filter(pk=task.pk).exists(), user


def test_whoever_may_see_the_subject_reads_the_task_but_may_not_change_it(org):
    # The south rep's task about the south account, checked by the south manager: the director sees the
    # account through the role line and edits as the people's manager; a north rep given the account's
    # team reads only.
    task = make_task(org.vendedor_sur, org.south_account)
    from vinculo.accounts.models import AccountTeamMember

    AccountTeamMember.objects.create(account=org.south_account, user=org.vendedor_norte,
                                     access=AccountTeamMember.Access.READ)
    assert Task.objects.visible_to(org.vendedor_norte).filter(pk=task.pk).exists()
    assert not Task.objects.editable_by(org.vendedor_norte).filter(pk=task.pk).exists()
    assert "vendedor.norte" in readers(task) and "vendedor.norte" not in editors(task)
    task.title = "Cambiado"
    with pytest.raises(PermissionDenied):
        services.update_task(task, by=org.vendedor_norte)


def test_the_creator_is_who_created_it_and_stays_so(org, task):
    assert task.creator == org.gerente_norte
    task.creator = org.vendedor_sur
    task.title = "Llamar de nuevo"
    services.update_task(task, by=org.vendedor_norte)
    task.refresh_from_db()
    assert task.creator == org.gerente_norte and task.title == "Llamar de nuevo"


def test_a_task_about_a_record_its_creator_cannot_see_is_refused(org):
    with pytest.raises(ValidationError) as error:
        make_task(org.vendedor_sur, org.north_account)
    assert "regarding_id" in error.value.message_dict
    assert not Task.objects.exists()


def test_an_inactive_responsible_is_refused(org):
    org.vendedor_norte2.is_active = False
    org.vendedor_norte2.save()
    with pytest.raises(ValidationError) as error:
        make_task(org.vendedor_norte, org.north_account, responsible=org.vendedor_norte2)
    assert "responsible" in error.value.message_dict


def test_a_task_in_a_project_is_about_the_project_and_its_customer(org):
    project = make_project(org.north_account, org.vendedor_norte)
    task = make_task(org.vendedor_norte, project=project)
    assert (task.regarding, task.account) == (project, org.north_account)
    # Whoever may see the project reads the task: the project's customer is the north account.
    assert "gerente.norte" in readers(task) and "vendedor.sur" not in readers(task)


def test_done_records_who_and_when_and_reopening_clears_it(org, task):
    services.set_status(task, Task.Status.IN_PROGRESS, by=org.vendedor_norte2)
    services.set_status(task, Task.Status.DONE, by=org.vendedor_norte)
    task.refresh_from_db()
    assert (task.done_by, task.done_at) == (org.vendedor_norte, NOW)
    services.set_status(task, Task.Status.PENDING, by=org.vendedor_norte2)
    task.refresh_from_db()
    assert (task.done_by, task.done_at) == (None, None)


def test_a_cancelled_task_cannot_be_marked_done_without_reopening(org, task):
    services.set_status(task, Task.Status.CANCELLED, by=org.vendedor_norte2)
    with pytest.raises(ValidationError) as error:
        services.set_status(task, Task.Status.DONE, by=org.vendedor_norte2)
    assert "status" in error.value.message_dict


@pytest.mark.parametrize(("next_action", "due", "status", "overdue", "due_today"), [
    (TODAY - datetime.timedelta(days=1), None, Task.Status.PENDING, True, False),
    (TODAY, None, Task.Status.PENDING, False, True),
    (TODAY, TODAY, Task.Status.IN_PROGRESS, False, True),
    (TODAY + datetime.timedelta(days=1), None, Task.Status.PENDING, False, False),
    (TODAY - datetime.timedelta(days=3), TODAY - datetime.timedelta(days=1), Task.Status.IN_PROGRESS, True, False),
    (TODAY - datetime.timedelta(days=1), None, Task.Status.DONE, False, False),
    (TODAY - datetime.timedelta(days=1), None, Task.Status.CANCELLED, False, False),
])
def test_overdue_means_open_with_next_action_or_due_date_passed(org, next_action, due, status, overdue, due_today):
    task = make_task(org.vendedor_norte, org.north_account, next_action_date=next_action, due_date=due, status=status)
    assert (task.is_overdue, task.is_due_today) == (overdue, due_today)
    assert Task.objects.overdue().filter(pk=task.pk).exists() == overdue
    assert Task.objects.due_today().filter(pk=task.pk).exists() == due_today


def test_the_due_date_cannot_come_before_the_next_action(org):
    with pytest.raises(ValidationError) as error:
        make_task(org.vendedor_norte, org.north_account, next_action_date=TODAY, due_date=TODAY - datetime.timedelta(days=1))
    assert "due_date" in error.value.message_dict


def test_bulk_change_applies_where_the_user_may_edit_and_refuses_the_rest(org, task):
    own = make_task(org.vendedor_sur, org.south_account)
    changed, refused = services.bulk_change([task, own], org.gerente_norte, status=Task.Status.IN_PROGRESS)
    assert (changed, refused) == ([task], [own])
    assert set(Task.objects.values_list("pk", "status")) == {(task.pk, "in_progress"), (own.pk, "pending")}


def test_the_migration_turns_activity_tasks_into_tasks_with_their_history(org, django_user_model):
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    from vinculo.core.models import ChangeLog
    from vinculo.core.services import create_record

    when = datetime.datetime(2026, 3, 10, 13, 30, tzinfo=datetime.timezone.utc)  # 10:30 in Santiago
    planned = Activity(kind="task", status="planned", subject="Enviar catálogo", occurred_at=when,
                       owner=org.vendedor_norte, account=org.north_account)
    create_record(planned, by=org.gerente_norte, validate=False)
    done = Activity(kind="task", status="done", subject="Cotizar repuestos", occurred_at=when,
                    owner=org.vendedor_sur, account=org.south_account)
    create_record(done, by=org.vendedor_sur, validate=False)
    call = Activity(kind="call", status="done", subject="Llamada", occurred_at=when, owner=org.vendedor_norte,
                    account=org.north_account)
    create_record(call, by=org.vendedor_norte)

    importlib.import_module("vinculo.work.migrations.0002_tasks_from_activities").forwards(apps, None)

    assert list(Activity.all_objects.values_list("pk", flat=True)) == [call.pk]
    first, second = Task.objects.order_by("pk")
    assert (first.title, first.responsible, first.controller, first.creator, first.status, first.account) == (
        "Enviar catálogo", org.vendedor_norte, org.gerente_norte, org.gerente_norte, "pending", org.north_account)
    assert (first.next_action_date, first.next_action_time) == (datetime.date(2026, 3, 10), datetime.time(10, 30))
    assert first.regarding == org.north_account
    assert (second.status, second.done_by, second.controller) == ("done", org.vendedor_sur, org.gerente_sur)
    assert ChangeLog.objects.filter(content_type=ContentType.objects.get_for_model(Task), object_id=first.pk).exists()
