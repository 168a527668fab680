"""Task types and origins administered in the app: administrators add and change them (every change in the
type's history), a new type then fills in the wizard's form; everyone else gets 403 and no menu entry."""

import pytest
from django.urls import reverse

from vinculo.core.models import ChangeLog
from vinculo.work.models import Priority, TaskOrigin, TaskType

from .conftest import TODAY

pytestmark = pytest.mark.django_db

NEW_TYPE = {
    "type-name": "Presentación zona norte", "type-description": "Presentar la línea de productos.",
    "type-responsible_rule": "account_owner", "type-controller_rule": "responsible_manager",
    "type-priority": str(Priority.HIGH), "type-next_action_days": "2", "type-due_days": "5", "type-active": "on",
}


def test_an_administrator_adds_a_type_that_then_fills_in_the_wizard(client, org):
    client.force_login(org.admin)
    response = client.post(reverse("work:types_add", args=["type"]), NEW_TYPE)
    assert response.status_code == 302
    task_type = TaskType.objects.get(name="Presentación zona norte")
    assert (task_type.responsible_rule, task_type.controller_rule, task_type.priority, task_type.next_action_days,
            task_type.due_days) == ("account_owner", "responsible_manager", Priority.HIGH, 2, 5)
    assert ChangeLog.objects.filter(object_id=task_type.pk, action=ChangeLog.Action.CREATE).count() == 1
    assert "Presentación zona norte" in client.get(reverse("work:types")).content.decode()

    # The rep creates a task of the new type on the account: the rep (its owner) does it, the rep's manager
    # checks it, the next action 2 days from today (15-04-2026) and due in 5.
    client.force_login(org.vendedor_norte)
    form = client.get(reverse("work:task_create"), {"account": org.north_account.pk, "type": task_type.pk}).context["form"]
    assert form.instance.responsible == org.vendedor_norte
    assert form.instance.controller == org.gerente_norte
    assert str(form.instance.next_action_date) == "2026-04-17" and str(form.instance.due_date) == "2026-04-20"
    assert TODAY.isoformat() == "2026-04-15"


def test_an_administrator_changes_a_type_and_takes_it_out_of_use(client, org):
    task_type = TaskType.objects.create(name="Visita técnica", priority=Priority.NORMAL)
    client.force_login(org.admin)
    page = client.get(reverse("work:types_edit", args=["type", task_type.pk]))
    assert page.status_code == 200 and page.context["forms"]["type"].instance == task_type
    data = {**NEW_TYPE, "type-name": "Visita técnica", "type-priority": str(Priority.LOW)}
    del data["type-active"]
    assert client.post(reverse("work:types_edit", args=["type", task_type.pk]), data).status_code == 302
    task_type.refresh_from_db()
    assert (task_type.priority, task_type.active) == (Priority.LOW, False)
    change = ChangeLog.objects.get(object_id=task_type.pk, action=ChangeLog.Action.UPDATE)
    assert {item["field"] for item in change.changes} >= {"priority", "active"}
    # Out of use: the wizard no longer offers it.
    client.force_login(org.vendedor_norte)
    offered = client.get(reverse("work:task_create"), {"account": org.north_account.pk}).context["types"]
    assert task_type not in offered


def test_an_origin_is_added_and_renamed(client, org):
    client.force_login(org.admin)
    assert client.post(reverse("work:types_add", args=["origin"]),
                       {"origin-name": "Licitación", "origin-active": "on"}).status_code == 302
    origin = TaskOrigin.objects.get(name="Licitación")
    client.post(reverse("work:types_edit", args=["origin", origin.pk]),
                {"origin-name": "Licitación pública", "origin-active": "on"})
    origin.refresh_from_db()
    assert origin.name == "Licitación pública"


@pytest.mark.parametrize("change, field", [
    ({"type-name": ""}, "name"),
    ({"type-due_days": "1"}, "due_days"),  # due a day after creation, the next action two days after
    ({"type-next_action_days": "-1"}, "next_action_days"),
    ({"type-priority": "9"}, "priority"),
    ({"type-responsible_rule": "anyone"}, "responsible_rule"),
])
def test_bad_input_is_a_field_error_and_nothing_is_stored(client, org, change, field):
    client.force_login(org.admin)
    response = client.post(reverse("work:types_add", args=["type"]), {**NEW_TYPE, **change})
    assert response.status_code == 422
    assert field in response.context["forms"]["type"].errors
    assert not TaskType.objects.exists()


def test_a_type_name_is_unique(client, org):
    TaskType.objects.create(name="Presentación zona norte")
    client.force_login(org.admin)
    response = client.post(reverse("work:types_add", args=["type"]), NEW_TYPE)
    assert response.status_code == 422 and "name" in response.context["forms"]["type"].errors
    assert TaskType.objects.count() == 1


def test_others_get_403_and_no_menu_entry(client, org):
    task_type = TaskType.objects.create(name="Visita técnica")
    for user in (org.director, org.gerente_norte, org.vendedor_norte):
        client.force_login(user)
        assert client.get(reverse("work:types")).status_code == 403
        assert client.post(reverse("work:types_edit", args=["type", task_type.pk]), NEW_TYPE).status_code == 403
        assert reverse("work:types") not in client.get(reverse("work:task_list")).content.decode()
    task_type.refresh_from_db()
    assert task_type.name == "Visita técnica"
    client.force_login(org.admin)
    assert reverse("work:types") in client.get(reverse("work:task_list")).content.decode()


def test_an_unknown_kind_or_record_is_404(client, org):
    client.force_login(org.admin)
    assert client.get(reverse("work:types_add", args=["priority"])).status_code == 404
    assert client.get(reverse("work:types_edit", args=["type", 999])).status_code == 404


def test_the_page_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries):
    origin = TaskOrigin.objects.create(name="Campaña")
    for n in range(12):
        TaskType.objects.create(name=f"Tipo {n}", origin=origin)
    client.force_login(org.admin)
    client.get(reverse("work:types"))
    with django_assert_max_num_queries(16):
        assert client.get(reverse("work:types")).status_code == 200
