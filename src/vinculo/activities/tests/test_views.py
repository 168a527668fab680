"""Activity pages: the permission matrix, logging with contacts and participants, filters, bounded queries."""

import datetime

import factory
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from factory.django import DjangoModelFactory

from vinculo.accounts.models import AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.activities.models import Activity
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core import compiled
from vinculo.core.services import update_record

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 16, 15, 30, tzinfo=datetime.timezone.utc)


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = Activity

    subject = factory.Sequence(lambda n: f"Llamada de seguimiento {n}")
    occurred_at = NOW
    account = factory.SubFactory(AccountFactory)
    owner = factory.LazyAttribute(lambda activity: activity.account.owner)


def url(name, *args):
    return reverse(f"activities:{name}", args=args)


@pytest.fixture
def activity(org):
    return ActivityFactory(account=org.north_account, subject="Visita a faena Calama")


def form_data(owner, **changes):
    return {"kind": "call", "subject": "Llamada por cotización", "occurred_at": "2025-06-16T10:00",
            "status": "done", "owner": owner.pk, **changes}


# ---------- Permission matrix ----------

def test_outsider_gets_404_and_sees_none_in_the_list(client, org, activity):
    client.force_login(org.vendedor_sur)
    assert client.get(url("detail", activity.pk)).status_code == 404
    assert client.get(url("edit", activity.pk)).status_code == 404
    assert client.post(url("edit", activity.pk), form_data(org.vendedor_norte)).status_code == 404
    assert client.post(url("delete", activity.pk)).status_code == 404
    assert client.get(url("create"), {"account": org.north_account.pk}).status_code == 404
    assert client.get(url("create"), {"contact": org.north_contact.pk}).status_code == 404
    assert activity.subject not in client.get(url("list")).content.decode()
    narrowed = client.get(url("list"), {"account": org.north_account.pk}).content.decode()
    assert activity.subject not in narrowed and org.north_account.legal_name not in narrowed
    Activity.objects.get(pk=activity.pk, deleted_at=None, version=1)


def test_outsider_cannot_log_an_activity_on_an_account_they_may_not_see(client, org):
    client.force_login(org.vendedor_sur)
    response = client.post(url("create"), form_data(org.vendedor_sur, account=org.north_account.pk))
    assert response.status_code == 200 and list(response.context["form"].errors) == ["account"]
    assert not Activity.objects.exists()


def test_read_only_team_member_sees_no_edit_button_and_gets_403(client, org, activity):
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur)
    client.force_login(org.vendedor_sur)
    html = client.get(url("detail", activity.pk)).content.decode()
    assert activity.subject in html
    assert url("edit", activity.pk) not in html and url("delete", activity.pk) not in html
    assert activity.subject in client.get(url("list")).content.decode()
    assert client.get(url("edit", activity.pk)).status_code == 403
    assert client.post(url("edit", activity.pk), form_data(org.vendedor_norte)).status_code == 403
    assert client.post(url("delete", activity.pk)).status_code == 403
    assert client.get(url("create"), {"account": org.north_account.pk}).status_code == 403
    Activity.objects.get(pk=activity.pk, deleted_at=None, version=1)


def test_manager_above_the_owner_sees_and_may_edit(client, org, activity):
    client.force_login(org.gerente_norte)
    html = client.get(url("detail", activity.pk)).content.decode()
    assert url("edit", activity.pk) in html and url("delete", activity.pk) in html
    assert activity.subject in client.get(url("list")).content.decode()


def test_an_activity_seen_through_its_owner_does_not_name_an_account_the_user_may_not_see(client, org):
    activity = ActivityFactory(account=org.south_account, owner=org.vendedor_norte, subject="Llamada cruzada")
    client.force_login(org.gerente_norte)
    assert org.south_account.legal_name not in client.get(url("detail", activity.pk)).content.decode()
    listing = client.get(url("list")).content.decode()
    assert "Llamada cruzada" in listing and org.south_account.legal_name not in listing


# ---------- Logging and editing ----------

@pytest.mark.parametrize("kind", [choice.value for choice in Activity.Kind])
def test_each_kind_of_activity_can_be_logged_on_an_account(client, org, kind):
    client.force_login(org.vendedor_norte)
    response = client.post(f"{url('create')}?account={org.north_account.pk}",
                           form_data(org.vendedor_norte, kind=kind, account=org.north_account.pk, duration_minutes="45"))
    activity = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == activity.get_absolute_url()
    assert (activity.kind, activity.account, activity.owner, activity.duration_minutes) == (
        kind, org.north_account, org.vendedor_norte, 45)


def test_logging_from_a_contact_preselects_it_and_its_account(client, org):
    client.force_login(org.vendedor_norte)
    form = client.get(url("create"), {"contact": org.north_contact.pk}).context["form"]
    assert form["contacts"].value() == [org.north_contact.pk]
    assert form["account"].value() == org.north_account.pk
    response = client.post(f"{url('create')}?contact={org.north_contact.pk}", form_data(
        org.vendedor_norte, account=org.north_account.pk, contacts=[org.north_contact.pk],
        participants=[org.vendedor_norte2.pk, org.gerente_norte.pk]))
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert list(activity.contacts.all()) == [org.north_contact]
    assert set(activity.participants.all()) == {org.vendedor_norte2, org.gerente_norte}
    html = client.get(activity.get_absolute_url()).content.decode()
    assert org.north_contact.last_name in html and str(org.gerente_norte) in html


def test_contacts_offered_are_the_visible_contacts_of_the_chosen_account(client, org):
    linked = ContactFactory(account=AccountFactory(owner=org.vendedor_norte), last_name="Vinculada")
    linked.account_links.create(account=org.north_account)
    client.force_login(org.vendedor_norte)
    form = client.get(url("create"), {"account": org.north_account.pk}).context["form"]
    assert set(form.fields["contacts"].queryset) == {org.north_contact, linked}
    fragment = client.get(url("contact_choices"), {"account": org.north_account.pk}).content.decode()
    assert org.north_contact.last_name in fragment and "Vinculada" in fragment and "<html" not in fragment
    assert org.south_contact.last_name not in client.get(
        url("contact_choices"), {"account": org.south_account.pk}).content.decode()


def test_a_contact_the_user_may_not_see_is_refused(client, org):
    client.force_login(org.vendedor_norte)
    response = client.post(url("create"), form_data(org.vendedor_norte, account=org.north_account.pk, contacts=[org.south_contact.pk]))
    assert list(response.context["form"].errors) == ["contacts"]
    assert not Activity.objects.exists()


@pytest.mark.parametrize("changes, field", [
    ({}, "account"),  # neither an account nor a contact
    ({"occurred_at": "ayer", "account": "ACCOUNT"}, "occurred_at"),
    ({"subject": "", "account": "ACCOUNT"}, "subject"),
    ({"duration_minutes": "-5", "account": "ACCOUNT"}, "duration_minutes"),
])
def test_bad_input_names_the_field_and_stores_nothing(client, org, changes, field):
    client.force_login(org.vendedor_norte)
    data = form_data(org.vendedor_norte, **changes)
    if data.get("account") == "ACCOUNT":
        data["account"] = org.north_account.pk
    response = client.post(url("create"), data)
    assert response.status_code == 200 and list(response.context["form"].errors) == [field]
    assert not Activity.all_objects.exists()


def test_editing_keeps_contacts_the_editor_may_not_see(client, org):
    activity = ActivityFactory(account=org.north_account, owner=org.vendedor_norte)
    activity.contacts.set([org.north_contact, org.south_contact])
    client.force_login(org.vendedor_norte)
    form = client.get(url("edit", activity.pk)).context["form"]
    assert org.south_contact not in form.fields["contacts"].queryset
    data = form_data(org.vendedor_norte, account=org.north_account.pk, contacts=[org.north_contact.pk],
                     subject="Cambiado", version=activity.version)
    assert client.post(url("edit", activity.pk), data).status_code == 302
    activity.refresh_from_db()
    assert activity.subject == "Cambiado" and activity.version == 2
    assert set(activity.contacts.all()) == {org.north_contact, org.south_contact}


def test_a_stale_edit_is_refused_as_a_conflict(client, org, activity):
    client.force_login(org.vendedor_norte)
    data = form_data(org.vendedor_norte, account=org.north_account.pk, version=activity.version)
    Activity.objects.filter(pk=activity.pk).update(version=5)
    response = client.post(url("edit", activity.pk), data)
    assert response.status_code == 200 and response.context["form"].conflict
    assert Activity.objects.get(pk=activity.pk).subject == "Visita a faena Calama"


def test_delete_moves_to_the_recycle_bin_and_restore_brings_it_back(client, org, activity):
    client.force_login(org.vendedor_norte)
    assert client.post(url("delete", activity.pk))["Location"] == org.north_account.get_absolute_url()
    assert client.get(url("detail", activity.pk)).status_code == 404
    restore = reverse("core:restore", args=["activity", activity.pk])
    assert restore in client.get(reverse("core:recycle_bin")).content.decode()
    assert client.post(restore)["Location"] == activity.get_absolute_url()


# ---------- List ----------

def test_list_filters_by_kind_owner_account_contact_and_dates(client, org):
    other_account = AccountFactory(owner=org.vendedor_norte)
    call = ActivityFactory(account=org.north_account, kind="call", subject="A-call",
                           occurred_at=NOW - datetime.timedelta(days=10))
    visit = ActivityFactory(account=org.north_account, kind="visit", subject="B-visit", owner=org.gerente_norte)
    visit.contacts.add(org.north_contact)
    ActivityFactory(account=other_account, kind="email", subject="C-email", occurred_at=NOW + datetime.timedelta(days=3))
    client.force_login(org.vendedor_norte)

    def subjects(**query):
        return sorted(activity.subject for activity in client.get(url("list"), query).context["object_list"])

    assert subjects() == ["A-call", "B-visit", "C-email"]
    assert subjects(kind="visit") == ["B-visit"]
    assert subjects(owner=org.gerente_norte.pk) == ["B-visit"]
    assert subjects(account=org.north_account.pk) == ["A-call", "B-visit"]
    assert subjects(contact=org.north_contact.pk) == ["B-visit"]
    assert subjects(date_from="2025-06-10", date_to="2025-06-16") == ["B-visit"]
    assert subjects(date_from="2025-06-17") == ["C-email"]
    assert subjects(q="visit") == ["B-visit"]
    assert subjects(date_from="no es fecha") == ["A-call", "B-visit", "C-email"]
    response = client.get(url("list"), {"account": org.north_account.pk})
    assert f"{url('create')}?account={org.north_account.pk}" in response.content.decode()
    assert [chip["value"] for chip in response.context["chips"]] == [org.north_account]
    assert call.get_absolute_url() in response.content.decode()


def test_activities_are_in_the_top_navigation(client, org):
    client.force_login(org.vendedor_norte)
    html = client.get(url("list")).content.decode()
    assert f'href="{url("list")}" aria-current="page"' in html


def queries(client, path, django_assert_max_num_queries):
    cache.clear()
    # 14: one of them reads the versions of the tables the count reads (core.versioned); the nearest-first page
    # is read as two walks of the date index, one each way from now (core.lists.nearest_page).
    with django_assert_max_num_queries(14) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_list_runs_the_same_bounded_number_of_queries_for_10_and_200_rows(client, org, django_assert_max_num_queries):
    small, large = AccountFactory(owner=org.vendedor_norte), AccountFactory(owner=org.vendedor_norte)
    for account, count in ((small, 10), (large, 200)):
        Activity.objects.bulk_create(Activity(account=account, owner=org.vendedor_norte, subject=f"s{n}",
                                              occurred_at=NOW) for n in range(count))
    client.force_login(org.vendedor_norte)
    few = queries(client, f"{url('list')}?account={small.pk}", django_assert_max_num_queries)
    many = queries(client, f"{url('list')}?account={large.pk}", django_assert_max_num_queries)
    assert few == many


def _detail_queries(client, activity) -> int:
    cache.clear()
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url("detail", activity.pk)).status_code == 200
    return len(captured)


def _add_people_and_changes(org, activity, count):
    """`count` more contacts (of the account and of an account the viewer may not see), participants and
    history entries."""
    users = [org.gerente_norte, org.director, org.admin, org.vendedor_norte2]
    for n in range(count):
        account = org.north_account if n % 2 else org.south_account
        activity.contacts.add(ContactFactory(account=account))
        activity.participants.add(users[n % len(users)])
        stored = Activity.objects.get(pk=activity.pk)
        stored.subject = f"Visita a faena Calama ({n})"
        update_record(stored, by=users[n % len(users)])


def test_detail_page_runs_the_same_queries_with_one_or_many_contacts_participants_and_changes(client, org, activity):
    client.force_login(org.vendedor_norte)
    _add_people_and_changes(org, activity, 1)
    one = _detail_queries(client, activity)
    _add_people_and_changes(org, activity, 12)
    assert _detail_queries(client, activity) == one
    # The count today, from cold caches: 10, plus the viewer's permissions (two queries), which the plan link's
    # visibility asks (the approve-plans permission reads every plan).
    assert one <= 12


def test_logging_from_a_deal_links_the_activity_to_it_and_refuses_a_deal_of_another_account(client, org):
    from vinculo.sales.tests.factories import OpportunityFactory

    deal = OpportunityFactory(account=org.north_account, name="Renovación flota")
    other = OpportunityFactory(account=org.south_account)
    client.force_login(org.vendedor_norte)
    form = client.get(url("create"), {"opportunity": deal.pk}).context["form"]
    assert form.initial["account"] == org.north_account.pk and form.initial["opportunity"] == deal.pk
    assert list(form.fields["opportunity"].queryset) == [deal]

    client.post(url("create"), form_data(org.vendedor_norte, account=org.north_account.pk, opportunity=other.pk))
    assert not Activity.objects.exists()
    client.post(url("create"), form_data(org.vendedor_norte, account=org.north_account.pk, opportunity=deal.pk))
    activity = Activity.objects.get()
    assert activity.opportunity == deal
    assert "Renovación flota" in client.get(url("detail", activity.pk)).content.decode()
    assert client.get(url("create"), {"opportunity": other.pk}).status_code == 404


def test_list_opens_on_the_nearest_date_first_to_come_or_past(client, org, monkeypatch):
    # Now is 16 June 2025 15:30. Distances: 1 h ahead, 2 h ago, 1 day ahead, 3 days ago, 40 days ahead, 1 year ago.
    monkeypatch.setattr("vinculo.core.clock.now", lambda: NOW)
    hour, day = datetime.timedelta(hours=1), datetime.timedelta(days=1)
    account = AccountFactory(owner=org.vendedor_norte)
    for subject, when in [("Plan lejano", NOW + 40 * day), ("Hace un año", NOW - 365 * day),
                          ("En una hora", NOW + hour), ("Hace tres días", NOW - 3 * day),
                          ("Mañana", NOW + day), ("Hace dos horas", NOW - 2 * hour)]:
        ActivityFactory(account=account, subject=subject, occurred_at=when)
    client.force_login(org.vendedor_norte)

    def order(**params):
        html = client.get(url("list"), params).content.decode()
        subjects = ["Plan lejano", "Hace un año", "En una hora", "Hace tres días", "Mañana", "Hace dos horas"]
        return sorted(subjects, key=html.index)

    assert order() == ["En una hora", "Hace dos horas", "Mañana", "Hace tres días", "Plan lejano", "Hace un año"]
    # The date column still sorts by date, newest first on the second click.
    assert order(sort="-occurred_at") == ["Plan lejano", "Mañana", "En una hora", "Hace dos horas", "Hace tres días",
                                          "Hace un año"]


def test_the_nearest_first_order_carries_over_to_the_next_page_and_leaves_out_what_the_user_may_not_see(
        client, org, monkeypatch):
    """Now is 15:30. Fourteen activities 1–14 h ahead and fourteen 1.5–14.5 h ago alternate outwards from now:
    +1 h, −1.5 h, +2 h, −2.5 h … The 25th is +13 h; the second page holds −13.5 h, +14 h and −14.5 h. The other
    rep's activity of this very minute, on an account they alone may see, is on neither page."""
    monkeypatch.setattr("vinculo.core.clock.now", lambda: NOW)
    hour = datetime.timedelta(hours=1)
    account = AccountFactory(owner=org.vendedor_norte)
    for hours in range(1, 15):
        ActivityFactory(account=account, owner=org.vendedor_norte, subject=f"viene {hours}", occurred_at=NOW + hours * hour)
        ActivityFactory(account=account, owner=org.vendedor_norte, subject=f"fue {hours}",
                        occurred_at=NOW - (hours + 0.5) * hour)
    ActivityFactory(account=org.south_account, owner=org.vendedor_sur, subject="ajena", occurred_at=NOW)
    client.force_login(org.vendedor_norte)

    def subjects(page):
        return [activity.subject for activity in client.get(url("list"), {"page": page}).context["object_list"]]

    first = subjects(1)
    assert first[:4] == ["viene 1", "fue 1", "viene 2", "fue 2"]
    assert len(first) == 25 and first[-1] == "viene 13"
    assert subjects(2) == ["fue 13", "viene 14", "fue 14"]
    client.force_login(org.vendedor_sur)
    assert subjects(1) == ["ajena"]


def test_the_nearest_first_page_follows_the_clock_with_its_sql_compiled_once(client, org, monkeypatch):
    """An hour ahead, two hours ago and six hours ahead of 15:30: in that order at 15:30; five hours later the
    six-hours one is an hour ahead, the others four and seven hours past. Both walks are compiled at the first
    view and rerun with the later moment (core.compiled), not compiled again."""
    compiled.forget()
    hour = datetime.timedelta(hours=1)
    account = AccountFactory(owner=org.vendedor_norte)
    for subject, when, kind in [("viene", NOW + hour, "call"), ("fue", NOW - 2 * hour, "call"),
                                ("luego", NOW + 6 * hour, "visit")]:
        ActivityFactory(account=account, owner=org.vendedor_norte, subject=subject, occurred_at=when, kind=kind)
    client.force_login(org.vendedor_norte)

    def subjects_at(moment, **params):
        monkeypatch.setattr("vinculo.core.clock.now", lambda: moment)
        return [activity.subject for activity in client.get(url("list"), params).context["object_list"]]

    assert subjects_at(NOW) == ["viene", "fue", "luego"]
    assert subjects_at(NOW + 5 * hour) == ["luego", "viene", "fue"]
    assert subjects_at(NOW + 5 * hour, kind="visit") == ["luego"]
    assert subjects_at(NOW + 5 * hour, kind="call") == ["viene", "fue"]
    walks = [shape for shape in compiled._compiled if shape[0] == "activities:list:nearest"]
    assert len(walks) == 6  # each way: unfiltered, visits, calls


def test_kind_and_direction_read_as_one_phrase():
    assert Activity(kind="call", direction="outbound").kind_label == "Outbound call"
    assert Activity(kind="email", direction="inbound").kind_label == "Inbound email"
    assert Activity(kind="meeting", direction="inbound").kind_label == "Meeting (inbound)"
    assert Activity(kind="visit", direction="").kind_label == "Visit"
