"""Time logged on tasks: what is refused (a clear field error, nothing stored) and who sees it."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from vinculo.work.models import TimeEntry

from .factories import log, make_task

TODAY = datetime.date(2026, 4, 15)



@pytest.fixture
def task(org):
    return make_task(org.vendedor_norte, org.north_account)


def refused(task, by, field, **entry):
    with pytest.raises(ValidationError) as error:
        log(task, by, **entry)
    assert field in error.value.message_dict, error.value.message_dict
    assert not TimeEntry.all_objects.filter(minutes=entry.get("minutes", 30)).exclude(comment="kept").exists()


def test_time_is_logged_for_me_by_default(org, task):
    entry = log(task, org.vendedor_norte, minutes=45, date=TODAY)
    assert (entry.user, entry.minutes, entry.date, entry.created_by) == (org.vendedor_norte, 45, TODAY, org.vendedor_norte)


@pytest.mark.parametrize("minutes", [0, -15])
def test_zero_or_negative_minutes_are_refused(org, task, minutes):
    refused(task, org.vendedor_norte, "minutes", minutes=minutes)


def test_a_future_date_is_refused_and_today_is_accepted(org, task):
    refused(task, org.vendedor_norte, "date", date=TODAY + datetime.timedelta(days=1))
    assert log(task, org.vendedor_norte, date=TODAY).pk


def test_more_than_24_hours_for_one_person_on_one_day_is_refused(org, task):
    other = make_task(org.vendedor_norte, org.north_account, title="Otra")
    log(task, org.vendedor_norte, minutes=1000, date=TODAY, comment="kept")
    log(other, org.vendedor_norte, minutes=440, date=TODAY, comment="kept")  # exactly 1,440: the limit
    refused(task, org.vendedor_norte, "minutes", minutes=1, date=TODAY)
    # Another day, and another person on the same day, start afresh.
    assert log(task, org.vendedor_norte, minutes=1, date=TODAY - datetime.timedelta(days=1)).pk
    assert log(task, org.gerente_norte, minutes=1, date=TODAY).pk
    assert TimeEntry.objects.filter(user=org.vendedor_norte, date=TODAY).count() == 2


def test_one_entry_over_24_hours_is_refused(org, task):
    refused(task, org.vendedor_norte, "minutes", minutes=1441)


def test_time_on_a_task_the_user_cannot_see_is_refused(org, task):
    refused(task, org.vendedor_sur, "task")


def test_time_for_someone_i_do_not_manage_is_refused_and_for_my_rep_accepted(org, task):
    refused(task, org.vendedor_norte, "user", user=org.vendedor_norte2)
    assert log(task, org.gerente_norte, user=org.vendedor_norte).user == org.vendedor_norte


def test_whoever_sees_the_task_sees_its_diary(org, task):
    entry = log(task, org.vendedor_norte)
    assert TimeEntry.objects.visible_to(org.gerente_norte).filter(pk=entry.pk).exists()
    assert not TimeEntry.objects.visible_to(org.vendedor_sur).filter(pk=entry.pk).exists()
    assert not TimeEntry.objects.visible_to(org.vendedor_norte2).filter(pk=entry.pk).exists()
