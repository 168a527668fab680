"""The task list's predefined view "tasks I must control"."""

import pytest
from django.urls import reverse

from vinculo.work.models import Task
from vinculo.work.tests.factories import make_task

pytestmark = pytest.mark.django_db


def test_tasks_i_must_control_are_my_open_tasks_as_controller(client, org):
    boss, rep = org.gerente_norte, org.vendedor_norte
    make_task(rep, org.north_account, title="rep's, boss controls", responsible=rep, controller=boss)
    done = make_task(rep, org.north_account, title="done, boss controls", responsible=rep, controller=boss)
    Task.objects.filter(pk=done.pk).update(status=Task.Status.DONE)
    make_task(boss, org.north_account, title="boss's own, director controls", responsible=boss,
              controller=org.director)
    make_task(rep, org.north_account, title="rep's, rep controls", responsible=rep, controller=rep)
    client.force_login(boss)
    menu = client.get(reverse("work:task_list")).context["views_menu"]
    link = next(preset["url"] for preset in menu["presets"] if "preset=to-control" in preset["url"])
    assert {task.title for task in client.get(link).context["tasks"]} == {"rep's, boss controls"}
