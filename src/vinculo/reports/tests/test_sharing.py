"""Whom saved views and saved reports are open to: their owner, and as shared — chosen users, a sales team's
members, a role's users, everyone — never anyone else; only the owner or an administrator changes them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from vinculo.org.tests.factories import SalesTeamFactory, UserFactory
from vinculo.reports.models import SavedReport, SavedView, Visibility, saved_reports_for, saved_views_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    """The owner (vendedor.norte), a teammate in the owner's sales team, vendedor.norte2 in the same role, a
    chosen user (vendedor.sur), and an outsider in none of these (gerente.sur)."""
    team = SalesTeamFactory(name="Equipo Norte")
    teammate = UserFactory(username="companero")
    for member in (org.vendedor_norte, teammate):
        team.memberships.create(user=member)
    return {"owner": org.vendedor_norte, "teammate": teammate, "same role": org.vendedor_norte2,
            "chosen": org.vendedor_sur, "outsider": org.gerente_sur, "team": team}


def _make(model, people, visibility, **extra):
    values = {"owner": people["owner"], "name": f"{visibility}", "visibility": visibility, **extra}
    if model is SavedView:
        values["list_key"] = "opportunities"
    else:
        values["record_type"] = "opportunity"
    if visibility == Visibility.TEAM:
        values["team"] = people["team"]
    if visibility == Visibility.ROLE:
        values["role"] = people["owner"].role
    item = model.objects.create(**values)
    if visibility == Visibility.USERS:
        item.users.set([people["chosen"]])
    return item


OPEN_TO = {
    Visibility.PRIVATE: {"owner"},
    Visibility.USERS: {"owner", "chosen"},
    Visibility.TEAM: {"owner", "teammate"},
    Visibility.ROLE: {"owner", "same role"},
    Visibility.EVERYONE: {"owner", "teammate", "same role", "chosen", "outsider"},
}


@pytest.mark.parametrize("finder", [saved_views_for, saved_reports_for], ids=["views", "reports"])
@pytest.mark.parametrize("visibility", list(OPEN_TO))
def test_each_sharing_opens_it_to_exactly_its_people(people, finder, visibility):
    model = SavedView if finder is saved_views_for else SavedReport
    item = _make(model, people, visibility)
    opened_by = {who for who in ("owner", "teammate", "same role", "chosen", "outsider")
                 if list(finder(people[who])) == [item]}
    assert opened_by == OPEN_TO[visibility]


def test_a_user_shared_with_twice_sees_the_view_once(people, org):
    view = _make(SavedView, people, Visibility.USERS)
    view.users.add(people["teammate"])
    assert list(saved_views_for(people["chosen"])) == [view]
    assert list(saved_views_for(people["teammate"], "opportunities")) == [view]
    assert list(saved_views_for(people["teammate"], "leads")) == []


def test_only_the_owner_or_an_administrator_may_change_a_shared_view(people, org):
    view = _make(SavedView, people, Visibility.EVERYONE)
    assert view.editable_by(people["owner"]) and view.editable_by(org.admin)
    assert not view.editable_by(people["teammate"]) and not view.editable_by(people["outsider"])


def test_a_role_without_users_of_it_opens_nothing_to_users_without_a_role(people):
    _make(SavedView, people, Visibility.ROLE)
    assert list(saved_views_for(UserFactory(username="sin.rol"))) == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_shared_reports_shared_with_everyone(request):
    if request.config.getoption("nomigrations"):
        pytest.skip("tables come from the models, not from migrations")

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    before = [node for node in latest if node[0] != "reports"] + [("reports", "0001_initial")]
    try:
        old = migrate(before)
        user = old.get_model("org", "User").objects.create(username="migrador")
        reports = old.get_model("reports", "SavedReport").objects
        shared = reports.create(owner=user, name="Compartido", record_type="lead", shared=True).pk
        private = reports.create(owner=user, name="Privado", record_type="lead", shared=False).pk
        migrate(latest)
        assert SavedReport.objects.get(pk=shared).visibility == Visibility.EVERYONE
        assert SavedReport.objects.get(pk=private).visibility == Visibility.PRIVATE
        outsider = UserFactory(username="otro")
        assert [report.pk for report in saved_reports_for(outsider)] == [shared]
        back = migrate(before)
        assert sorted(back.get_model("reports", "SavedReport").objects.values_list("pk", "shared")) == [
            (shared, True), (private, False)]
    finally:
        migrate(latest)
