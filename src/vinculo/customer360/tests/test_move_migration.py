"""accounts 0009 and customer360 0001: the records that left accounts keep their rows, and whatever named their
type before the move — history, permissions held through a group, the recycle bin, their regarding links, the
search index, org-wide defaults — still resolves after it, with one content type per model."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from vinculo.accounts.models import Account
from vinculo.core.models import ChangeLog, SearchEntry
from vinculo.core.records import record_types
from vinculo.customer360.models import Contract, Note
from vinculo.org.models import OrgDefault, User

BEFORE = [("accounts", "0008_remove_lead"), ("customer360", None)]
AT = datetime.datetime(2026, 11, 10, 12, 0, tzinfo=datetime.timezone.utc)
MOVED = ("customerasset", "contract", "note", "contentdelivery", "document", "documentversion")


def _migrate(targets):
    """Migrate to `targets` and return the models as they were there (every other app at its latest)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    graph = executor.loader.graph
    apps = {app for app, _name in targets}
    kept = {node for target in targets if target[1] is not None for node in graph.forwards_plan(target)}
    later = {node for node in graph.nodes if node[0] in apps and node not in kept}
    # Other apps at their latest, less those whose migrations build on what was rolled back.
    nodes = [node for node in graph.leaf_nodes()
             if node[0] not in apps and not later & set(graph.forwards_plan(node))]
    return executor.loader.project_state(nodes + [node for node in targets if node[1] is not None]).apps


@pytest.mark.django_db(transaction=True)
def test_what_named_the_moved_records_before_the_move_still_finds_them(request):
    if request.config.getoption("nomigrations"):
        pytest.skip("tables come from the models, not from migrations")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        OldContentType = old.get_model("contenttypes", "ContentType")
        note_type = OldContentType.objects.get(app_label="accounts", model="note")
        account_type = OldContentType.objects.get(app_label="accounts", model="account")
        # What post_migrate would have made had it met the moved models before the relabelling.
        OldContentType.objects.create(app_label="customer360", model="note")

        # The user through today's model: org is not rolled back, and its table has columns the old model lacks.
        user = old.get_model("org", "User").objects.get(pk=User.objects.create(username="finanzas").pk)
        account = old.get_model("accounts", "Account").objects.create(legal_name="Minera Norte SpA", owner=user)
        OldNote = old.get_model("accounts", "Note")
        note = OldNote.objects.create(account=account, body="Paga a 60 días.", regarding_type=account_type,
                                      regarding_id=account.pk)
        binned = OldNote.objects.create(account=account, body="Borrada.", regarding_type=account_type,
                                        regarding_id=account.pk, deleted_at=AT, deleted_by=user)
        contract = old.get_model("accounts", "Contract").objects.create(
            account=account, number="CT-1", start_date=datetime.date(2026, 1, 1))
        log = old.get_model("core", "ChangeLog").objects.create(
            content_type=note_type, object_id=note.pk, action="create", user=user, at=AT, record_label="Nota")
        group = old.get_model("auth", "Group").objects.create(name="Lectores de notas")
        group.permissions.add(old.get_model("auth", "Permission").objects.get(content_type=note_type,
                                                                                codename="view_note"))
        user.groups.add(group)
        old.get_model("core", "SearchEntry").objects.create(kind="accounts.note", object_id=note.pk, body="paga")
        old.get_model("org", "OrgDefault").objects.create(record_type="accounts.contract", access="public_read")

        _migrate(latest)

        moved_type = ContentType.objects.get_for_model(Note)
        assert (moved_type.pk, moved_type.app_label) == (note_type.pk, "customer360")
        assert not ContentType.objects.filter(app_label="accounts", model__in=MOVED).exists()
        assert ContentType.objects.filter(model="note").count() == 1

        account = Account.all_objects.get(pk=account.pk)
        note = Note.all_objects.get(pk=note.pk)
        assert (note.body, note.regarding, note.account) == ("Paga a 60 días.", account, account)
        assert ChangeLog.objects.get(pk=log.pk).record == note
        assert list(note.history().values_list("pk", flat=True)) == [log.pk]
        assert binned.pk in record_types.restorable_model("note").all_objects.deleted().values_list("pk", flat=True)
        assert Contract.objects.get(pk=contract.pk).number == "CT-1"

        reader = User.objects.get(pk=user.pk)
        assert reader.has_perm("customer360.view_note") and not reader.has_perm("accounts.view_note")
        assert list(SearchEntry.objects.values_list("kind", "object_id")) == [("customer360.note", note.pk)]
        assert OrgDefault.objects.get().record_type == "customer360.contract"
    finally:
        _migrate(latest)


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses to start inside a transaction
@pytest.mark.parametrize("backwards", [False, True])
def test_the_move_runs_no_sql_on_the_tables(request, backwards):
    """State only: the moved tables are neither dropped, created nor altered, either way (what sqlmigrate shows)."""
    if request.config.getoption("nomigrations"):
        pytest.skip("no migrations to read")
    executor = MigrationExecutor(connection)
    for node in (("accounts", "0009_customer360_records_moved"), ("customer360", "0001_initial")):
        statements = executor.loader.collect_sql([(executor.loader.graph.nodes[node], backwards)])
        assert [sql for sql in statements if not sql.startswith("--")] == [], node
