"""core.schedule: a registered job runs when its interval has passed since it last ran, once, and a job
that fails is logged and runs again at the next check."""

import datetime

import pytest
from django.utils import timezone

from vinculo.core import schedule
from vinculo.core.models import ScheduledRun

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2026, 12, 6, 9, 0))


@pytest.fixture
def clock(monkeypatch):
    """Minutes after 9:00; jobs of the test only (not those the apps register)."""
    monkeypatch.setattr(schedule, "JOBS", {})
    state = {"at": START}
    monkeypatch.setattr("vinculo.core.clock.now", lambda: state["at"])

    def at(minutes):
        state["at"] = START + datetime.timedelta(minutes=minutes)
    return at


def test_a_job_runs_at_once_then_when_its_interval_has_passed(clock):
    runs = []
    schedule.register("count", lambda: runs.append(1), every=datetime.timedelta(hours=1))
    clock(0)
    assert schedule.run_due() == ["count"]
    clock(59)
    assert schedule.run_due() == []
    clock(60)
    assert schedule.run_due() == ["count"]
    clock(61)
    assert schedule.run_due() == []
    assert len(runs) == 2
    assert ScheduledRun.objects.get(name="count").last_run == START + datetime.timedelta(minutes=60)


def test_a_failing_job_is_logged_and_runs_again_at_the_next_check(clock, caplog):
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the mail server is down")

    schedule.register("flaky", flaky, every=datetime.timedelta(hours=1))
    schedule.register("steady", lambda: None, every=datetime.timedelta(hours=1))
    clock(0)
    assert schedule.run_due() == ["steady"]  # the failure does not stop the other jobs
    assert "Scheduled job flaky failed" in caplog.text
    clock(1)
    assert schedule.run_due() == ["flaky"]
    assert len(attempts) == 2


def test_a_name_is_registered_once(clock):
    schedule.register("once", lambda: None, every=datetime.timedelta(hours=1))
    with pytest.raises(ValueError):
        schedule.register("once", lambda: None, every=datetime.timedelta(hours=1))
