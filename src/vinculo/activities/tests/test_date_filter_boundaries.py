"""An activity date filter takes whole local days, both ends included: "from 10 March to 10 March" is every
activity from 00:00 to 23:59:59 on 10 March in Santiago, on the list page and in the API alike. Late
evening in Santiago is already the next day in UTC, so the edges are where a UTC day would go wrong."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from vinculo.activities.models import Activity
from vinculo.core.tests.api_client import ApiClient

pytestmark = pytest.mark.django_db

SANTIAGO = ZoneInfo("America/Santiago")  # UTC−3 in March 2026 (summer time)


def local(day, hour, minute=0, second=0):
    return datetime.datetime(2026, 3, day, hour, minute, second, tzinfo=SANTIAGO)


MOMENTS = {
    "9 at 23:59:59": local(9, 23, 59, 59),
    "10 at 00:00": local(10, 0, 0),
    "10 at 21:30": local(10, 21, 30),  # 00:30 on the 11th in UTC
    "10 at 23:59:59": local(10, 23, 59, 59),
    "11 at 00:00": local(11, 0, 0),
}
ON_THE_10TH = ["10 at 00:00", "10 at 21:30", "10 at 23:59:59"]


@pytest.fixture(autouse=True)
def santiago(settings):
    settings.TIME_ZONE = "America/Santiago"


@pytest.fixture
def activities(org):
    return Activity.objects.bulk_create(
        Activity(account=org.north_account, owner=org.vendedor_norte, subject=subject, occurred_at=moment)
        for subject, moment in MOMENTS.items()
    )


@pytest.mark.parametrize("query, expected", [
    ({"date_from": "2026-03-10", "date_to": "2026-03-10"}, ON_THE_10TH),
    ({"date_from": "2026-03-10"}, [*ON_THE_10TH, "11 at 00:00"]),
    ({"date_to": "2026-03-10"}, ["9 at 23:59:59", *ON_THE_10TH]),
])
def test_list_page_date_filter_includes_both_whole_local_days(client, org, activities, query, expected):
    client.force_login(org.vendedor_norte)
    listed = client.get(reverse("activities:list"), query).context["object_list"]
    assert sorted(activity.subject for activity in listed) == sorted(expected)


@pytest.mark.parametrize("query, expected", [
    ({"occurred_from": "2026-03-10", "occurred_to": "2026-03-10"}, ON_THE_10TH),
    ({"occurred_from": "2026-03-10"}, [*ON_THE_10TH, "11 at 00:00"]),
    ({"occurred_to": "2026-03-10"}, ["9 at 23:59:59", *ON_THE_10TH]),
])
def test_api_date_filter_includes_both_whole_local_days(org, activities, query, expected):
    items = ApiClient(org.vendedor_norte).get("/activities", **query).json()["items"]
    assert sorted(item["subject"] for item in items) == sorted(expected)
