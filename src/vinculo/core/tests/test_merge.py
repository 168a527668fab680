"""Merging two records (core.merging): the chosen fields win, every record related to the loser moves to the
winner (a row that would break a unique constraint stays), both keep their history and name the merge, the
loser goes to the recycle bin, and restoring it from there undoes the merge exactly."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from vinculo.accounts.models import Account, AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory, AddressFactory
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact, ContactAccountLink
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core import merging
from vinculo.core.access import AccessLevel
from vinculo.core.models import ChangeLog, Merge, TrackedModel
from vinculo.customer360.tests.factories import NoteFactory
from vinculo.org.models import OrgDefault
from vinculo.sales.models import OpportunityContact
from vinculo.sales.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.timezone.utc)


def snapshot(model, *records):
    """Every row pointing at `records` through each link a merge follows, and the records' own fields."""
    ids = [record.pk for record in records]
    rows = {}
    for related, column, content_type_column in merging._links(model):
        queryset = related._base_manager.filter(**{f"{column}__in": ids})
        if content_type_column:
            queryset = queryset.filter(**{content_type_column: ContentType.objects.get_for_model(model).pk})
        rows[(related._meta.label_lower, column)] = sorted(queryset.values_list("pk", column))
        if column == "regarding_id":
            rows[(related._meta.label_lower, "account_id")] = sorted(queryset.values_list("pk", "account_id"))
    fields = {record.pk: {f.name: f.value_from_object(model.all_objects.get(pk=record.pk))
                          for f in model._meta.concrete_fields if f.name not in TrackedModel.UNTRACKED_FIELDS}
              for record in records}
    return rows, fields


@pytest.fixture
def pair(org):
    owner = org.vendedor_norte
    winner = org.north_account
    winner.email, winner.phone = "compras@mng.cl", "+56223456789"
    winner.save()
    loser = AccountFactory(owner=owner, legal_name="Minera Norte Grande S.A.", tax_id="", email="ventas@mng.cl",
                           phone="+56229876543", website="https://mng.cl")
    ContactFactory(account=loser), ContactFactory(account=loser)
    ContactAccountLink.objects.create(contact=org.north_contact, account=loser, role="Asesor")
    NoteFactory(account=loser)
    Activity.objects.create(subject="Visita", occurred_at=WHEN, account=loser, owner=owner)
    OpportunityFactory(account=loser)
    AddressFactory(account=loser)
    AccountTeamMember.objects.create(account=winner, user=org.vendedor_norte2)
    AccountTeamMember.objects.create(account=loser, user=org.vendedor_norte2)  # already on the winner's team
    AccountTeamMember.objects.create(account=loser, user=org.gerente_norte)
    AccountFactory(owner=owner, parent=loser, legal_name="Filial")
    return winner, loser


def test_merge_moves_every_related_record_counted_per_relation(org, pair):
    winner, loser = pair
    done = merging.merge(winner, loser, take=["email"], by=org.vendedor_norte)
    moved = {(entry["model"], entry["field"]): len(entry["old"]) for entry in done.moved}
    assert moved == {
        ("contacts.contact", "account_id"): 2,
        ("contacts.contactaccountlink", "account_id"): 1,
        ("customer360.note", "account_id"): 1,
        ("customer360.note", "regarding_id"): 1,
        ("activities.activity", "account_id"): 1,
        ("activities.activity", "regarding_id"): 1,
        ("sales.opportunity", "account_id"): 1,
        ("accounts.address", "account_id"): 1,
        ("accounts.accountteammember", "account_id"): 1,
        ("accounts.account", "parent_id"): 1,
    }
    assert Contact.objects.filter(account=winner).count() == 1 + 2
    assert Activity.objects.get(subject="Visita").regarding == winner
    # The team member the winner already had stays on the loser; the other one moved.
    assert set(AccountTeamMember.objects.filter(account=winner).values_list("user__username", flat=True)) == {
        "vendedor.norte2", "gerente.norte"}
    assert AccountTeamMember.objects.filter(account=loser).count() == 1
    assert Account.objects.get(legal_name="Filial").parent_id == winner.pk


def test_chosen_fields_win_and_the_others_stay(org, pair):
    winner, loser = pair
    merging.merge(winner, loser, take=["email", "website"], by=org.vendedor_norte)
    winner.refresh_from_db()
    loser.refresh_from_db()
    assert (winner.email, winner.website, winner.phone) == ("ventas@mng.cl", "https://mng.cl", "+56223456789")
    assert loser.deleted_at is not None and loser.deleted_by == org.vendedor_norte


def test_history_names_the_merge_on_both_records_and_on_moved_ones(org, pair):
    winner, loser = pair
    merging.merge(winner, loser, take=["email"], by=org.vendedor_norte)
    labels = [change["label"] for entry in winner.history() for change in entry.changes]
    assert "Merged with a duplicate" in labels and "email" in labels
    merged = next(change for entry in winner.history() for change in entry.changes
                  if change["label"] == "Merged with a duplicate")
    assert merged["old"] == "Minera Norte Grande S.A." and merged["new"] == "9 related records moved"
    loser_history = list(loser.history())
    assert [entry.action for entry in loser_history][:2] == [ChangeLog.Action.DELETE, ChangeLog.Action.UPDATE]
    assert loser_history[1].changes[0]["label"] == "Merged into"
    contact = Contact.objects.filter(account=winner).exclude(pk=org.north_contact.pk).first()
    assert contact.history().first().changes[0]["new"] == str(winner)


def test_restoring_the_loser_undoes_the_merge_exactly(client, org, pair):
    winner, loser = pair
    before = snapshot(Account, winner, loser)
    merging.merge(winner, loser, take=["email", "website"], by=org.vendedor_norte)
    assert snapshot(Account, winner, loser) != before
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("core:restore", args=["account", loser.pk]))
    assert response.status_code == 302
    assert snapshot(Account, winner, loser) == before
    assert Account.objects.filter(pk=loser.pk).exists()
    assert Merge.objects.get().undone_at is not None
    assert "Merge undone" in [change["label"] for entry in winner.history() for change in entry.changes]


def test_undo_leaves_a_record_moved_again_since_where_it_is(org, pair):
    winner, loser = pair
    merging.merge(winner, loser, take=[], by=org.vendedor_norte)
    elsewhere = AccountFactory(owner=org.vendedor_norte)
    moved_on = Contact.objects.filter(account=winner).exclude(pk=org.north_contact.pk).first()
    Contact.objects.filter(pk=moved_on.pk).update(account=elsewhere)
    from vinculo.core import services

    services.restore(Account.all_objects.get(pk=loser.pk), by=org.vendedor_norte)
    assert Contact.objects.get(pk=moved_on.pk).account_id == elsewhere.pk
    assert Contact.objects.filter(account=loser).count() == 1


def test_merge_page_shows_differing_fields_and_merges_on_post(client, org, pair, django_assert_max_num_queries):
    winner, loser = pair
    client.force_login(org.vendedor_norte)
    url = reverse("duplicates:merge", args=["account", winner.pk, loser.pk])
    client.get(url)
    # One count per kind of link (some twenty) and the page's own: 31 today, not growing with the rows.
    with django_assert_max_num_queries(35):
        client.get(url)
    for _n in range(10):
        ContactFactory(account=loser)
        NoteFactory(account=loser)
    with django_assert_max_num_queries(35):
        html = client.get(url).content.decode()
    moving = html[html.index("Moving from"):]
    # Contacts 2 + 10, notes 1 + 10 (each counted once, though linked by its account and its subject).
    for name, count in (("Contacts", 12), ("Notes", 11), ("Activities", 1), ("Account team", 2)):
        assert f'<span>{name}</span><span class="meta">{count}</span>' in moving
    assert 'name="email" value="second"' in html and 'name="legal_name" value="second"' in html
    assert 'name="country"' not in html  # the same value on both
    response = client.post(url, {"email": "second", "phone": "first"})
    assert response.status_code == 302 and response.url == winner.get_absolute_url()
    winner.refresh_from_db()
    assert winner.email == "ventas@mng.cl" and winner.phone == "+56223456789"
    assert Account.all_objects.get(pk=loser.pk).deleted_at is not None


def test_merge_page_hides_fields_the_user_may_not_read(client, org, pair):
    winner, loser = pair
    loser.credit_grade = "A"
    loser.save()
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("duplicates:merge", args=["account", winner.pk, loser.pk])).content.decode()
    assert 'name="credit_grade"' not in html


def test_a_user_who_cannot_see_one_record_gets_404_and_merges_nothing(client, org, pair):
    winner, loser = pair
    client.force_login(org.vendedor_sur)
    url = reverse("duplicates:merge", args=["account", org.south_account.pk, loser.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    assert not Merge.objects.exists() and Account.objects.filter(pk=loser.pk).exists()


def test_a_user_who_may_only_read_one_record_gets_403(client, org, pair):
    winner, loser = pair
    OrgDefault.objects.filter(record_type="accounts.account").update(access=AccessLevel.PUBLIC_READ)
    client.force_login(org.vendedor_sur)
    url = reverse("duplicates:merge", args=["account", org.south_account.pk, loser.pk])
    assert client.post(url, {}).status_code == 403
    assert not Merge.objects.exists()
    with pytest.raises(PermissionDenied):  # the service checks again
        merging.merge(org.south_account, loser, take=[], by=org.vendedor_sur)


def test_contact_merge_moves_records_about_it_and_their_account_follows_the_winner(org):
    owner = org.vendedor_norte
    winner = org.north_contact
    other_account = AccountFactory(owner=owner)
    loser = ContactFactory(account=other_account, first_name=winner.first_name, last_name="Araya")
    note = NoteFactory(account=other_account, contact=loser)
    note.regarding = loser
    note.save()
    deal = OpportunityFactory(account=org.north_account)
    OpportunityContact.objects.create(opportunity=deal, contact=loser)
    OpportunityContact.objects.create(opportunity=deal, contact=winner)  # already on the deal: stays on the loser
    activity = Activity.objects.create(subject="Reunión", occurred_at=WHEN, account=other_account, owner=owner)
    activity.contacts.add(loser)
    before = snapshot(Contact, winner, loser)
    done = merging.merge(winner, loser, take=[], by=owner)
    moved = {(entry["model"], entry["field"]): len(entry["old"]) for entry in done.moved}
    assert moved[("customer360.note", "regarding_id")] == 1
    assert moved[("customer360.note", "account_id")] == 1
    assert moved[("customer360.note", "contact_id")] == 1
    assert moved[("activities.activity_contacts", "contact_id")] == 1
    assert ("sales.opportunitycontact", "contact_id") not in moved
    note.refresh_from_db()
    assert (note.regarding_id, note.account_id) == (winner.pk, org.north_account.pk)
    assert list(activity.contacts.all()) == [winner]
    from vinculo.core import services

    services.restore(Contact.all_objects.get(pk=loser.pk), by=owner)
    assert snapshot(Contact, winner, loser) == before


def test_only_a_user_who_may_edit_the_winner_undoes_the_merge(org, pair):
    from vinculo.core import services

    winner, loser = pair
    merging.merge(winner, loser, take=["email"], by=org.vendedor_norte)
    # The loser given to a rep who cannot see the winner: restoring it would change the winner, so it is refused.
    Account.all_objects.filter(pk=loser.pk).update(owner=org.vendedor_norte2)
    with pytest.raises(PermissionDenied):
        services.restore(Account.all_objects.get(pk=loser.pk), by=org.vendedor_norte2)
    assert Account.all_objects.get(pk=loser.pk).deleted_at is not None
    assert Merge.objects.get().undone_at is None


def test_choosing_the_losers_parent_when_it_is_the_winner_keeps_the_winners(org, pair):
    winner, loser = pair
    Account.objects.filter(pk=loser.pk).update(parent=winner)
    loser.refresh_from_db()
    merging.merge(winner, loser, take=["parent"], by=org.vendedor_norte)
    winner.refresh_from_db()
    assert winner.parent_id is None
