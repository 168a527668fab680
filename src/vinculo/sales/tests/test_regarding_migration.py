"""The data migrations activities 0004 and accounts 0006: every activity, note and file keeps its subject when
the lead and deal links become `regarding`."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from vinculo.accounts.models import Account
from vinculo.activities.models import Activity
from vinculo.customer360.models import Document, Note
from vinculo.org.models import User
from vinculo.sales.models import Lead, Opportunity

BEFORE = [("activities", "0003_regarding"), ("accounts", "0006_regarding")]
AT = datetime.datetime(2026, 11, 10, 12, 0, tzinfo=datetime.timezone.utc)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_each_activity_note_and_file_ends_about_its_lead_else_its_deal_else_its_account(request):
    if request.config.getoption("nomigrations"):
        pytest.skip("tables come from the models, not from migrations")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        # The user through today's model: org is not rolled back, and its table has columns the old model lacks.
        user = old.get_model("org", "User").objects.get(pk=User.objects.create(username="migrador").pk)
        account = old.get_model("accounts", "Account").objects.create(legal_name="Minera Norte SpA", owner=user)
        stage = old.get_model("sales", "PipelineStage").objects.create(name="Calificación")
        lead = old.get_model("sales", "Lead").objects.create(last_name="Fuentes", owner=user)
        deal = old.get_model("sales", "Opportunity").objects.create(
            name="Flota", account=account, owner=user, stage=stage)
        OldActivity = old.get_model("activities", "Activity")

        def activity(subject, **links):
            return OldActivity.objects.create(subject=subject, occurred_at=AT, owner=user, **links).pk

        ids = {
            "lead": activity("De un lead", lead=lead),
            "deal": activity("De un negocio", account=account, opportunity=deal),
            "account": activity("De una cuenta", account=account),
            "lead_and_deal": activity("Lead y negocio", lead=lead, opportunity=deal),
            "loose": activity("Sin vínculo"),
        }
        notes = {link: old.get_model("accounts", "Note").objects.create(body=link, **{link: target}).pk
                 for link, target in (("lead", lead), ("account", account))}
        files = {link: old.get_model("accounts", "Document").objects.create(title=link, **{link: target}).pk
                 for link, target in (("lead", lead), ("account", account))}

        _migrate(latest)

        lead, deal, account = Lead.all_objects.get(), Opportunity.all_objects.get(), Account.all_objects.get()
        about = {name: Activity.all_objects.get(pk=pk) for name, pk in ids.items()}
        assert (about["lead"].regarding, about["lead"].account) == (lead, None)
        assert (about["deal"].regarding, about["deal"].account) == (deal, account)
        assert (about["account"].regarding, about["account"].account) == (account, account)
        assert about["lead_and_deal"].regarding == lead
        assert (about["loose"].regarding_type_id, about["loose"].regarding_id) == (None, None)
        assert [Note.all_objects.get(pk=notes[link]).regarding for link in ("lead", "account")] == [lead, account]
        assert [Document.all_objects.get(pk=files[link]).regarding for link in ("lead", "account")] == [lead, account]
        assert list(Activity.all_objects.filter(lead=lead).order_by("pk").values_list("pk", flat=True)) == [
            ids["lead"], ids["lead_and_deal"]]
    finally:
        _migrate(latest)
