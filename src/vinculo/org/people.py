"""Writes on users by an administrator (org.admin_views): invite, edit, deactivate, and hand a user's records
to someone else. Each change is written to the user's history (core.ChangeLog, as records' are)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from vinculo.core import clock, money
from vinculo.core.models import ChangeLog
from vinculo.core.records import record_types
from vinculo.core.services import bulk_update

from .models import SalesTeamMember, User
from .sessions import end_sessions

# The fields an administrator edits, in the order the history lists them.
EDITED_FIELDS = ["first_name", "last_name", "email", "role", "manager", "business_unit", "office", "language",
                 "is_active"]


def _text(user: User, name: str) -> str:
    value = getattr(user, name)
    field = User._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value or ""))
    if isinstance(value, bool):
        return str(translation.gettext("Yes") if value else translation.gettext("No"))
    return "" if value is None else str(value)


def record_history(record, by, action: str, changes: list[dict]) -> None:
    """A history entry for an organisation record (a user, an org-wide default), as core writes records'."""
    ChangeLog.objects.create(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk, action=action,
        user=by if by is not None and by.is_authenticated else None, at=clock.now(), changes=changes,
        record_label=str(record)[:300])


def history(record):
    return ChangeLog.objects.filter(content_type=ContentType.objects.get_for_model(record),
                                    object_id=record.pk).select_related("user")[:25]


def _diff(before: dict, user: User, names) -> list[dict]:
    return [{"field": name, "label": str(User._meta.get_field(name).verbose_name), "old": before[name],
             "new": _text(user, name)} for name in names if before[name] != _text(user, name)]


def _set_list(user, label: str, old: list[str], new: list[str]) -> list[dict]:
    if sorted(old) == sorted(new):
        return []
    return [{"field": "", "label": label, "old": ", ".join(sorted(old)), "new": ", ".join(sorted(new))}]


@transaction.atomic
def save_user(user: User, *, by, territories=None, teams=None, created: bool = False) -> User:
    """Save an administrator's edit of `user` (a form's instance, not yet saved) with its territories and
    sales teams (None: unchanged); one history entry lists what changed. A user made inactive is signed out."""
    before = {}
    old_territories, old_teams = [], []
    if not created:
        stored = User.objects.get(pk=user.pk)
        before = {name: _text(stored, name) for name in EDITED_FIELDS}
        old_territories = [str(t) for t in stored.territories.all()]
        old_teams = [str(t) for t in stored.sales_teams.all()]
    user.save()
    changes = [] if created else _diff(before, user, EDITED_FIELDS)
    if territories is not None:
        user.territories.set(territories)
        changes += _set_list(user, translation.gettext("Territories"), old_territories,
                             [str(t) for t in territories])
    if teams is not None:
        SalesTeamMember.objects.filter(user=user).exclude(team__in=teams).delete()
        kept = set(SalesTeamMember.objects.filter(user=user).values_list("team_id", flat=True))
        SalesTeamMember.objects.bulk_create([SalesTeamMember(team=team, user=user) for team in teams
                                             if team.pk not in kept])
        changes += _set_list(user, translation.gettext("Sales teams"), old_teams, [str(t) for t in teams])
    if created:
        record_history(user, by, ChangeLog.Action.CREATE, [])
    elif changes:
        record_history(user, by, ChangeLog.Action.UPDATE, changes)
    if not user.is_active:
        end_sessions(user)
    return user


def set_password_link(request, user: User) -> str:
    """The absolute address where `user` chooses a password: Django's reset link (signed, expiring after
    settings.PASSWORD_RESET_TIMEOUT, single use)."""
    path = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    return request.build_absolute_uri(path)


@transaction.atomic
def invite(request, user: User, *, by, territories=(), teams=()) -> User:
    """Create `user` without a password and e-mail them, in their language, a link to choose one."""
    user.set_unusable_password()
    user.currency = money.default_currency()  # their totals read in the organisation's currency until they choose
    save_user(user, by=by, territories=list(territories), teams=list(teams), created=True)
    link = set_password_link(request, user)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {"user": user, "link": link, "by": by}
        subject = render_to_string("org/admin/invite_subject.txt", context).strip()
        body = render_to_string("org/admin/invite_email.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))
    return user


@dataclass
class OwnedRecords:
    key: str
    label: str
    count: int


def owned_types() -> list:
    """The registered record types that have an owner."""
    return [kind for kind in record_types.all()
            if any(field.name == "owner" for field in kind.model._meta.concrete_fields)]


def owned_counts(user: User) -> list[OwnedRecords]:
    """How many records of each owned type `user` owns (records in the recycle bin left out): a query a type."""
    return [OwnedRecords(kind.key, str(kind.model._meta.verbose_name_plural),
                         kind.model.objects.filter(owner=user).count()) for kind in owned_types()]


@transaction.atomic
def reassign(user: User, to: User, keys: list[str], *, by) -> dict[str, int]:
    """Give `to` the records of the chosen types (`keys`) that `user` owns; each record's history says so.
    Returns how many moved per type."""
    moved = {}
    for kind in owned_types():
        if kind.key in keys:
            moved[kind.key] = len(bulk_update(kind.model.objects.filter(owner=user), {"owner": to}, by=by))
    return moved


def _shown(value) -> str:
    if isinstance(value, bool):
        return str(translation.gettext("Yes") if value else translation.gettext("No"))
    return "" if value is None else str(value)


@transaction.atomic
def save_structure(form, *, by):
    """Save an organisation settings form (a role, business unit, office, pipeline stage…); one history entry
    says what changed."""
    created = form.instance.pk is None
    stored = None if created else type(form.instance).objects.get(pk=form.instance.pk)
    changes = [] if created else [
        {"field": name, "label": str(form.fields[name].label), "old": _shown(getattr(stored, name)),
         "new": _shown(getattr(form.instance, name))} for name in form.changed_data]
    record = form.save()
    if created or changes:
        record_history(record, by, ChangeLog.Action.CREATE if created else ChangeLog.Action.UPDATE, changes)
    return record


@transaction.atomic
def delete_unless_in_use(record, in_use: Callable[[models.Model], str | None], *, by) -> str | None:
    """Delete `record` and record it in its history, unless `in_use` gives a reason not to: then the reason,
    and nothing changes."""
    record = type(record).objects.select_for_update().get(pk=record.pk)
    refused = in_use(record)
    if refused:
        return refused
    pk = record.pk
    record_history(record, by, ChangeLog.Action.DELETE,
                   [{"field": "", "label": translation.gettext("Deleted"), "old": str(record), "new": ""}])
    record.delete()
    record.pk = pk
    return None


def structure_in_use(record: models.Model) -> str | None:
    """Why a role, business unit or office may not be deleted, or None: what still names it — its users, the
    roles below it, a unit's offices and teams, and records of any app (every relation to it is counted, with
    records in the recycle bin: a query a relation)."""
    uses = []
    for relation in record._meta.related_objects:
        model = relation.related_model
        count = model._base_manager.filter(**{relation.field.name: record}).count()
        if not count:
            continue
        meta = model._meta
        name = str(meta.verbose_name if count == 1 else meta.verbose_name_plural)
        if model is type(record):
            uses.append(translation.gettext("%(count)d %(name)s below it") % {"count": count, "name": name})
        else:
            uses.append(f"{count} {name}")
    if not uses:
        return None
    return translation.gettext("“%(name)s” is in use (%(uses)s): move them elsewhere first, then delete it.") % {
        "name": record, "uses": ", ".join(uses)}
