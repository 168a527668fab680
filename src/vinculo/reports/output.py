"""A report's result in the shapes the channels need: its definition as a query string (the builder's
form, drill-down links), a table of formatted cells (the page and the CSV), a spreadsheet with typed cells
(XLSX) and a bar chart drawn on the server (SVG). Each channel shows what the engine returned, so a
hidden field is blank and a record the reader may not see reads "a record you cannot see" in all of them."""

import csv
import datetime
import io
from decimal import Decimal
from itertools import chain
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.core import clock
from vinculo.core.money import format_money
from vinculo.exchange import xlsx
from vinculo.exchange.rules import RISKY_STARTS, neutralise

from .engine import Aggregate, Definition, Filter, Group, ReportError, Result, export, row_chunks, run

AGGREGATE_LABELS = {"count": gettext_lazy("Count"), "sum": gettext_lazy("Sum"), "avg": gettext_lazy("Average"),
                    "min": gettext_lazy("Minimum"), "max": gettext_lazy("Maximum")}


# --- The definition as a query string ----------------------------------------------------------------------

def to_query(definition: Definition, chart: str = "", extra_filters=(), flat: bool = False) -> str:
    params = [("type", definition.record_type)] + [("col", c) for c in definition.columns]
    for flt in list(definition.filters) + [Filter(**f) if isinstance(f, dict) else f for f in extra_filters]:
        value = flt.value
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        params.append(("f", f"{flt.field}~{flt.op}~{'' if value is None else value}"))
    if not flat:
        params += [("g", g) for g in definition.group_by]
        params += [("a", f"{a.fn}:{a.field}") for a in definition.aggregates]
    params += [("s", s) for s in definition.sort]
    if chart and not flat:
        params.append(("chart", chart))
    return urlencode(params)


def from_query(query) -> Definition:
    """The definition a builder form (or a drill-down link) sends; ReportError on a malformed part."""
    filters = []
    for text in query.getlist("f"):
        parts = text.split("~", 2)
        if len(parts) < 2 or not parts[0]:
            raise ReportError("filters", _("A filter needs a column and an operator."))
        field, op, value = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        if op in ("in", "between"):
            value = [v for v in value.split(",")]
        filters.append(Filter(field, op, value if value != "" else None))
    for field, op, value in zip(query.getlist("f_field"), query.getlist("f_op"), query.getlist("f_value"),
                                strict=False):
        if field:
            value = value.strip()
            filters.append(Filter(field, op, (value.split(",") if op in ("in", "between") else value) or None))
    aggregates = []
    for fn, field in zip(query.getlist("a_fn"), query.getlist("a_field"), strict=False):
        if field:
            aggregates.append(Aggregate(field, fn))
    for text in query.getlist("a"):
        fn, _sep, field = text.partition(":")
        if not field:
            raise ReportError("aggregates", _("An aggregate needs a function and a column."))
        aggregates.append(Aggregate(field, fn))
    return Definition(record_type=query.get("type", ""), columns=[c for c in query.getlist("col") if c],
                      filters=filters, group_by=[g for g in query.getlist("g") if g], aggregates=aggregates,
                      sort=[s for s in query.getlist("s") if s])


# --- Formatting ---------------------------------------------------------------------------------------------

def aggregate_label(result: Result, aggregate: Aggregate) -> str:
    column = result.aggregate_columns[aggregate.field]
    return f"{AGGREGATE_LABELS[aggregate.fn]}: {column.label}"


def format_aggregate(value, kind: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return " · ".join(format_money(Decimal(amount), currency or "CLP") for currency, amount in value.items())
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return f"{value:.2f}"
    return str(value)


def cell_text(result: Result, column, cell) -> str:
    value, text = cell[0], cell[1]
    if column.kind == "money" and value is not None:
        return format_money(Decimal(value), cell[2] if len(cell) > 2 else "CLP")
    return text


def table(result: Result) -> dict:
    """Headers, and the groups with their rows and subtotals, as text."""
    headers = [c.label for c in result.columns]

    def rows_of(filters):
        matching = [row for row in result.rows
                    if all(_row_matches(result, row, flt) for flt in filters)] if filters else result.rows
        return [[cell_text(result, c, row[c.path]) for c in result.columns] for row in matching]

    def group_dict(group: Group, depth: int):
        return {"label": group.label, "count": group.count, "depth": depth, "filters": group.filters,
                "values": [format_aggregate(group.values.get(a.key)) for a in result.aggregates],
                "children": [group_dict(child, depth + 1) for child in group.children],
                "rows": rows_of(group.filters) if not group.children else []}

    return {
        "headers": headers,
        "aggregate_headers": [aggregate_label(result, a) for a in result.aggregates],
        "groups": [group_dict(group, 0) for group in result.groups],
        "rows": [] if result.groups else rows_of(()),
        "total": {"count": result.total.count,
                  "values": [format_aggregate(result.total.values.get(a.key)) for a in result.aggregates]},
    }


def _row_matches(result: Result, row: dict, flt: dict) -> bool:
    """Whether a row falls in a group (from the group's own drill-down filter)."""
    column = next(c for c in result.columns + result.group_columns if c.path.split(":")[0] == flt["field"]
                  or c.path == flt["field"])
    value = row.get(column.path, (None,))[0]
    if flt["op"] == "empty":
        return value in (None, "")
    if flt["op"] == "between":
        day = value.date() if isinstance(value, datetime.datetime) else value
        return day is not None and flt["value"][0] <= day.isoformat() <= flt["value"][1]
    return value == flt["value"] or str(value) == str(flt["value"])


# --- CSV and XLSX ---------------------------------------------------------------------------------------------

def exported(definition: Definition, user, fmt: str, limit: int) -> Result:
    """The report as an export in `fmt` writes it: its rows streamed from the database as they are written
    (`engine.export`), but a PDF's held (`engine.run`: reportlab lays every row out before writing a page),
    `limit` rows at most either way."""
    return run(definition, user, limit=limit) if fmt == "pdf" else export(definition, user, limit=limit)


def to_csv(result: Result) -> str:
    return "".join(part for part, _rows in _csv_parts(result))


def write_csv(result: Result, out, progress=None) -> int:
    """The CSV into `out` (a binary file) a chunk of rows at a time, `progress(rows written)` after each;
    how many rows were written."""
    written = 0
    for part, rows in _csv_parts(result):
        out.write(part.encode("utf-8"))
        written += rows
        if rows and progress is not None:
            progress(written)
    return written


def _csv_parts(result: Result):
    """The CSV's text: its header, then a part per chunk of rows, each with its number of rows."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([c.label for c in result.columns])
    columns = result.columns
    for chunk in chain([[]], row_chunks(result.rows)):
        writer.writerows([neutralise(_plain(c, row[c.path])) for c in columns] for row in chunk)
        part = text.getvalue()
        text.seek(0)
        text.truncate()
        yield part, len(chunk)


def _plain(column, cell):
    value = cell[0]
    if value is None:
        return cell[1]
    if column.kind in ("record", "choice"):
        return cell[1]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


XLSX_KINDS = {"money": xlsx.MONEY, "date": xlsx.DATE, "datetime": xlsx.DATETIME, "number": xlsx.NUMBER,
              "bool": xlsx.BOOL}


def _xlsx_column(column, money: bool, zone):
    """The function giving a chunk of rows' cells of `column` as the spreadsheet stores them, chosen once per
    column and run as one list comprehension per chunk (`neutralise` called only on text that needs it)."""
    path = column.path
    if column.kind in ("record", "choice"):
        return lambda rows: _texts([row[path][1] for row in rows])

    def cell(shown):
        value = shown[0]
        if value is None:
            return neutralise(shown[1]) or None
        if money:
            return (value, shown[2] if len(shown) > 2 else None)
        if isinstance(value, datetime.datetime):
            return value.astimezone(zone) if timezone.is_aware(value) else value  # shown as its wall-clock time
        return neutralise(value) if isinstance(value, str) else value

    if money or column.kind == "datetime":
        return lambda rows: [cell(row[path]) for row in rows]
    if column.kind == "text":
        return lambda rows: [shown[0] if shown[0].__class__ is str and shown[0][:1] not in RISKY_STARTS
                             else cell(shown) for shown in [row[path] for row in rows]]
    # Numbers and dates as they are; an empty value's text (a hidden field's) goes through `cell`.
    plain = (int, Decimal, float, datetime.date, bool)
    return lambda rows: [shown[0] if shown[0].__class__ in plain else cell(shown) for shown in
                         [row[path] for row in rows]]


def _texts(values: list) -> list:
    return [value if value.__class__ is str and value[:1] not in RISKY_STARTS else (neutralise(value) or None)
            for value in values]


def to_xlsx(result: Result, title: str, out=None, progress=None) -> bytes | None:
    """Typed cells (numbers, dates, amounts as numbers in their currency's format), a bold frozen header
    row with an autofilter, then a sheet of group subtotals and the total. Written row by row (the sheet's XML
    streamed into the zip, `exchange.xlsx`) as the rows come, a chunk at a time from an export's `RowStream`:
    neither the rows nor the workbook are ever held in memory whole. Into `out` (a
    path or binary file) when given, else returned as bytes; `progress(rows written)` as rows go."""
    target = out if out is not None else io.BytesIO()
    book = xlsx.Book(target)
    kinds = [XLSX_KINDS.get(c.kind, xlsx.TEXT) for c in result.columns]
    zone = timezone.get_current_timezone()
    cells = [_xlsx_column(c, kind == xlsx.MONEY, zone) for c, kind in zip(result.columns, kinds, strict=True)]
    rows = book.sheet(_("Rows"), [c.label for c in result.columns], kinds)
    rows.extend(chain.from_iterable(zip(*[cell(chunk) for cell in cells], strict=True)
                                    for chunk in row_chunks(result.rows)), progress)
    rows.finish()

    headers = [g.label for g in result.group_columns] + [_("Count")]
    for aggregate in result.aggregates:
        headers += [aggregate_label(result, aggregate)] + (
            [_("Currency")] if result.aggregate_columns[aggregate.field].kind == "money" else [])
    groups = book.sheet(_("Groups"), headers)
    depth = len(result.group_columns)

    def lines(group: Group, prefix: list):
        labels = prefix + [group.label]
        yield labels + [""] * (depth - len(labels)), group
        for child in group.children:
            yield from lines(child, labels)

    for group in result.groups:
        for labels, line in lines(group, []):
            _append_group(book, groups, result, labels, line)
    total_labels = ([_("Total")] + [""] * (depth - 1)) if depth else []
    _append_group(book, groups, result, total_labels, result.total, bold=True)
    groups.finish()
    book.close()
    return target.getvalue() if out is None else None


def _append_group(book, sheet, result: Result, labels: list, group: Group, bold: bool = False):
    """One line per currency when an amount is summed in several."""
    money = [a for a in result.aggregates if result.aggregate_columns[a.field].kind == "money"]
    currencies = sorted({c for a in money for c in (group.values.get(a.key) or {})}) or [None]
    for currency in currencies:
        line = [neutralise(label) for label in labels] + [group.count]
        for aggregate in result.aggregates:
            value = group.values.get(aggregate.key)
            if result.aggregate_columns[aggregate.field].kind == "money":
                line += [(value or {}).get(currency), currency]
            else:
                line.append(float(value) if isinstance(value, Decimal) and aggregate.fn == "avg" else value)
        sheet.append_plain(line, bold=bold)


# --- The bar chart ----------------------------------------------------------------------------------------------

def bar_chart(result: Result, link) -> dict | None:
    """The first grouping level as bars, sized by the first aggregate (by the count without one), each
    linking to its records (`link(group)`). Amounts in several currencies: the main currency's bars."""
    if not result.groups:
        return None
    aggregate = next(iter(result.aggregates), None)

    def measure(group: Group):
        if aggregate is None or aggregate.fn == "count":
            return Decimal(group.count)
        value = group.values.get(aggregate.key)
        if isinstance(value, dict):
            return Decimal(next(iter(value.values()), 0) or 0)
        return Decimal(value or 0)

    values = [measure(group) for group in result.groups]
    top = max(values + [Decimal(1)])
    width, bar_height, gap, label_width = 720, 22, 8, 220
    bars = []
    for index, (group, value) in enumerate(zip(result.groups, values, strict=True)):
        y = index * (bar_height + gap)
        length = int((width - label_width - 90) * (value / top)) if top > 0 else 0
        bars.append({"label": group.label, "y": y, "text_y": y + bar_height - 6, "x": label_width,
                     "length": max(length, 1), "value_x": label_width + max(length, 1) + 6,
                     "value": format_aggregate(group.values.get(aggregate.key) if aggregate else group.count),
                     "href": link(group)})
    return {"width": width, "height": len(bars) * (bar_height + gap), "bar_height": bar_height, "bars": bars,
            "label_x": label_width - 8,
            "measure": aggregate_label(result, aggregate) if aggregate else _("Count")}


# --- PDF and ICS --------------------------------------------------------------------------------------------

def to_pdf(result: Result, title: str) -> bytes:
    """A printable report: its title, the groups with their subtotals and the total, then the rows; landscape
    when more than five columns, the header row repeated on every page, numbered pages."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from vinculo.core.pdf import fonts

    regular, bold = fonts()
    size = landscape(A4) if len(result.columns) > 5 else A4
    text = ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10)
    heading = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18)

    def para(value, style=text):
        return Paragraph(escape(str(value or "")), style)

    story = [para(title, heading), Spacer(1, 4 * mm)]
    shown = table(result)
    if result.groups or result.aggregates:
        lines = [[para(h, text) for h in ([_("Group"), _("Count")] + shown["aggregate_headers"])]]

        def add(group, indent):
            lines.append([para(" " * indent + group["label"]), para(group["count"])]
                         + [para(v) for v in group["values"]])
            for child in group["children"]:
                add(child, indent + 4)

        for group in shown["groups"]:
            add(group, 0)
        lines.append([para(_("Total"), text), para(shown["total"]["count"])] + [para(v) for v in shown["total"]["values"]])
        summary = Table(lines, repeatRows=1)
        summary.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, 0), bold), ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                                     ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.grey)]))
        story += [summary, Spacer(1, 6 * mm)]
    rows = [[para(h) for h in shown["headers"]]]
    rows += [[para(cell_text(result, c, row[c.path])) for c in result.columns] for row in result.rows]
    width = size[0] - 30 * mm
    body = Table(rows, repeatRows=1, colWidths=[width / max(len(result.columns), 1)] * len(result.columns))
    body.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(body)

    def number(canvas, doc):
        canvas.setFont(regular, 8)
        canvas.drawRightString(size[0] - 15 * mm, 10 * mm, _("Page %(page)d") % {"page": doc.page})

    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=size, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=title).build(story, onFirstPage=number, onLaterPages=number)
    return out.getvalue()


def to_ics(result: Result, title: str) -> bytes:
    out = io.BytesIO()
    write_ics(result, title, out)
    return out.getvalue()


CALENDAR_END = b"END:VCALENDAR\r\n"


def write_ics(result: Result, title: str, out, progress=None) -> int:
    """One event per row on the row's first date column (an all-day event for a date, a moment for a date
    and time), named by its first text or record column. Rows without that date are left out. Into `out` (a
    binary file) a chunk of rows at a time, `progress(rows read)` after each: the calendar's head, its events
    as `Calendar.to_ical` writes a calendar's components, its end. How many rows were read."""
    from icalendar import Calendar, Event

    dated = next((c for c in result.columns if c.kind in ("date", "datetime") and not c.hidden), None)
    if dated is None:
        raise ReportError("columns", _("Add a date column to export the report as a calendar."))
    named = next((c for c in result.columns if c.kind in ("text", "record", "choice") and c is not dated), None)
    calendar = Calendar()
    calendar.add("prodid", "-//Vínculo//reports//ES")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", title)
    out.write(calendar.to_ical().removesuffix(CALENDAR_END))

    def event(row) -> bytes:
        when = row[dated.path][0]
        event = Event()
        summary = row[named.path][1] if named else title
        details = "\n".join(f"{c.label}: {cell_text(result, c, row[c.path])}" for c in result.columns)
        event.add("summary", summary or title)
        event.add("description", details)
        event.add("dtstart", when)
        if isinstance(when, datetime.date) and not isinstance(when, datetime.datetime):
            event.add("dtend", when + datetime.timedelta(days=1))
        event.add("dtstamp", clock.now())
        event.add("uid", f"{result.record_type.key}-{row['_pk']}-{dated.path}@vinculo")
        return event.to_ical()

    read = 0
    for chunk in row_chunks(result.rows):
        out.write(b"".join(event(row) for row in chunk if row[dated.path][0] is not None))
        read += len(chunk)
        if progress is not None:
            progress(read)
    out.write(CALENDAR_END)
    return read
