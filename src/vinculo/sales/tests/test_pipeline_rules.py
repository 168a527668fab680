"""The rules of moving deals through the pipeline, as a rep and the sales manager read them.

- The pipeline is the active stages, in their order (stages of equal order in the order they were
  made); with none left active, the default pipeline comes back: Prospección 10 %, Calificación 20 %,
  Análisis de necesidades 40 %, Propuesta 60 %, Negociación 80 %.
- Moving an open deal to an active stage takes the stage's probability; a closed deal or a retired
  stage is refused.
- Closing: won means 100 %, lost 0 %, dated today, with the reason and comment given; winning a deal
  of a prospect makes it a customer (a new relationship becomes active). Reopening puts the deal back
  at its stage's probability, without a close date or reason.
- Every write needs the right to edit the deal, refuses a stale version and names its author in the
  history.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from vinculo.accounts.models import Account, AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core import clock
from vinculo.core.models import ChangeLog
from vinculo.core.services import ConflictError
from vinculo.sales import pipeline
from vinculo.sales.models import Opportunity, PipelineStage

from .factories import OpportunityFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 5, 15)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.fixture
def stages():
    """A pipeline of our own: Contacto 15 %, Demo 35 %, Cierre 90 %, and a retired Feria 50 %."""
    PipelineStage.objects.update(is_active=False)
    return {
        "Contacto": PipelineStage.objects.create(name="Contacto", order=1, probability=15),
        "Demo": PipelineStage.objects.create(name="Demo", order=2, probability=35),
        "Cierre": PipelineStage.objects.create(name="Cierre", order=3, probability=90),
        "Feria": PipelineStage.objects.create(name="Feria", order=2, probability=50, is_active=False),
    }


@pytest.fixture
def deal(org, stages):
    return OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Flota de grúas",
                              stage=stages["Contacto"], probability=15, amount=Decimal("1000000"))


def stored(deal):
    return Opportunity.objects.get(pk=deal.pk)


def updates_of(record):
    return ChangeLog.objects.filter(object_id=record.pk, content_type__model=type(record)._meta.model_name,
                                    action=ChangeLog.Action.UPDATE)


def read_only(org):
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_norte2,
                                     access=AccountTeamMember.Access.READ)
    return org.vendedor_norte2


# ---------- The pipeline ----------

def test_the_pipeline_is_the_active_stages_in_order_ties_in_creation_order(stages):
    late_demo = PipelineStage.objects.create(name="Demo técnica", order=2, probability=40)
    first = PipelineStage.objects.create(name="Llamada", order=0, probability=5)
    assert [stage.name for stage in pipeline.active_stages()] == [
        first.name, "Contacto", "Demo", late_demo.name, "Cierre"]  # the retired Feria is left out


def test_with_no_active_stage_left_the_default_pipeline_comes_back_once():
    PipelineStage.objects.update(is_active=False)
    retired = PipelineStage.objects.count()
    created = pipeline.active_stages()
    assert [(stage.name, stage.order, stage.probability, stage.is_active) for stage in created] == [
        ("Prospección", 1, 10, True),
        ("Calificación", 2, 20, True),
        ("Análisis de necesidades", 3, 40, True),
        ("Propuesta", 4, 60, True),
        ("Negociación", 5, 80, True),
    ]
    assert all(stage.pk for stage in created)
    assert pipeline.active_stages() == created
    assert PipelineStage.objects.count() == retired + 5


# ---------- Moving ----------

def test_a_move_takes_the_stages_probability_and_names_the_mover(org, stages, deal):
    moved = pipeline.move_to_stage(deal, stages["Demo"], by=org.gerente_norte, expected_version=1)
    assert moved.pk == deal.pk
    deal = stored(deal)
    assert (deal.stage, deal.probability, deal.version) == (stages["Demo"], 35, 2)
    entry = updates_of(deal).get()
    assert entry.user == org.gerente_norte
    assert {change["field"]: change["new"] for change in entry.changes} == {"stage": "Demo", "probability": "35"}


def test_a_move_overrides_a_probability_set_by_hand(org, stages, deal):
    deal.probability = 70
    deal.save()
    pipeline.move_to_stage(deal, stages["Cierre"], by=org.vendedor_norte)
    assert stored(deal).probability == 90


def test_a_move_from_a_stale_copy_is_refused(org, stages, deal):
    pipeline.move_to_stage(deal, stages["Demo"], by=org.vendedor_norte, expected_version=1)
    stale = Opportunity.objects.get(pk=deal.pk)
    stale.version = 1
    with pytest.raises(ConflictError):
        pipeline.move_to_stage(stale, stages["Cierre"], by=org.gerente_norte, expected_version=1)
    assert (stored(deal).stage, stored(deal).version) == (stages["Demo"], 2)


def test_a_move_to_a_retired_stage_is_refused_naming_the_stage(org, stages, deal):
    with pytest.raises(ValidationError) as refused:
        pipeline.move_to_stage(deal, stages["Feria"], by=org.vendedor_norte)
    assert refused.value.message_dict == {"stage": ["This stage is no longer in use."]}
    assert (stored(deal).stage, stored(deal).probability) == (stages["Contacto"], 15)


@pytest.mark.parametrize("status", [Opportunity.Status.WON, Opportunity.Status.LOST])
def test_a_closed_deal_cannot_be_moved(org, stages, deal, status):
    pipeline.close_opportunity(deal, status, by=org.vendedor_norte, reason="price")
    with pytest.raises(ValidationError) as refused:
        pipeline.move_to_stage(deal, stages["Demo"], by=org.vendedor_norte)
    assert refused.value.message_dict == {"stage": ["This deal is closed; reopen it before moving it."]}
    assert stored(deal).stage == stages["Contacto"]


def test_a_read_only_team_member_cannot_move_close_or_reopen(org, stages, deal):
    reader = read_only(org)
    with pytest.raises(PermissionDenied):
        pipeline.move_to_stage(deal, stages["Demo"], by=reader)
    with pytest.raises(PermissionDenied):
        pipeline.close_opportunity(deal, Opportunity.Status.WON, by=reader)
    assert stored(deal).is_open and stored(deal).stage == stages["Contacto"]
    pipeline.close_opportunity(deal, Opportunity.Status.LOST, by=org.vendedor_norte, reason="price")
    with pytest.raises(PermissionDenied):
        pipeline.reopen_opportunity(deal, by=reader)
    assert stored(deal).status == Opportunity.Status.LOST


# ---------- Closing ----------

def test_winning_means_100_percent_today_with_the_reason_comment_and_final_amount(org, deal):
    closed = pipeline.close_opportunity(deal, Opportunity.Status.WON, by=org.vendedor_norte, reason="relationship",
                                        note="Firmado en terreno", amount=Decimal("1250000"), expected_version=1)
    assert closed.pk == deal.pk
    deal = stored(deal)
    assert (deal.status, deal.probability, deal.closed_on, deal.close_reason, deal.close_note, deal.amount) == (
        "won", 100, D(2026, 5, 15), "relationship", "Firmado en terreno", Decimal("1250000"))
    assert updates_of(deal).get().user == org.vendedor_norte


def test_losing_means_0_percent_and_keeps_the_amount_when_none_is_given(org, deal):
    pipeline.close_opportunity(deal, Opportunity.Status.LOST, by=org.vendedor_norte, reason="competitor",
                               note="Eligieron otra marca")
    deal = stored(deal)
    assert (deal.status, deal.probability, deal.closed_on, deal.close_reason, deal.close_note, deal.amount) == (
        "lost", 0, D(2026, 5, 15), "competitor", "Eligieron otra marca", Decimal("1000000"))


def test_a_final_amount_of_zero_is_kept(org, deal):
    pipeline.close_opportunity(deal, Opportunity.Status.WON, by=org.vendedor_norte, amount=Decimal("0"))
    assert stored(deal).amount == Decimal("0")


@pytest.mark.parametrize("status", [Opportunity.Status.OPEN, "cancelled"])
def test_a_deal_is_closed_only_as_won_or_lost(org, deal, status):
    with pytest.raises(ValidationError) as refused:
        pipeline.close_opportunity(deal, status, by=org.vendedor_norte)
    assert refused.value.message_dict == {"status": ["A deal is closed as won or lost."]}
    deal = stored(deal)
    assert (deal.status, deal.probability, deal.closed_on, deal.version) == ("open", 15, None, 1)


def test_a_stale_close_is_refused_and_the_prospect_stays_a_prospect(org, deal):
    Account.objects.filter(pk=org.north_account.pk).update(account_type=Account.Type.PROSPECT)
    with pytest.raises(ConflictError):
        pipeline.close_opportunity(deal, Opportunity.Status.WON, by=org.vendedor_norte, expected_version=3)
    assert stored(deal).is_open
    assert Account.objects.get(pk=org.north_account.pk).account_type == Account.Type.PROSPECT


def prospect(org, relationship):
    account = AccountFactory(owner=org.vendedor_norte, account_type=Account.Type.PROSPECT,
                             relationship_status=relationship)
    return account, OpportunityFactory(account=account, owner=org.vendedor_norte)


def test_winning_a_prospects_deal_makes_it_an_active_customer_in_its_history(org):
    account, deal = prospect(org, Account.Relationship.NEW)
    pipeline.close_opportunity(deal, Opportunity.Status.WON, by=org.gerente_norte)
    account.refresh_from_db()
    assert (account.account_type, account.relationship_status) == ("customer", "active")
    entry = updates_of(account).get()
    assert entry.user == org.gerente_norte
    assert {change["field"]: change["new"] for change in entry.changes} == {
        "account_type": "Customer", "relationship_status": "Active"}


def test_winning_keeps_a_relationship_that_is_not_new(org):
    account, deal = prospect(org, Account.Relationship.AT_RISK)
    pipeline.close_opportunity(deal, Opportunity.Status.WON, by=org.vendedor_norte)
    account.refresh_from_db()
    assert (account.account_type, account.relationship_status) == ("customer", "at_risk")


def test_losing_a_prospects_deal_leaves_it_a_prospect(org):
    account, deal = prospect(org, Account.Relationship.NEW)
    pipeline.close_opportunity(deal, Opportunity.Status.LOST, by=org.vendedor_norte, reason="price")
    account.refresh_from_db()
    assert (account.account_type, account.relationship_status) == ("prospect", "new")
    assert not updates_of(account).exists()


@pytest.mark.parametrize("account_type", [Account.Type.PARTNER, Account.Type.CUSTOMER])
def test_winning_a_deal_of_a_partner_or_customer_changes_nothing_on_the_account(org, account_type):
    account = AccountFactory(owner=org.vendedor_norte, account_type=account_type,
                             relationship_status=Account.Relationship.NEW)
    deal = OpportunityFactory(account=account, owner=org.vendedor_norte)
    pipeline.close_opportunity(deal, Opportunity.Status.WON, by=org.vendedor_norte)
    account.refresh_from_db()
    assert (account.account_type, account.relationship_status) == (account_type, "new")
    assert not updates_of(account).exists()


def test_making_a_customer_needs_no_right_on_the_account(org):
    account = AccountFactory(owner=org.vendedor_sur, account_type=Account.Type.PROSPECT,
                             relationship_status=Account.Relationship.NEW)
    pipeline.make_customer(account, by=org.vendedor_norte)
    account.refresh_from_db()
    assert (account.account_type, account.relationship_status) == ("customer", "active")
    assert updates_of(account).get().user == org.vendedor_norte


# ---------- Reopening ----------

def test_reopening_puts_the_deal_back_at_its_stages_probability_without_close_date_or_reason(org, stages, deal):
    pipeline.move_to_stage(deal, stages["Demo"], by=org.vendedor_norte)
    pipeline.close_opportunity(deal, Opportunity.Status.LOST, by=org.vendedor_norte, reason="timing")
    reopened = pipeline.reopen_opportunity(deal, by=org.gerente_norte, expected_version=3)
    assert reopened.pk == deal.pk
    deal = stored(deal)
    assert (deal.status, deal.stage, deal.probability, deal.closed_on, deal.close_reason, deal.version) == (
        "open", stages["Demo"], 35, None, "", 4)
    assert updates_of(deal).first().user == org.gerente_norte
    pipeline.move_to_stage(deal, stages["Cierre"], by=org.vendedor_norte)
    assert stored(deal).probability == 90


def test_a_stale_reopen_is_refused(org, deal):
    pipeline.close_opportunity(deal, Opportunity.Status.WON, by=org.vendedor_norte)
    with pytest.raises(ConflictError):
        pipeline.reopen_opportunity(deal, by=org.vendedor_norte, expected_version=1)
    deal = stored(deal)
    assert (deal.status, deal.probability, deal.closed_on) == ("won", 100, D(2026, 5, 15))

