"""Writes on business plans: creating and changing a plan (its targets frozen once submitted), the
workflow — one service per transition, each recorded with who, when and why — objectives, linking deals
and activities, and the scheduled expiry of approved plans whose period has ended."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from vinculo.core import clock
from vinculo.core.access import can_edit, is_admin, require_edit
from vinculo.core.services import create_record, soft_delete, update_record

from .models import APPROVE_PLANS, BusinessPlan, Notification, Objective, PlanTransition

Status = BusinessPlan.Status


def _status_label(status: str) -> str:
    return str(Status(status).label)


def _refusal(message: str, plan: BusinessPlan) -> ValidationError:
    """A refused transition, naming the plan's current status (`message` has a %(status)s placeholder)."""
    return ValidationError(message % {"status": _status_label(plan.status)}, code="invalid_transition")


# Who may do what.

def is_above_owner(user, plan: BusinessPlan) -> bool:
    """Whether `user` is above the plan's owner: in the owner's chain of managers, or at a role above the
    owner's in the role hierarchy (a few small queries)."""
    owner = get_user_model().objects.select_related("role").get(pk=plan.owner_id)
    manager_id, seen = owner.manager_id, set()
    while manager_id is not None and manager_id not in seen:
        if manager_id == user.pk:
            return True
        seen.add(manager_id)
        manager_id = get_user_model().objects.filter(pk=manager_id).values_list("manager_id", flat=True).first()
    role = getattr(user, "role", None)
    return bool(role is not None and owner.role is not None and owner.role_id != role.pk
                and owner.role.path.startswith(role.path))


def is_reviewer(user, plan: BusinessPlan) -> bool:
    """A reviewer approves or returns a plan: the owner's manager up the hierarchy, or a holder of the
    *approve plans* permission (an admin holds every permission) — never the plan's owner."""
    if not (user and user.is_authenticated and user.is_active) or user.pk == plan.owner_id:
        return False
    return user.has_perm(APPROVE_PLANS) or is_above_owner(user, plan)


def may_submit(user, plan: BusinessPlan) -> bool:
    return bool(user and user.is_active and (user.pk == plan.owner_id or is_admin(user)))


def may_expire(user, plan: BusinessPlan) -> bool:
    """The owner, a reviewer, or anyone who may change the plan ends an approved plan by hand."""
    return may_submit(user, plan) or is_reviewer(user, plan) or can_edit(user, plan)


def allowed_transitions(user, plan: BusinessPlan) -> list[str]:
    """The transitions `user` may make on `plan` now: "submit", "approve", "return", "expire"."""
    found = []
    if plan.status == Status.DRAFT and may_submit(user, plan):
        found.append("submit")
    if plan.status in (Status.SUBMITTED, Status.APPROVED) and is_reviewer(user, plan):
        found += (["approve"] if plan.status == Status.SUBMITTED else []) + ["return"]
    if plan.status == Status.APPROVED and may_expire(user, plan):
        found.append("expire")
    return found


# Plans.

def _check_account(plan: BusinessPlan, by) -> None:
    from vinculo.accounts.models import Account

    if not Account.objects.editable_by(by, per_row=True).filter(pk=plan.account_id).exists():
        raise ValidationError({"account": _("Choose an account you may change.")})


@transaction.atomic
def create_plan(plan: BusinessPlan, by) -> BusinessPlan:
    """A new plan, in Draft, on an account `by` may change; its owner defaults to `by`."""
    _check_account(plan, by)
    plan.status = Status.DRAFT
    return create_record(plan, by=by)


@transaction.atomic
def update_plan(plan: BusinessPlan, by, expected_version: int | None = None) -> BusinessPlan:
    """Save changes to `plan`. The targets and goals (`BusinessPlan.TARGET_FIELDS`) and the owner of a
    submitted or approved plan are refused: the reviewer returns it to Draft first."""
    require_edit(by, plan)
    stored = BusinessPlan.objects.select_for_update().get(pk=plan.pk)
    if stored.is_frozen:
        columns = [BusinessPlan._meta.get_field(name).attname for name in (*BusinessPlan.TARGET_FIELDS, "owner")]
        changed = [column.removesuffix("_id") for column in columns
                   if getattr(stored, column) != getattr(plan, column)]
        if changed:
            raise ValidationError(
                {name: _("This plan is “%(status)s”: its targets and goals cannot change. A reviewer returns it to "
                         "Draft first.") % {"status": _status_label(stored.status)} for name in changed})
    if plan.account_id != stored.account_id:
        _check_account(plan, by)
    plan.status = stored.status  # only the workflow moves it
    return update_record(plan, by, expected_version=expected_version)


@transaction.atomic
def delete_plan(plan: BusinessPlan, by) -> None:
    require_edit(by, plan)
    if plan.is_frozen:
        raise _refusal(_("A plan that is “%(status)s” cannot be deleted; a reviewer returns it to Draft first."), plan)
    soft_delete(plan, by)


def _move(plan: BusinessPlan, to: str, by, comment: str, expected_version: int | None,
          notice: str | None = None, recipient_ids=()) -> BusinessPlan:
    """Record the transition and its notifications, then save the status: the save emits the transition's
    event, whose handler (plans.emails) e-mails the notifications once the transaction commits."""
    stored = BusinessPlan.objects.select_for_update().get(pk=plan.pk)
    if expected_version is not None and stored.version != expected_version:
        from vinculo.core.services import ConflictError

        raise ConflictError(stored, by_user=stored.updated_by)
    PlanTransition.objects.create(plan=stored, from_status=stored.status, to_status=to,
                                  by=by if by and by.is_authenticated else None, at=clock.now(), comment=comment)
    if notice is not None:
        notify(stored, notice, by, comment, recipient_ids)
    stored.status = to
    update_record(stored, by, validate=False)
    plan.status, plan.version, plan.updated_at = stored.status, stored.version, stored.updated_at
    return plan


def _locked_status(plan: BusinessPlan) -> str:
    return BusinessPlan.objects.select_for_update().values_list("status", flat=True).get(pk=plan.pk)


@transaction.atomic
def submit_plan(plan: BusinessPlan, by, comment: str = "", expected_version: int | None = None) -> BusinessPlan:
    """Draft → Submitted, by the owner (or an admin); the reviewers are told."""
    plan.status = _locked_status(plan)
    if not may_submit(by, plan):
        raise PermissionDenied(_("Only the plan's owner (or an administrator) submits it."))
    if plan.status != Status.DRAFT:
        raise _refusal(_("Only a draft plan can be submitted; this one is “%(status)s”."), plan)
    _move(plan, Status.SUBMITTED, by, comment.strip(), expected_version, Notification.Kind.SUBMITTED,
          reviewers_to_notify(plan))
    return plan


@transaction.atomic
def approve_plan(plan: BusinessPlan, by, comment: str = "", expected_version: int | None = None) -> BusinessPlan:
    """Submitted → Final approved, by a reviewer (never the owner); the owner is told."""
    plan.status = _locked_status(plan)
    if not is_reviewer(by, plan):
        raise PermissionDenied(_("Only the owner's manager or a user who may approve plans approves it, never its "
                                 "owner."))
    if plan.status != Status.SUBMITTED:
        raise _refusal(_("Only a submitted plan can be approved; this one is “%(status)s”."), plan)
    _move(plan, Status.APPROVED, by, comment.strip(), expected_version, Notification.Kind.APPROVED,
          [plan.owner_id])
    return plan


@transaction.atomic
def return_plan(plan: BusinessPlan, by, comment: str, expected_version: int | None = None) -> BusinessPlan:
    """Submitted (or Final approved) → Draft, by a reviewer, saying why; the owner is told."""
    plan.status = _locked_status(plan)
    if not is_reviewer(by, plan):
        raise PermissionDenied(_("Only the owner's manager or a user who may approve plans returns it, never its "
                                 "owner."))
    if plan.status not in (Status.SUBMITTED, Status.APPROVED):
        raise _refusal(_("Only a submitted or approved plan can be returned to Draft; this one is “%(status)s”."),
                       plan)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say why the plan goes back to Draft.")})
    _move(plan, Status.DRAFT, by, comment, expected_version, Notification.Kind.RETURNED, [plan.owner_id])
    return plan


@transaction.atomic
def expire_plan(plan: BusinessPlan, by, comment: str = "", expected_version: int | None = None) -> BusinessPlan:
    """Final approved → Expired, by hand (the owner, a reviewer or an editor of the plan); the owner is told
    (unless they did it)."""
    plan.status = _locked_status(plan)
    if not may_expire(by, plan):
        raise PermissionDenied(_("You may not end this plan."))
    if plan.status != Status.APPROVED:
        raise _refusal(_("Only an approved plan can expire; this one is “%(status)s”."), plan)
    return _move(plan, Status.EXPIRED, by, comment.strip(), expected_version, Notification.Kind.EXPIRED,
                 [plan.owner_id])


def expire_plans() -> int:
    """Approved plans whose period has ended become Expired, each with its transition and a notice to its
    owner; the number expired. Idempotent: run by `vinculo worker` on a schedule (plans/apps.py)."""
    today = clock.today()
    expired = 0
    due = BusinessPlan.objects.filter(status=Status.APPROVED, period_end__lt=today).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            stored = BusinessPlan.objects.select_for_update().filter(
                pk=pk, status=Status.APPROVED, period_end__lt=today).first()
            if stored is None:  # returned or expired meanwhile
                continue
            _move(stored, Status.EXPIRED, None, _("The plan's period ended."), None, Notification.Kind.EXPIRED,
                  [stored.owner_id])
            expired += 1
    return expired


# Notifications.

def reviewers_to_notify(plan: BusinessPlan) -> list[int]:
    """Who a submitted plan goes to: the owner's manager, else the holders of the *approve plans* permission."""
    manager_id = get_user_model().objects.filter(pk=plan.owner_id).values_list("manager_id", flat=True).first()
    if manager_id is not None:
        return [manager_id]
    from vinculo.core.policy import permission_backend

    holders = get_user_model().objects.with_perm(APPROVE_PLANS, backend=permission_backend(), include_superusers=False)
    return list(holders.exclude(pk=plan.owner_id).values_list("pk", flat=True))


def notify(plan: BusinessPlan, kind: str, by, comment: str, recipient_ids) -> list[Notification]:
    """A notification to each recipient who may see the plan (never to the one who acted), to be e-mailed
    too (plans.emails)."""
    actor_id = by.pk if by and by.is_authenticated else None
    wanted = {pk for pk in recipient_ids if pk is not None and pk != actor_id}
    if not wanted:
        return []
    allowed = BusinessPlan.policy.users_who_may_see(plan).filter(pk__in=wanted).values_list("pk", flat=True)
    now = clock.now()
    return Notification.objects.bulk_create([
        Notification(recipient_id=pk, plan=plan, kind=kind, actor_id=actor_id, comment=comment, at=now,
                     email_pending=True)
        for pk in sorted(allowed)
    ])


def unread_notifications(user, visible=None):
    """`user`'s unread notifications about plans they may still see (`visible`, when at hand)."""
    visible = BusinessPlan.objects.visible_to(user) if visible is None else visible
    # Tested row by row (EXISTS): the newest few unread are read through the recipient's index, never the
    # list of every plan the user may see.
    return Notification.objects.filter(recipient=user, read_at__isnull=True).filter(
        Exists(visible.filter(pk=OuterRef("plan_id"))))


def mark_read(user, notification_ids=None) -> int:
    found = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        found = found.filter(pk__in=notification_ids)
    return found.update(read_at=clock.now())


# Objectives.

def _check_objective_plan(objective: Objective, by) -> None:
    if objective.plan_id is None:
        if not by.has_perm("plans.manage_global_objectives"):
            raise PermissionDenied(_("Only users who manage global objectives change them."))
        return
    plan = BusinessPlan.objects.get(pk=objective.plan_id)
    require_edit(by, plan)
    if plan.is_frozen:
        raise _refusal(_("This plan is “%(status)s”: its objectives cannot change. A reviewer returns it to Draft "
                         "first."), plan)


@transaction.atomic
def create_objective(objective: Objective, by) -> Objective:
    _check_objective_plan(objective, by)
    return create_record(objective, by=by)


@transaction.atomic
def update_objective(objective: Objective, by, expected_version: int | None = None) -> Objective:
    """Change an objective. Under a submitted or approved plan only the manual progress may change."""
    stored = Objective.objects.select_for_update().get(pk=objective.pk)
    if stored.plan_id != objective.plan_id:
        _check_objective_plan(stored, by)
    plan = BusinessPlan.objects.filter(pk=objective.plan_id).first()
    if plan is not None and plan.is_frozen:
        require_edit(by, plan)
        frozen = [name for name in ("name", "metric", "activity_kind", "target", "due_date", "risk_margin")
                  if getattr(stored, name) != getattr(objective, name)]
        if frozen:
            raise ValidationError({name: _("This plan is “%(status)s”: its objectives' targets cannot change. A "
                                           "reviewer returns it to Draft first.") % {"status": _status_label(plan.status)}
                                   for name in frozen})
    else:
        _check_objective_plan(objective, by)
    return update_record(objective, by, expected_version=expected_version)


@transaction.atomic
def delete_objective(objective: Objective, by) -> None:
    _check_objective_plan(objective, by)
    soft_delete(objective, by)
