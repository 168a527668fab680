"""Events on commit (issue #8, item 4): every write through core.services emits one typed event after its
transaction commits, its handlers run in the background, and a failing handler is retried and logged
without touching the save.

The acceptance tests run once per task backend — `immediate` (django-tasks' in-process backend),
`database` (the default: django-tasks-db, run by `vinculo worker --burst` in this process) and `rq`
(django-tasks-rq on the machine's Redis, run by `vinculo worker --burst` in a separate process). They use
real commits (transactional tests): a test's own transaction never commits, so nothing would be emitted.
"""

import datetime
import os
import subprocess
import sys
import uuid
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core import clock, events, search
from vinculo.core.models import ChangeLog
from vinculo.core.services import (
    ConflictError,
    bulk_update,
    create_record,
    restore,
    soft_delete,
    update_record,
)
from vinculo.core.tests import event_handlers
from vinculo.core.tests.conftest import REDIS_URL
from vinculo.org.tests.factories import UserFactory
from vinculo.sales.models import Lead
from vinculo.sales.tests.factories import LeadFactory

ATTEMPTS = 3
EVENTS_AFTER_COMMIT = {"EAGER": False, "QUEUE": "default", "ATTEMPTS": ATTEMPTS, "BACKOFF_SECONDS": 0}


@pytest.fixture
def log_path(tmp_path, monkeypatch):
    path = tmp_path / "events.jsonl"
    monkeypatch.setenv("VINCULO_TEST_EVENTS_LOG", str(path))
    return str(path)


@pytest.fixture
def registry(monkeypatch):
    """Only the handlers a test subscribes (the search index has tests of its own below)."""
    monkeypatch.setattr(events.registry, "subscriptions", [])
    return events.registry


def seen(log_path: str, handler: str = "record") -> list[tuple]:
    """What `handler` received, one (kind, record type, id, actor, changes) per call, in a stable order."""
    summaries = [
        (call["event"]["kind"], call["event"]["record_type"], call["event"]["record_id"], call["event"]["actor_id"],
         [(change["field"], change["old"], change["new"]) for change in call["event"]["changes"]])
        for call in event_handlers.calls(log_path) if call["handler"] == handler
    ]
    return sorted(summaries, key=repr)


# ---------- The task backends the same tests run on ----------

class Immediate:
    name = "immediate"
    settings = {"TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
                "VINCULO_EVENTS": EVENTS_AFTER_COMMIT}

    def run_worker(self) -> str:
        return ""  # the handlers ran when the write committed


class Database:
    name = "database"
    settings = {"TASKS": {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
                "VINCULO_EVENTS": EVENTS_AFTER_COMMIT}

    def run_worker(self) -> str:
        call_command("worker", burst=True, verbosity=0)
        return ""


class RQ:
    name = "rq"

    def __init__(self, queue: str):
        self.queue = queue
        self.settings = {
            "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue]}},
            # django_tasks_rq reads results through the "default" connection.
            "RQ_QUEUES": {"default": {"URL": REDIS_URL}, queue: {"URL": REDIS_URL}},
            "VINCULO_EVENTS": {**EVENTS_AFTER_COMMIT, "QUEUE": queue},
        }

    def run_worker(self) -> str:
        """`vinculo worker --burst` in a fresh process configured as the README says, on this test's queue."""
        env = {**os.environ, "REDIS_URL": REDIS_URL, "TASKS_USE_RQ": "1",
               "DJANGO_SETTINGS_MODULE": "vinculo.core.tests.events_worker_settings",
               "VINCULO_TEST_RQ_QUEUE": self.queue, "VINCULO_TEST_EVENTS_ATTEMPTS": str(ATTEMPTS)}
        worker = subprocess.run([sys.executable, "-m", "vinculo", "worker", "--burst", "--skip-checks"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert worker.returncode == 0, worker.stderr
        return worker.stderr


@pytest.fixture
def redis_queue(redis):
    """A queue of its own on the machine's Redis; its keys are removed after the test."""
    name = f"vinculo-test-events-{uuid.uuid4().hex[:12]}"
    yield name
    for key in redis.scan_iter(f"*{name}*"):
        redis.delete(key)
    redis.srem("rq:queues", f"rq:queue:{name}")


@pytest.fixture(params=["immediate", "database", "rq"])
def backend(request, transactional_db):
    chosen = RQ(request.getfixturevalue("redis_queue")) if request.param == "rq" else {
        "immediate": Immediate, "database": Database}[request.param]()
    with override_settings(**chosen.settings):
        yield chosen


# ---------- Acceptance: once per committed write, none for a rolled-back one ----------

def test_an_event_is_emitted_once_per_committed_write(backend, registry, log_path):
    user = UserFactory()
    registry.subscribe(event_handlers.record)

    lead = create_record(LeadFactory.build(owner=user, city="Antofagasta"), by=user)
    lead.city = "Temuco"
    update_record(lead, by=user)
    lead.status = Lead.Status.CONTACTED
    update_record(lead, by=user)  # a change of status is a transition, emitted instead of "updated"
    soft_delete(lead, by=user)
    restore(lead, by=user)
    other = create_record(LeadFactory.build(owner=user, city="Temuco"), by=user)
    bulk_update(Lead.all_objects.filter(pk__in=[lead.pk, other.pk]), {"city": "Arica"}, by=user)
    bulk_update(Lead.all_objects.filter(pk=lead.pk), {"city": "Arica"}, by=user)  # already so: no write
    lead.refresh_from_db()
    update_record(lead, by=user)  # nothing changed: no write

    backend.run_worker()
    assert seen(log_path) == sorted([
        ("created", "sales.lead", lead.pk, user.pk, []),
        ("updated", "sales.lead", lead.pk, user.pk, [("city", "Antofagasta", "Temuco")]),
        ("transition", "sales.lead", lead.pk, user.pk, [("status", "new", "contacted")]),
        ("deleted", "sales.lead", lead.pk, user.pk, []),
        ("restored", "sales.lead", lead.pk, user.pk, []),
        ("created", "sales.lead", other.pk, user.pk, []),
        ("updated", "sales.lead", lead.pk, user.pk, [("city", "Temuco", "Arica")]),
        ("updated", "sales.lead", other.pk, user.pk, [("city", "Temuco", "Arica")]),
    ], key=repr)


def test_no_event_is_emitted_for_a_rolled_back_write(backend, registry, log_path):
    user = UserFactory()
    registry.subscribe(event_handlers.record)

    with pytest.raises(RuntimeError), transaction.atomic():
        create_record(LeadFactory.build(owner=user), by=user)
        raise RuntimeError("the request failed after the save")
    with transaction.atomic():
        kept = create_record(LeadFactory.build(owner=user, city="Temuco"), by=user)
        with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint rolled back inside a commit
            kept.city = "Arica"
            update_record(kept, by=user)
            raise RuntimeError("this part is undone")
    stale = Lead.objects.get(pk=kept.pk)
    stale.city = "Iquique"
    with pytest.raises(ConflictError):  # refused: nothing written
        update_record(stale, by=user, expected_version=stale.version - 1)

    backend.run_worker()
    assert Lead.objects.get().city == "Temuco"
    assert seen(log_path) == [("created", "sales.lead", kept.pk, user.pk, [])]


# ---------- Acceptance: a handler that raises is retried and logged, and the save succeeds ----------

def test_a_handler_that_raises_is_retried_and_logged_and_the_save_succeeds(backend, registry, log_path, caplog):
    user = UserFactory()
    for handler in (event_handlers.always_fails, event_handlers.fails_once, event_handlers.record):
        registry.subscribe(handler)

    lead = create_record(LeadFactory.build(owner=user), by=user)

    assert Lead.objects.filter(pk=lead.pk).exists()
    output = backend.run_worker()
    # Each handler apart: the one that works ran once, the one that fails once ran twice, the broken one
    # ran on every attempt; a retry never ran again what had succeeded.
    assert Counter(call["handler"] for call in event_handlers.calls(log_path)) == {
        "record": 1, "fails_once": 2, "always_fails": ATTEMPTS}
    logged = caplog.text + output
    event = f"created sales.lead {lead.pk} by user {user.pk}"
    assert (f"Event handler vinculo.core.tests.event_handlers.fails_once failed on {event}" in logged
            and f"(attempt 1 of {ATTEMPTS}); it will be retried." in logged)
    assert f"Event handler vinculo.core.tests.event_handlers.always_fails failed on {event}" in logged
    assert f"after {ATTEMPTS} attempts; giving up." in logged
    assert "RuntimeError: always_fails" in logged  # with the traceback
    assert Lead.objects.get(pk=lead.pk).version == 1


@pytest.mark.django_db(transaction=True)
def test_a_handler_that_raises_as_the_request_commits_leaves_the_response_and_the_save_alone(registry, log_path, org):
    from vinculo.core.tests.api_client import ApiClient

    registry.subscribe(event_handlers.always_fails)
    account = org.north_account
    with override_settings(**Immediate.settings):  # the handlers run in this request, after its commit
        response = ApiClient(org.vendedor_norte).patch(f"/accounts/{account.pk}",
                                                       {"trade_name": "Norte Nuevo", "version": account.version})
    assert response.status_code == 200
    assert Account.objects.get(pk=account.pk).trade_name == "Norte Nuevo"
    assert [call["handler"] for call in event_handlers.calls(log_path)] == ["always_fails"] * ATTEMPTS


# ---------- Search reindexing is a handler that runs in the background ----------

@pytest.mark.django_db(transaction=True)
def test_the_search_index_follows_a_write_once_the_worker_has_run():
    user = UserFactory(is_superuser=True)
    with override_settings(**Database.settings):
        account = create_record(AccountFactory.build(owner=user, legal_name="Salitrera Tarapacá SpA"), by=user)
        assert not search.search(Account, user, "salitrera").exists()  # not in the request
        call_command("worker", burst=True, verbosity=0)
        assert list(search.search(Account, user, "salitrera")) == [account]

        soft_delete(account, by=user)
        call_command("worker", burst=True, verbosity=0)
        assert not search.search(Account, user, "salitrera").exists()


@pytest.mark.parametrize(("record_type", "kind", "fields", "reindexed"), [
    ("accounts.account", events.Kind.CREATED, [], True),
    ("accounts.account", events.Kind.DELETED, [], True),
    ("accounts.account", events.Kind.UPDATED, [], True),  # a save around core.services: changes unknown
    ("accounts.account", events.Kind.UPDATED, ["legal_name"], True),
    ("accounts.account", events.Kind.UPDATED, ["territory"], False),
    ("accounts.account", events.Kind.UPDATED, ["owner", "territory"], False),
    ("accounts.account", events.Kind.UPDATED, ["territory", "email"], True),
    ("sales.lead", events.Kind.TRANSITION, ["status"], True),  # a column: it may be read
    ("contacts.contact", events.Kind.UPDATED, ["account"], True),  # read through SEARCH_SELECT_RELATED
])
def test_an_update_that_only_moves_relations_search_text_does_not_read_is_not_reindexed(record_type, kind, fields,
                                                                                         reindexed):
    event = events.Event(kind=kind, record_type=record_type, record_id=1, actor_id=None,
                         changes=tuple(events.Change(name, 1, 2) for name in fields))
    assert search.may_change_search_text(event) is reindexed


def test_in_the_test_settings_handlers_run_inside_the_writers_transaction(org):
    account = create_record(AccountFactory.build(owner=org.vendedor_norte, legal_name="Viña Cauquenes Ltda"),
                            by=org.vendedor_norte)
    assert list(search.search(Account, org.vendedor_norte, "cauquenes")) == [account]


# ---------- Event details ----------

def test_a_save_around_the_services_emits_one_event_without_actor_or_changes(db, registry, log_path):
    registry.subscribe(event_handlers.record)
    lead = LeadFactory()  # a plain save(), as the admin or a data fix does
    lead.city = "Arica"
    lead.save()
    assert seen(log_path) == [("created", "sales.lead", lead.pk, None, []),
                              ("updated", "sales.lead", lead.pk, None, [])]


def test_changes_carry_the_stored_values_as_json(db, registry, log_path, org):
    registry.subscribe(event_handlers.record, kinds=[events.Kind.UPDATED], record_types=["accounts.Account"])
    account = Account.objects.get(pk=org.north_account.pk)
    account.owner = org.vendedor_norte2
    account.annual_revenue = Decimal("1500000.00")
    update_record(account, by=org.gerente_norte)
    update_record(org.north_contact, by=org.gerente_norte)  # not an account: not delivered
    [(kind, record_type, record_id, actor, changes)] = seen(log_path)
    assert (kind, record_type, record_id, actor) == ("updated", "accounts.account", account.pk, org.gerente_norte.pk)
    assert sorted(changes) == [("annual_revenue", None, "1500000.00"), ("owner", org.vendedor_norte.pk,
                                                                     org.vendedor_norte2.pk)]


def test_an_event_survives_the_trip_through_json():
    event = events.Event(kind=events.Kind.TRANSITION, record_type="sales.quote", record_id=7, actor_id=3,
                         changes=(events.Change("status", "draft", "sent"),),
                         occurred_at=datetime.datetime(2026, 3, 10, 12, 30, tzinfo=datetime.timezone.utc))
    assert events.Event.from_json(events.Event.from_json(event.to_json()).to_json()) == event
    assert str(event) == f"transition sales.quote 7 by user 3 (event {event.id})"


def test_handlers_are_module_level_functions_and_kinds_are_known(registry):
    def nested(event):
        pass

    with pytest.raises(Exception, match="module-level function"):
        registry.subscribe(nested)
    with pytest.raises(Exception, match="Unknown event kinds"):
        registry.subscribe(event_handlers.record, kinds=["saved"])


def _broken_filter(event):
    raise RuntimeError("broken filter")


def test_a_subscription_filter_that_raises_is_logged_and_the_handler_gets_the_event(registry, log_path, org, caplog):
    registry.subscribe(event_handlers.record, when=_broken_filter)
    lead = create_record(LeadFactory.build(owner=org.vendedor_norte), by=org.vendedor_norte)
    assert seen(log_path) == [("created", "sales.lead", lead.pk, org.vendedor_norte.pk, [])]
    assert "The filter of event handler vinculo.core.tests.event_handlers.record failed on created" in caplog.text


def test_retries_wait_backoff_seconds_then_twice_as_long_each_time(db, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    now = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(clock, "now", lambda: now)
    with override_settings(**{**Database.settings,
                              "VINCULO_EVENTS": {**EVENTS_AFTER_COMMIT, "BACKOFF_SECONDS": 10}}):
        assert [events.retry_delay(attempt) for attempt in (2, 3, 4, 5)] == [10, 20, 40, 80]
        later, at_once = events.enqueue([], attempt=3), events.enqueue([], attempt=1)
    assert (later.task.run_after, at_once.task.run_after) == (now + datetime.timedelta(seconds=20), None)
    assert DBTaskResult.objects.count() == 2


def test_in_the_test_settings_a_failing_handler_is_retried_at_once_and_never_reaches_the_writer(
        registry, log_path, org, caplog):
    registry.subscribe(event_handlers.always_fails)
    registry.subscribe(event_handlers.record)
    lead = create_record(LeadFactory.build(owner=org.vendedor_norte), by=org.vendedor_norte)
    assert Counter(call["handler"] for call in event_handlers.calls(log_path)) == {"always_fails": 5, "record": 1}
    assert "giving up" in caplog.text
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_the_worker_command_refuses_a_backend_that_runs_tasks_without_one():
    with override_settings(**Immediate.settings), pytest.raises(CommandError, match="without a worker"):
        call_command("worker", burst=True)


# ---------- bulk_update ----------

def test_bulk_update_writes_history_and_versions_like_an_edit_and_skips_records_already_so(org, registry, log_path):
    registry.subscribe(event_handlers.record)
    north, south = org.north_account, org.south_account
    soft_delete(south, by=org.admin)
    already = AccountFactory(owner=org.vendedor_norte2)
    versions = {account.pk: Account.all_objects.get(pk=account.pk).version for account in (north, south, already)}

    changed = bulk_update(Account.all_objects.filter(pk__in=[north.pk, south.pk, already.pk]),
                          {"owner": org.vendedor_norte2}, by=org.director)

    assert sorted(record.pk for record in changed) == sorted([north.pk, south.pk])
    stored = {account.pk: account for account in Account.all_objects.filter(pk__in=versions)}
    assert {pk: account.version - versions[pk] for pk, account in stored.items()} == {
        north.pk: 1, south.pk: 1, already.pk: 0}
    assert stored[north.pk].owner == stored[south.pk].owner == org.vendedor_norte2
    assert stored[south.pk].deleted_at is not None  # moved in the recycle bin, not restored
    assert stored[north.pk].updated_by == org.director
    entry = stored[north.pk].history().first()
    assert (entry.action, entry.user) == (ChangeLog.Action.UPDATE, org.director)
    assert entry.changes == [{"field": "owner", "label": "owner", "old": str(org.vendedor_norte),
                              "new": str(org.vendedor_norte2)}]
    assert not already.history().exists()
    assert [(kind, record_id) for kind, _type, record_id, _actor, _changes in seen(log_path)
            if kind == "updated"] == sorted([("updated", north.pk), ("updated", south.pk)], key=repr)


def test_bulk_update_of_nothing_or_of_records_already_so_writes_nothing(org, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk_update([], {"owner": org.admin}, by=org.admin) == []
        assert bulk_update([org.north_account], {"owner": org.vendedor_norte}, by=org.admin) == []


def test_bulk_update_clears_a_relation_by_name_and_takes_ids_as_well_as_records(org):
    child = AccountFactory(owner=org.vendedor_norte, parent=org.north_account)
    label = str(Account._meta.get_field("parent").verbose_name)

    bulk_update([child], {"parent": None}, by=org.admin)
    bulk_update(Account.objects.filter(pk=child.pk), {"parent_id": org.south_account.pk}, by=org.admin)

    child.refresh_from_db()
    assert (child.parent, child.version) == (org.south_account, 3)
    assert [entry.changes for entry in child.history()] == [
        [{"field": "parent", "label": label, "old": "", "new": str(org.south_account)}],
        [{"field": "parent", "label": label, "old": str(org.north_account), "new": ""}],
    ]


# ---------- Status transitions of the domain ----------

def test_moving_a_deal_to_another_stage_and_winning_it_are_transitions(org, registry, log_path):
    from vinculo.sales import pipeline
    from vinculo.sales.tests.factories import OpportunityFactory

    first, second = pipeline.active_stages()[:2]  # Prospección 10 %, Calificación 20 %
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, stage=first)
    registry.subscribe(event_handlers.record, kinds=[events.Kind.TRANSITION])

    pipeline.move_to_stage(deal, second, by=org.vendedor_norte)
    deal.refresh_from_db()
    pipeline.close_opportunity(deal, "won", by=org.vendedor_norte, reason="price")

    moved, won = (call["event"] for call in event_handlers.calls(log_path))
    assert (moved["record_type"], moved["record_id"], moved["actor_id"]) == ("sales.opportunity", deal.pk,
                                                                          org.vendedor_norte.pk)
    assert sorted((change["field"], change["old"], change["new"]) for change in moved["changes"]) == [
        ("probability", 10, 20), ("stage", first.pk, second.pk)]
    changes = {change["field"]: (change["old"], change["new"]) for change in won["changes"]}
    assert (changes["status"], changes["probability"], changes["close_reason"]) == (
        ("open", "won"), (20, 100), ("", "price"))
