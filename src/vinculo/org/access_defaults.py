"""The org-wide default access per record type, changed by an administrator: which types follow it, how
many records a change touches (the warning shown before it is applied), and the change itself, recorded in
history. It applies at once everywhere: OrgDefault.save() clears the cached levels every channel reads."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core.access import AccessLevel, org_default_level
from vinculo.core.models import ChangeLog
from vinculo.core.policy import registry

from .models import OrgDefault
from .people import record_history


@dataclass
class DefaultRow:
    record_type: str  # "accounts.account"
    label: str
    level: str
    model: type

    @property
    def level_label(self) -> str:
        return str(AccessLevel(self.level).label)


def rows() -> list[DefaultRow]:
    """The record types whose access follows the org-wide default (their policy sets no level of its own)."""
    found = [DefaultRow(model._meta.label_lower, str(model._meta.verbose_name_plural),
                        org_default_level(model._meta.label_lower), model)
             for model, policy in registry.items() if policy.level is None and not model._meta.abstract]
    return sorted(found, key=lambda row: row.label.casefold())


def row_for(record_type: str) -> DefaultRow | None:
    return next((row for row in rows() if row.record_type == record_type), None)


def records_affected(row: DefaultRow, new_level: str) -> int:
    """How many records of the type change visibility (or editability) for everyone: all of them, unless
    the level stays. One query."""
    return 0 if new_level == row.level else row.model.objects.count()


@transaction.atomic
def change(row: DefaultRow, new_level: str, *, by) -> OrgDefault:
    default, _created = OrgDefault.objects.get_or_create(record_type=row.record_type,
                                                        defaults={"access": row.level})
    old = default.get_access_display()
    default.access = new_level
    default.save()
    record_history(default, by, ChangeLog.Action.UPDATE, [
        {"field": "access", "label": _("access"), "old": old, "new": default.get_access_display()}])
    return default
