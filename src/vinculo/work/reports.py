"""Time reports: minutes per customer, per employee or per project over a date range, counted over the
time entries the reader may see; as a spreadsheet (XLSX) too. Names the reader may not open read
"a record you cannot see"."""

import heapq
import io
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import connections
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
    "account": ("account", gettext_lazy("Customer")),
    "user": ("user", gettext_lazy("Employee")),
    "project": ("task__project", gettext_lazy("Project")),
}
# Names are read this many ids at a time (a database takes a bounded number of parameters per query).
NAMES_BATCH = 5000


@dataclass
class Line:
    id: int | None
    label: str
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


@dataclass
class Summary:
    lines: list[Line]  # the lines asked for (all, or a page of them), most time first
    total: int  # minutes over every line
    count: int  # lines in all

    @property
    def rest(self) -> int:
        """The minutes of the lines not in `lines`."""
        return self.total - sum(line.minutes for line in self.lines)


def _in_range(date_from: date | None, date_to: date | None):
    entries = TimeEntry.objects.all()
    if date_from:
        entries = entries.filter(date__gte=date_from)
    if date_to:
        entries = entries.filter(date__lte=date_to)
    return entries


def minutes_by(user, by: str, date_from: date | None = None, date_to: date | None = None) -> dict:
    """{id (None for none): minutes} over the time `user` may see between the dates, per `by`. One sum per
    part of the access policy (TimeEntry.policy.parts): the time of the reader's line is read from the
    (user, date, …, account, minutes) index, the rest from the (date, …) one with each task's rule — one OR
    of both would read the task of every entry of the year (bench/: 200,000 entries, seconds). The others'
    time checks each task their entries point at once (Parent.among); when nobody outside the reader's line
    logged time between the dates (a director's whole company), the tasks' rule is not even built
    (`until_covered`). The sums are read as the database
    returns them (ids and whole numbers), without the ORM's per-row conversions: a year of a director's
    50,000 customers."""
    column, _label = BY[by]
    sums = {}
    for part in TimeEntry.policy.parts(_in_range(date_from, date_to), user, until_covered=True):
        query = part.values(column).annotate(minutes=Sum("minutes")).order_by().values_list(column, "minutes").query
        sql, params = query.sql_with_params()
        with connections[part.db].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not sums:
            sums = dict(rows)
            continue
        for key, minutes in rows:
            sums[key] = sums.get(key, 0) + minutes
    return sums


def summary_page(user, by: str, date_from: date | None = None, date_to: date | None = None,
                 offset: int = 0, limit: int | None = None) -> Summary:
    """The lines `offset` to `offset + limit` (all with `limit=None`) of the time `user` may see between the
    dates per `by` ("account", "user", "project"), most time first, named; the total and the number of
    lines over them all. A query per part of the access policy, then two for the names of the lines asked
    for (which of them the reader may see, and the names)."""
    sums = minutes_by(user, by, date_from, date_to)
    end = None if limit is None else offset + limit
    if end is None or end >= len(sums):
        chosen = sorted(sums.items(), key=_most_first)[offset:end]
    elif end <= 0:
        chosen = []
    else:
        # A page of a year's 50,000 customers: only the lines with at least the page's last line's minutes
        # are sorted.
        least = heapq.nlargest(end, sums.values())[-1]
        chosen = sorted(((key, minutes) for key, minutes in sums.items() if minutes >= least), key=_most_first)
        chosen = chosen[offset:end]
    names = _names(by, {key for key, _minutes in chosen} - {None}, user)
    lines = [Line(key, names.get(key, _none_label(by)), minutes) for key, minutes in chosen]
    return Summary(lines, sum(sums.values()), len(sums))


def _most_first(item) -> tuple:
    key, minutes = item
    return -minutes, key is None, key or 0


def summary(user, by: str, date_from: date | None = None, date_to: date | None = None) -> tuple[list[Line], int]:
    """(lines, total minutes): every line of `summary_page`."""
    page = summary_page(user, by, date_from, date_to)
    return page.lines, page.total


def _none_label(by: str) -> str:
    return _("No project") if by == "project" else _("No customer")


def _names(by: str, ids: set, user) -> dict:
    names = {}
    ids = sorted(ids)
    for start in range(0, len(ids), NAMES_BATCH):
        names.update(_batch_names(by, set(ids[start:start + NAMES_BATCH]), user))
    return names


def _batch_names(by: str, ids: set, user) -> dict:
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
