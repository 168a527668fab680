"""Moving deals through the pipeline: stage changes (form, board, API) and closing as won or lost.

Every path goes through `core.services.update_record`, so the same locking (version) and history apply,
whoever moves the deal and however."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.accounts.models import Account
from vinculo.accounts.services import make_customer
from vinculo.core import clock
from vinculo.core.access import require_edit
from vinculo.core.services import update_record

from .models import Opportunity, PipelineStage

# The pipeline a fresh install starts with (migration sales.0002 holds a frozen copy).
DEFAULT_STAGES = [
    ("Prospección", 10), ("Calificación", 20), ("Análisis de necesidades", 40), ("Propuesta", 60), ("Negociación", 80),
]


def active_stages() -> list[PipelineStage]:
    """The active stages in order; the default pipeline is created when none is left active."""
    stages = list(PipelineStage.objects.filter(is_active=True).order_by("order", "pk"))
    if not stages:
        stages = [PipelineStage.objects.create(name=name, order=order, probability=probability)
                  for order, (name, probability) in enumerate(DEFAULT_STAGES, start=1)]
    return stages


@transaction.atomic
def move_to_stage(opportunity: Opportunity, stage: PipelineStage, by, expected_version: int | None = None):
    """Put an open deal in `stage`, taking the stage's default probability. Raises PermissionDenied,
    ConflictError (someone saved it since `expected_version`) or ValidationError."""
    require_edit(by, opportunity)
    if not opportunity.is_open:
        raise ValidationError({"stage": _("This deal is closed; reopen it before moving it.")})
    if not stage.is_active:
        raise ValidationError({"stage": _("This stage is no longer in use.")})
    opportunity.stage = stage
    opportunity.probability = stage.probability
    return update_record(opportunity, by, expected_version=expected_version)


@transaction.atomic
def close_opportunity(
    opportunity: Opportunity,
    status: str,
    by,
    reason: str = "",
    note: str = "",
    amount: Decimal | None = None,
    expected_version: int | None = None,
):
    """Mark the deal won or lost (optionally with its final amount). Winning a deal makes a prospect
    account a customer, recorded in the account's history."""
    require_edit(by, opportunity)
    if status not in (Opportunity.Status.WON, Opportunity.Status.LOST):
        raise ValidationError({"status": _("A deal is closed as won or lost.")})
    if status == Opportunity.Status.WON and not Account.objects.filter(pk=opportunity.account_id).exists():
        # Winning makes the account a customer: a deleted one would have to come back silently.
        raise ValidationError(_("The deal's account is in the recycle bin: restore it before winning the deal."))
    opportunity.status = status
    opportunity.close_reason = reason
    opportunity.close_note = note
    opportunity.closed_on = clock.today()
    opportunity.probability = 100 if status == Opportunity.Status.WON else 0
    if amount is not None:
        opportunity.amount = amount
    update_record(opportunity, by, expected_version=expected_version)
    if status == Opportunity.Status.WON:
        account = Account.objects.select_for_update().get(pk=opportunity.account_id)
        if account.account_type == Account.Type.PROSPECT:
            make_customer(account, by)
    return opportunity


@transaction.atomic
def reopen_opportunity(opportunity: Opportunity, by, expected_version: int | None = None):
    require_edit(by, opportunity)
    opportunity.status = Opportunity.Status.OPEN
    opportunity.close_reason = ""
    opportunity.closed_on = None
    opportunity.probability = opportunity.stage.probability
    return update_record(opportunity, by, expected_version=expected_version)
