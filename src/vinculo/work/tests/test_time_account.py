"""Each time entry keeps its task's customer (TimeEntry.account), through every way a task changes customer;
the time report sums the access policy's parts (Policy.parts), shows the first lines and pages the rest."""

import datetime
from collections import Counter

import pytest
from django.urls import reverse

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core import services as core_services
from vinculo.core.tests.api_client import ApiClient
from vinculo.sales.conversion import convert_lead
from vinculo.sales.tests.factories import LeadFactory
from vinculo.work import reports, services
from vinculo.work.models import Project, TimeEntry
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



@pytest.fixture
def crossing(org):
    """Time logged by people outside the north's line on tasks the north may or may not see: through a person
    named on the task, through the task's subject, on a task in the recycle bin; and the north's own time on
    tasks it may not see."""
    named = make_task(org.vendedor_sur, org.south_account, controller=org.vendedor_norte)  # the south's customer
    about_contact = make_task(org.director, org.north_contact, responsible=org.vendedor_sur,
                              controller=org.gerente_sur)
    project = services.create_project(Project(account=org.south_account, owner=org.vendedor_norte, year=2026,
                                              name="Sur 2026"), by=org.vendedor_sur)
    in_project = make_task(org.vendedor_sur, project=project)
    south_only = make_task(org.vendedor_sur, org.south_account, controller=org.vendedor_norte2)
    binned = make_task(org.vendedor_sur, org.south_account, controller=org.vendedor_norte)
    log(named, org.vendedor_sur, minutes=11)
    log(named, org.gerente_sur, minutes=13, date=TODAY - DAY)
    log(about_contact, org.vendedor_sur, minutes=17)
    log(in_project, org.gerente_sur, minutes=19)
    log(south_only, org.vendedor_sur, minutes=23)
    log(binned, org.vendedor_sur, minutes=29)
    log(binned, org.vendedor_norte, minutes=31)
    log(south_only, org.vendedor_norte2, minutes=37)
    log(named, org.vendedor_sur, minutes=41, date=TODAY - 10 * DAY)  # outside the range
    core_services.soft_delete(binned, by=org.vendedor_sur)
    south_only.controller = org.gerente_sur  # the north no longer named on it
    services.update_task(south_only, by=org.vendedor_sur)


def test_a_managers_time_per_customer_is_the_hand_sum_of_what_the_policy_lets_them_see(org, crossing):
    """The north's line sees 11 + 13 (one of its reps controls the task), 17 (about a contact of its
    customer), 19 (in a project its rep owns), 31 and 37 (its own time, on a task in the recycle bin and on one
    it may no longer see); not 23 (the south's task, by the south) nor 29 (on a task in the recycle bin)."""
    since = TODAY - DAY
    assert dict(reports.minutes_by(org.gerente_norte, "account", since, TODAY)) == {
        org.south_account.pk: 11 + 13 + 19 + 31 + 37, org.north_account.pk: 17}
    assert dict(reports.minutes_by(org.gerente_norte, "user", since, TODAY)) == {
        org.vendedor_sur.pk: 11 + 17, org.gerente_sur.pk: 13 + 19, org.vendedor_norte.pk: 31,
        org.vendedor_norte2.pk: 37}
    # A rep of the north sees the task they control, their customer's contact's and their project's; the
    # other rep, named nowhere now, only their own time.
    assert dict(reports.minutes_by(org.vendedor_norte, "account", since, TODAY)) == {
        org.south_account.pk: 11 + 13 + 19 + 31, org.north_account.pk: 17}
    assert dict(reports.minutes_by(org.vendedor_norte2, "account", since, TODAY)) == {org.south_account.pk: 37}
    assert dict(reports.minutes_by(org.director, "account", since, TODAY)) == {
        org.south_account.pk: 11 + 13 + 19 + 23 + 29 + 31 + 37, org.north_account.pk: 17}


@pytest.mark.parametrize("reader", ["gerente_norte", "vendedor_norte", "vendedor_norte2", "gerente_sur", "director"])
def test_the_report_sums_exactly_the_entries_the_access_policy_shows(org, crossing, reader):
    user = getattr(org, reader)
    by_hand = Counter()
    for account_id, minutes in TimeEntry.objects.visible_to(user).filter(
            date__gte=TODAY - DAY, date__lte=TODAY).values_list("account_id", "minutes"):
        by_hand[account_id] += minutes
    assert dict(reports.minutes_by(user, "account", TODAY - DAY, TODAY)) == dict(by_hand)


def visible_minutes(user, since, until) -> dict:
    by_hand = Counter()
    for account_id, minutes in TimeEntry.objects.visible_to(user).filter(
            date__gte=since, date__lte=until).values_list("account_id", "minutes"):
        by_hand[account_id] += minutes
    return dict(by_hand)


def test_the_tasks_are_asked_only_when_someone_outside_the_readers_line_logged_time(org, spread):
    """`spread`'s time was all logged below the director: their line's part alone is the report (80 north,
    50 south), the tasks' rule is not built. Finance shares the director's role, so is not below it: once it
    logs time in the range the tasks are asked — its 7 minutes on a task about the north's customer count
    (the director sees the task through its customer), its 9 on a task about finance's own customer do not.
    Finance's time before the range does not count as logged outside the line."""
    since = TODAY - DAY
    entries = reports._in_range(since, TODAY)
    own = AccountFactory(owner=org.finance, legal_name="Finanzas Internas SpA")
    hidden = make_task(org.finance, own)
    on_north = make_task(org.vendedor_norte, org.north_account, responsible=org.finance)
    log(hidden, org.finance, minutes=9, date=since - DAY)
    assert len(TimeEntry.policy.parts(entries, org.director, until_covered=True)) == 1
    assert len(TimeEntry.policy.parts(entries, org.gerente_norte, until_covered=True)) == 2  # the south's time
    expected = {org.north_account.pk: 80, org.south_account.pk: 50}
    assert reports.minutes_by(org.director, "account", since, TODAY) == expected == visible_minutes(
        org.director, since, TODAY)
    log(on_north, org.finance, minutes=7)
    log(hidden, org.finance, minutes=9)
    assert len(TimeEntry.policy.parts(entries, org.director, until_covered=True)) == 2
    expected = {org.north_account.pk: 80 + 7, org.south_account.pk: 50}
    assert reports.minutes_by(org.director, "account", since, TODAY) == expected == visible_minutes(
        org.director, since, TODAY)
