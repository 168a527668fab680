"""Bulk writes (issue #13, the import's speed): `bulk_create_records` and `bulk_update_records` keep the books
`create_record` and `update_record` keep — authorship, owner, version, one history entry and one event per
record, the search index — in a number of statements that does not grow with each record, and event
handlers marked `handles_batches` receive a write's events together."""

import pytest

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core import events, search
from vinculo.core.models import ChangeLog
from vinculo.core.services import (
    bulk_create_records,
    bulk_update_records,
    create_record,
    insert_rows,
    record_maker,
)

pytestmark = pytest.mark.django_db

BATCHES: list[list[tuple[str, str, int]]] = []


@events.handles_batches
def remember_batch(batch: list[events.Event]) -> None:
    BATCHES.append([(event.kind, event.record_type, event.record_id) for event in batch])


@events.handles_batches
def failing_batch(batch: list[events.Event]) -> None:
    raise RuntimeError("index unavailable")


def single(event: events.Event) -> None:
    pass


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(events.registry, "subscriptions", [])
    BATCHES.clear()
    return events.registry


def stored(contact: Contact) -> dict:
    """What a contact's row holds, without what differs between any two records (id, dates)."""
    row = Contact.all_objects.filter(pk=contact.pk).values().get()
    return {key: value for key, value in row.items() if key not in {"id", "created_at", "updated_at"}}


def test_bulk_created_records_are_stored_and_logged_as_create_record_stores_and_logs_them(org):
    one = create_record(Contact(first_name="Ana", last_name="Rojas", email="ana@norte.cl",
                                account=org.north_account), by=org.vendedor_norte)
    make = record_maker(Contact)
    [two] = bulk_create_records([make({"first_name": "Ana", "last_name": "Rojas", "email": "ana@norte.cl",
                                       "account_id": org.north_account.pk})], by=org.vendedor_norte)
    assert two.pk is not None and two.pk != one.pk
    assert stored(two) == stored(one)
    assert stored(two)["owner_id"] == stored(two)["created_by_id"] == org.vendedor_norte.pk
    assert stored(two)["version"] == 1
    created = Contact.objects.get(pk=two.pk)
    assert created.created_at is not None and created.updated_at is not None
    entries = [(entry.action, entry.user, entry.record_label, entry.changes, entry.mentions)
               for entry in ChangeLog.objects.filter(object_id__in=[one.pk, two.pk],
                                                     content_type__model="contact").order_by("object_id")]
    assert entries == [("create", org.vendedor_norte, "Ana Rojas", [], {})] * 2


def test_a_record_maker_builds_what_the_model_would(org):
    make = record_maker(Contact, owner=org.vendedor_sur)
    made = make({"last_name": "Soto", "account_id": org.south_account.pk})
    built = Contact(owner=org.vendedor_sur, last_name="Soto", account_id=org.south_account.pk)
    fields = [field.attname for field in Contact._meta.concrete_fields]
    assert [getattr(made, name) for name in fields] == [getattr(built, name) for name in fields]
    assert made._state.adding and made._state is not make({"last_name": "Otro"})._state
    assert made.account == org.south_account


def test_bulk_creation_takes_the_same_statements_for_a_thousand_records_as_for_a_few(
        org, django_assert_max_num_queries):
    make = record_maker(Contact)
    # SQLite takes 999 parameters a statement: 39 contacts (25 columns) an INSERT, and the history's one; the
    # test settings run the search index at once: per 1,000 records, a read, a delete and 3 INSERTs of entries.
    with django_assert_max_num_queries(1200 // 39 + 1 + 2 * 5 + 2):
        records = bulk_create_records([make({"last_name": f"Persona{n}", "email": f"p{n}@x.cl"})
                                       for n in range(1200)], by=org.vendedor_norte)
    assert len({record.pk for record in records}) == 1200
    assert [Contact.objects.get(pk=records[n].pk).email for n in (0, 599, 1199)] == ["p0@x.cl", "p599@x.cl",
                                                                                        "p1199@x.cl"]
    assert ChangeLog.objects.filter(action="create", object_id__in=[r.pk for r in records]).count() == 1200


def test_bulk_created_records_are_found_by_search(org):
    make = record_maker(Contact)
    bulk_create_records([make({"last_name": "Quispe", "email": "quispe@altiplano.cl"}),
                         make({"last_name": "Mamani"})], by=org.vendedor_norte)
    assert [contact.last_name for contact in search.search(Contact, org.vendedor_norte, "quispe")] == ["Quispe"]
    assert search.search(Contact, org.vendedor_norte, "mamani").count() == 1


def test_a_batch_handler_receives_the_events_of_one_bulk_write_in_one_call(org, registry):
    registry.subscribe(remember_batch, record_types=["contacts.contact"])
    make = record_maker(Contact)
    records = bulk_create_records([make({"last_name": f"P{n}"}) for n in range(3)], by=org.vendedor_norte)
    assert BATCHES == [[("created", "contacts.contact", record.pk) for record in records]]


def test_a_failing_batch_handler_fails_each_of_its_events_and_only_for_itself(registry):
    registry.subscribe(failing_batch)
    registry.subscribe(single)
    batch = [{"event": events.Event(kind="created", record_type="contacts.contact", record_id=n,
                                    actor_id=None).to_json(),
              "handlers": [events.handler_path(single), events.handler_path(failing_batch)]} for n in (1, 2)]
    failed = events.deliver(batch, attempt=1)
    assert [(item["event"]["record_id"], item["handlers"]) for item in failed] == [
        (1, [events.handler_path(failing_batch)]), (2, [events.handler_path(failing_batch)])]


def test_bulk_update_gives_each_record_its_own_values_with_history_versions_and_events(org, registry):
    registry.subscribe(remember_batch)
    first = Contact.objects.get(pk=org.north_contact.pk)
    second = Contact.objects.get(pk=org.south_contact.pk)
    old_title = first.title
    unchanged = create_record(Contact(last_name="Fuentes", city="Arica"), by=org.admin)
    BATCHES.clear()
    changed = bulk_update_records([
        (first, {"city": "Iquique", "title": "Gerente"}),
        (second, {"account_id": org.north_account.pk}),
        (unchanged, {"city": "Arica"}),  # already stored: left alone
    ], by=org.gerente_norte)
    assert changed == [first, second]
    assert Contact.objects.filter(pk=first.pk).values_list("city", "title", "version", "updated_by").get() == (
        "Iquique", "Gerente", 2, org.gerente_norte.pk)
    assert Contact.objects.get(pk=second.pk).account_id == org.north_account.pk
    assert Contact.objects.get(pk=unchanged.pk).version == 1
    first_changes = {change["field"]: (change["old"], change["new"]) for change in first.history().first().changes}
    assert first_changes == {"city": ("", "Iquique"), "title": (old_title, "Gerente")}
    [account_change] = second.history().first().changes
    assert (account_change["old"], account_change["new"]) == (str(org.south_account), str(org.north_account))
    assert second.history().first().mentions == {
        "0.old": [{"text": str(org.south_account), "model": "accounts.account", "id": org.south_account.pk}],
        "0.new": [{"text": str(org.north_account), "model": "accounts.account", "id": org.north_account.pk}]}
    assert not unchanged.history().filter(action="update").exists()
    assert BATCHES == [[("updated", "contacts.contact", first.pk), ("updated", "contacts.contact", second.pk)]]


def test_bulk_update_compares_with_what_is_stored_not_with_the_copy_in_memory(org):
    stale = Account.objects.get(pk=org.north_account.pk)
    Account.objects.filter(pk=stale.pk).update(trade_name="Ya Cambiado")
    [account] = bulk_update_records([(stale, {"description": "Faena en Calama"})], by=org.admin)
    assert Account.objects.values_list("trade_name", "description").get(pk=stale.pk) == ("Ya Cambiado",
                                                                                        "Faena en Calama")
    assert [change["field"] for change in account.history().first().changes] == ["description"]


def test_insert_rows_stores_json_and_dates_as_the_orm_would(org):
    from django.contrib.contenttypes.models import ContentType

    from vinculo.core import clock

    now = clock.now()
    content_type = ContentType.objects.get_for_model(Contact)
    insert_rows(ChangeLog, ["content_type", "object_id", "action", "user", "at", "changes", "mentions",
                            "record_label"],
                [(content_type.pk, 7, "update", org.admin.pk, now, [{"field": "city", "old": "", "new": "Á"}],
                  {}, "Uno"),
                 (content_type.pk, 8, "create", None, now, [], {"0.old": [{"text": "x"}]}, "Dos")])
    rows = list(ChangeLog.objects.filter(object_id__in=[7, 8]).order_by("object_id").values_list(
        "user", "at", "changes", "mentions", "record_label"))
    assert rows == [(org.admin.pk, now, [{"field": "city", "old": "", "new": "Á"}], {}, "Uno"),
                    (None, now, [], {"0.old": [{"text": "x"}]}, "Dos")]
