"""E-mails about a plan's workflow (issue #12, point 6): submitted → the owner's manager, returned,
approved and expired → the owner; in the recipient's language; never to a user who cannot see the plan or
who switched them off; sent only once the transition commits."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from vinculo.core import events
from vinculo.core.tests.catalog import english_found_in
from vinculo.org.account_forms import ProfileForm
from vinculo.org.tests.factories import UserFactory
from vinculo.plans import emails, services
from vinculo.plans.models import BusinessPlan, Notification

from .factories import PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(plan_org):
    return PlanFactory(account=plan_org.north_account, owner=plan_org.vendedor_norte, name="Plan Norte 2026",
                       period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 12, 31),
                       revenue_target=Decimal("10000000"), currency="CLP")


def sent_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def test_submitting_emails_the_owners_manager_in_english(plan_org, plan):
    services.submit_plan(plan, plan_org.vendedor_norte, "Listo para revisión")
    assert [message.to for message in mail.outbox] == [["gerente.norte@example.com"]]
    message = mail.outbox[0]
    assert message.subject == "Business plan “Plan Norte 2026” waits for your approval"
    assert "Hello Usuario Gerente Norte," in message.body
    assert "Usuario Vendedor Norte submitted this business plan for your approval:" in message.body
    assert "Account: Minera Norte Grande SpA" in message.body
    assert "Period: 2026-01-01 – 2026-12-31" in message.body
    assert "10,000,000" in message.body
    assert "Status: Submitted" in message.body
    assert "Listo para revisión" in message.body
    assert f"http://localhost:8000/plans/{plan.pk}/" in message.body


def test_a_spanish_reader_gets_the_email_in_spanish_with_no_english_catalog_text(plan_org, plan):
    plan_org.gerente_norte.language = "es"
    plan_org.gerente_norte.save()
    plan_org.vendedor_norte.language = "es"
    plan_org.vendedor_norte.save()
    services.submit_plan(plan, plan_org.vendedor_norte)
    services.return_plan(plan, plan_org.gerente_norte, "Agregue visitas a faena")
    services.submit_plan(plan, plan_org.vendedor_norte)
    services.approve_plan(plan, plan_org.gerente_norte)
    services.expire_plan(plan, plan_org.gerente_norte)
    assert len(mail.outbox) == 5
    for message in mail.outbox:
        text = message.subject + "\n" + message.body
        assert english_found_in(text) == [], text
        assert "Período: 01-01-2026 – 31-12-2026" in message.body
        assert "$10.000.000" in message.body
        assert "Cuenta: Minera Norte Grande SpA" in message.body
    submitted, returned, _again, approved, expired = mail.outbox
    assert "Estado: Enviado" in submitted.body
    assert "Estado: Borrador" in returned.body and "Agregue visitas a faena" in returned.body
    assert "Estado: Aprobado final" in approved.body
    assert "Estado: Caducado" in expired.body


def test_returned_approved_and_expired_plans_email_the_owner_never_the_one_who_acted(plan_org, plan):
    owner, manager = plan_org.vendedor_norte, plan_org.gerente_norte
    services.submit_plan(plan, owner)
    services.return_plan(plan, manager, "Faltan objetivos de visitas")
    services.submit_plan(plan, owner)
    services.approve_plan(plan, manager, "Bien")
    services.expire_plan(plan, owner)  # by the owner: nobody to tell
    to_owner = sent_to(owner.email)
    assert [message.subject for message in to_owner] == [
        "Business plan “Plan Norte 2026” was returned to Draft",
        "Business plan “Plan Norte 2026” was approved",
    ]
    assert "Usuario Gerente Norte returned your business plan to Draft:" in to_owner[0].body
    assert "Faltan objetivos de visitas" in to_owner[0].body
    assert len(sent_to(manager.email)) == 2  # the two submissions
    assert len(mail.outbox) == 4


def test_the_automatic_expiry_emails_the_owner(plan_org, plan, monkeypatch):
    services.submit_plan(plan, plan_org.vendedor_norte)
    services.approve_plan(plan, plan_org.gerente_norte)
    mail.outbox.clear()
    next_year = timezone.make_aware(datetime.datetime(2027, 1, 1, 9))
    monkeypatch.setattr("vinculo.core.clock.now", lambda: next_year)
    assert services.expire_plans() == 1
    assert services.expire_plans() == 0
    assert [message.subject for message in mail.outbox] == ["Business plan “Plan Norte 2026” has expired"]
    assert "Your business plan expired at the end of its period:" in mail.outbox[0].body
    assert Notification.objects.get(kind=Notification.Kind.EXPIRED).recipient == plan_org.vendedor_norte


def test_no_email_to_a_manager_who_cannot_see_the_plan(plan_org, plan):
    outsider = UserFactory(username="jefe.externo")  # the owner's manager by the org chart, outside the roles
    plan_org.vendedor_norte.manager = outsider
    plan_org.vendedor_norte.save()
    assert not BusinessPlan.objects.visible_to(outsider).filter(pk=plan.pk).exists()
    services.submit_plan(plan, plan_org.vendedor_norte)
    assert mail.outbox == []
    assert not Notification.objects.filter(recipient=outsider).exists()


def test_a_recipient_who_lost_sight_of_the_plan_before_the_email_went_gets_none(plan_org, plan):
    # The notice was made while the rep could see the plan; the e-mail handler asks the policy again.
    notice = Notification.objects.create(recipient=plan_org.vendedor_sur, plan=plan, kind=Notification.Kind.APPROVED,
                                         at=timezone.now(), email_pending=True)
    event = events.Event(kind=events.Kind.TRANSITION, record_type="plans.businessplan", record_id=plan.pk,
                         actor_id=None)
    assert emails.send_plan_emails(event) == 0
    assert mail.outbox == []
    notice.refresh_from_db()
    assert not notice.email_pending


def test_a_user_who_switched_plan_emails_off_gets_the_in_app_notice_only(plan_org, plan):
    plan_org.gerente_norte.notifications = ["assigned"]
    plan_org.gerente_norte.save()
    services.submit_plan(plan, plan_org.vendedor_norte)
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=plan_org.gerente_norte, kind=Notification.Kind.SUBMITTED).exists()


def test_plan_emails_are_on_for_new_users_and_a_choice_on_the_profile(db):
    user = UserFactory(username="nueva")
    assert user.notifications == ["plans"]
    form = ProfileForm(instance=user)
    assert "plans" in dict(form.fields["notifications"].choices)


def test_the_handler_run_again_sends_nothing_twice(plan_org, plan):
    services.submit_plan(plan, plan_org.vendedor_norte)
    event = events.Event(kind=events.Kind.TRANSITION, record_type="plans.businessplan", record_id=plan.pk,
                         actor_id=plan_org.vendedor_norte.pk)
    assert emails.send_plan_emails(event) == 0
    assert len(mail.outbox) == 1


AFTER_COMMIT = {"TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
                "VINCULO_EVENTS": {"EAGER": False, "QUEUE": "default", "ATTEMPTS": 2, "BACKOFF_SECONDS": 0}}


@override_settings(**AFTER_COMMIT)
def test_the_email_goes_only_after_the_transition_commits(plan_org, plan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            services.submit_plan(plan, plan_org.vendedor_norte)
            assert mail.outbox == []  # not before the commit
    assert len(callbacks) == 1
    assert [message.to for message in mail.outbox] == [["gerente.norte@example.com"]]


@override_settings(**AFTER_COMMIT)
def test_no_email_when_the_transition_rolls_back(plan_org, plan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.submit_plan(plan, plan_org.vendedor_norte)
            raise RuntimeError("the request failed after the submission")
    assert callbacks == []
    assert mail.outbox == []
    plan.refresh_from_db()
    assert plan.status == BusinessPlan.Status.DRAFT
