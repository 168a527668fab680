"""Time reports: minutes per customer, per employee or per project over a date range, counted over the
time entries the reader may see; as a spreadsheet (XLSX) too. Names the reader may not open read
"a record you cannot see"."""

import io
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from vinculo.accounts.models import Account
from vinculo.core.access import HIDDEN_RECORD, visible_ids

from .models import Project, TimeEntry

BY = {
    "account": ("task__account", gettext_lazy("Customer")),
    "user": ("user", gettext_lazy("Employee")),
    "project": ("task__project", gettext_lazy("Project")),
}


@dataclass
class Line:
    id: int | None
    label: str
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


def entries_for(user, date_from: date | None, date_to: date | None):
    entries = TimeEntry.objects.visible_to(user)
    if date_from:
        entries = entries.filter(date__gte=date_from)
    if date_to:
        entries = entries.filter(date__lte=date_to)
    return entries


def summary(user, by: str, date_from: date | None = None, date_to: date | None = None) -> tuple[list[Line], int]:
    """(lines, total minutes): the time `user` may see between the dates, per `by` ("account", "user",
    "project"), most time first. Three queries: the sums, which names the reader may see, the names."""
    column, _label = BY[by]
    rows = list(entries_for(user, date_from, date_to).values(column).annotate(minutes=Sum("minutes"))
                .order_by("-minutes", column))
    ids = {row[column] for row in rows} - {None}
    names = _names(by, ids, user)
    lines = [Line(row[column], names.get(row[column], _none_label(by)), row["minutes"]) for row in rows]
    return lines, sum(line.minutes for line in lines)


def _none_label(by: str) -> str:
    return _("No project") if by == "project" else _("No customer")


def _names(by: str, ids: set, user) -> dict:
    if not ids:
        return {}
    if by == "user":
        return {person.pk: str(person) for person in get_user_model().objects.filter(pk__in=ids)}
    model = Account if by == "account" else Project
    seen = visible_ids(user, model, ids)
    return {record.pk: str(record) if record.pk in seen else str(HIDDEN_RECORD)
            for record in model._base_manager.filter(pk__in=ids)}


# Spreadsheet programs run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@")


def safe_cell(value):
    """A text cell that cannot run as a formula in the reader's spreadsheet program."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def summary_xlsx(lines: list[Line], total: int, by: str, date_from, date_to) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = str(_("Time"))[:31]
    period = f"{date_from.isoformat() if date_from else '…'} – {date_to.isoformat() if date_to else '…'}"
    sheet.append([str(_("Time per %(what)s") % {"what": str(BY[by][1]).lower()}), period])
    sheet.append([str(capfirst(BY[by][1])), str(_("Minutes")), str(_("Hours"))])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for line in lines:
        sheet.append([safe_cell(line.label), line.minutes, round(line.minutes / 60, 2)])
    sheet.append([str(_("Total")), total, round(total / 60, 2)])
    sheet[sheet.max_row][0].font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
