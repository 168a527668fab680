"""Records that link to a plan or one of its objectives (deals, activities; tasks once they exist). Each
such model has nullable `plan` and `objective` foreign keys and an `account`; its app registers it from its
`AppConfig.ready()` so the plan page can list and link its records without importing it:

    links.register("deals", Opportunity, _("Opportunities"), order=10)

`check_link(record)` is what the linking model's `clean()` calls."""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core.access import require_edit
from vinculo.core.services import update_record

from .models import BusinessPlan, Objective


@dataclass(frozen=True)
class LinkType:
    key: str
    model: type
    label: str
    order: int = 100
    template: str = ""  # a row of the plan page's list; gets `record`
    candidates_order: tuple[str, ...] = ("-id",)
    # The follow-up an objective offers: the record's create page, which takes ?account=&objective=.
    create_url_name: str = ""
    create_label: str = ""


LINKS: dict[str, LinkType] = {}


def register(key: str, model, label, order: int = 100, template: str = "",
             candidates_order: tuple[str, ...] = ("-id",), create_url_name: str = "", create_label="") -> LinkType:
    if key in LINKS:
        raise ImproperlyConfigured(f"A link type {key!r} is already registered.")
    LINKS[key] = LinkType(key, model, label, order, template, candidates_order, create_url_name, create_label)
    return LINKS[key]


def link_types() -> list[LinkType]:
    return sorted(LINKS.values(), key=lambda link: (link.order, link.key))


def check_link(record) -> None:
    """A record's plan and objective must be of its account; an objective must be under a plan, the record's
    plan (which it sets when the record has none). One query per link given."""
    errors = {}
    if record.objective_id is not None:
        objective = Objective.all_objects.select_related("plan").filter(pk=record.objective_id).first()
        if objective is None or objective.plan_id is None:
            errors["objective"] = _("Link to an objective of a business plan.")
        elif objective.plan.account_id != record.account_id:
            errors["objective"] = _("This objective's plan is for another account.")
        elif record.plan_id is None:
            record.plan_id = objective.plan_id
        elif record.plan_id != objective.plan_id:
            errors["objective"] = _("This objective is under another plan than the one chosen.")
    if record.plan_id is not None:
        account_id = BusinessPlan.all_objects.filter(pk=record.plan_id).values_list("account_id", flat=True).first()
        if account_id is None or account_id != record.account_id:
            errors["plan"] = _("This plan is for another account.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def link(record, plan: BusinessPlan | None, objective: Objective | None, by):
    """Link `record` to `plan` (or to `objective` and so to its plan); both None unlinks. `by` must be able
    to change the record."""
    require_edit(by, record)
    record.plan = plan if objective is None else objective.plan
    record.objective = objective
    return update_record(record, by)
