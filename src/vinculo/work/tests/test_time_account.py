"""Each time entry keeps its task's customer (TimeEntry.account), through every way a task changes customer;
the time report sums the access policy's parts (Policy.parts), shows the first lines and pages the rest."""

import datetime

import pytest
from django.urls import reverse

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core.tests.api_client import ApiClient
from vinculo.sales.conversion import convert_lead
from vinculo.sales.tests.factories import LeadFactory
from vinculo.work import reports, services
from vinculo.work.models import TimeEntry
from vinculo.work.views import reports as report_views

from .conftest import TODAY
from .factories import log, make_project, make_task

DAY = datetime.timedelta(days=1)


def accounts_of(*entries):
    return [TimeEntry.all_objects.get(pk=entry.pk).account_id for entry in entries]


def test_an_entry_takes_its_tasks_customer(org):
    in_project = make_task(org.vendedor_norte, project=make_project(org.north_account, org.vendedor_norte))
    about_contact = make_task(org.vendedor_norte, org.north_contact)
    assert accounts_of(log(in_project, org.vendedor_norte), log(about_contact, org.vendedor_norte)) == [
        org.north_account.pk, org.north_account.pk]


def test_the_entries_follow_their_task_to_another_customer(org):
    task = make_task(org.vendedor_norte, org.north_account)
    entry = log(task, org.vendedor_norte)
    other = AccountFactory(owner=org.vendedor_norte)
    task.account = other  # what the task form changes for a task about an account
    services.update_task(task, by=org.vendedor_norte)
    assert accounts_of(entry) == [other.pk]
    task = type(task).objects.get(pk=task.pk)  # loaded afresh, then about a contact of the first customer
    task.regarding, task.account = org.north_contact, None
    services.update_task(task, by=org.vendedor_norte)
    assert accounts_of(entry) == [org.north_account.pk]


def test_the_entries_follow_a_project_moved_to_another_customer(org):
    project = make_project(org.north_account, org.vendedor_norte)
    entries = [log(make_task(org.vendedor_norte, project=project), org.vendedor_norte, date=TODAY - n * DAY)
               for n in range(2)]
    untouched = log(make_task(org.vendedor_norte, org.north_account), org.vendedor_norte)
    other = AccountFactory(owner=org.vendedor_norte)
    project.account = other
    project.save()
    assert accounts_of(*entries, untouched) == [other.pk, other.pk, org.north_account.pk]
    assert set(project.tasks.values_list("account_id", flat=True)) == {other.pk}


def test_the_entries_of_a_converted_leads_tasks_go_to_its_account(org):
    lead = LeadFactory(owner=org.vendedor_norte, company="Constructora Andes SpA")
    entry = log(make_task(org.vendedor_norte, lead), org.vendedor_norte)
    assert accounts_of(entry) == [None]
    result = convert_lead(lead, by=org.vendedor_norte)
    assert accounts_of(entry) == [result.account.pk]


@pytest.fixture
def spread(org):
    """Time by four people on tasks of both zones: each reader's visible time is a hand count."""
    north = make_task(org.vendedor_norte, org.north_account)
    south = make_task(org.vendedor_sur, org.south_account)
    log(north, org.vendedor_norte, minutes=60)
    log(north, org.gerente_norte, minutes=20)  # the manager's, on a task the rep sees
    log(south, org.vendedor_sur, minutes=45)
    log(south, org.gerente_sur, minutes=5)
    return north, south


@pytest.mark.parametrize("reader, expected", [
    ("director", {"Minera Norte Grande SpA": 80, "Pesquera Sur Austral SpA": 50}),
    ("gerente_norte", {"Minera Norte Grande SpA": 80}),
    ("vendedor_norte", {"Minera Norte Grande SpA": 80}),
    ("gerente_sur", {"Pesquera Sur Austral SpA": 50}),
])
def test_the_sum_over_the_policys_parts_is_the_visible_time(org, spread, reader, expected):
    user = getattr(org, reader)
    lines, total = reports.summary(user, "account", TODAY - DAY, TODAY)
    assert {line.label: line.minutes for line in lines} == expected and total == sum(expected.values())
    visible = TimeEntry.objects.visible_to(user)
    parts = TimeEntry.policy.parts(TimeEntry.objects.all(), user)
    ids = [set(part.values_list("pk", flat=True)) for part in parts]
    assert set().union(*ids) == set(visible.values_list("pk", flat=True))
    assert sum(len(part) for part in ids) == len(set().union(*ids))  # disjoint


def test_an_outsider_and_a_signed_out_user_sum_nothing(org, spread, django_user_model):
    outsider = django_user_model.objects.create_user("ajeno", password="x")
    assert reports.summary(outsider, "account", TODAY - DAY, TODAY) == ([], 0)
    assert TimeEntry.policy.parts(TimeEntry.objects.all(), None) == []


def test_the_page_shows_the_first_lines_and_the_rest_as_one(client, org, monkeypatch, django_assert_max_num_queries):
    for n, minutes in enumerate((50, 40, 30)):
        account = AccountFactory(owner=org.vendedor_norte, legal_name=f"Cliente {n}")
        log(make_task(org.vendedor_norte, account), org.vendedor_norte, minutes=minutes)
    monkeypatch.setattr(report_views, "SHOWN", 2)
    client.force_login(org.vendedor_norte)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("work:time_report"), {"date_from": "2026-04-01", "date_to": "2026-04-15"})
    assert [(line.label, line.minutes) for line in response.context["lines"]] == [("Cliente 0", 50), ("Cliente 1", 40)]
    assert (response.context["rest_count"], response.context["rest"], response.context["total"]) == (1, 30, 120)


def test_the_summary_api_pages_its_lines_with_the_total_over_all(org):
    for n, minutes in enumerate((50, 40, 30)):
        account = AccountFactory(owner=org.vendedor_norte, legal_name=f"Cliente {n}")
        log(make_task(org.vendedor_norte, account), org.vendedor_norte, minutes=minutes)
    api = ApiClient(org.vendedor_norte)
    body = api.get("/time-entries/summary", by="account", limit=2, offset=1, date_from="2026-04-01").json()
    assert [item["minutes"] for item in body["items"]] == [40, 30]
    assert (body["count"], body["total_minutes"]) == (3, 120)
    assert len(api.get("/time-entries/summary", by="account", limit=500).json()["items"]) == 3  # capped at 200
