"""/api/v1/reports: the record types reports are built on, the predefined reports and the caller's saved
ones (theirs and the shared), running one, exporting one. A report is named by its id: a predefined
report's slug ("pipeline-by-stage") or a saved report's number. Someone else's private report is not
there (404). Every run counts only the rows the caller may see, with the fields they may read."""

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status
from ninja import Path as Path_

from vinculo.core import lists, reporting
from vinculo.core.api import ERRORS, MAX_INT, FieldErrors, Message, PageParams, page, page_of

from . import output, saved_views
from .engine import AGGREGATE_FUNCTIONS, OPERATORS, ROW_LIMIT, Definition, Group, ReportError, resolve, run
from .models import ReportSubscription, SavedReport, SavedView, Visibility, saved_reports_for, saved_views_for
from .predefined import BY_SLUG, PREDEFINED

router = Router(tags=["reports"])

Path = str  # a dotted column path


class FilterIn(Schema):
    field: str = Field(..., max_length=100, description="A column path, e.g. “status” or “account.territory”.")
    op: Literal[OPERATORS] = Field(..., description="eq, ne, in, contains, gt, gte, lt, lte, between, empty, "
                                                    "not_empty, today, before_today, this_week, this_month, "
                                                    "this_quarter, this_year, last_days, next_days, mine, my_team.")
    value: str | int | float | list[str] | None = Field(None, description="A list for “in” and “between”; the "
                                                                          "number of days for last/next_days.")


class AggregateIn(Schema):
    field: str = Field(..., max_length=100)
    fn: Literal[AGGREGATE_FUNCTIONS]


VISIBILITY = Literal["private", "users", "team", "role", "everyone"]


class SharingIn(Schema):
    visibility: VISIBILITY | None = Field(None, description="Whom it is shared with: private (only you), users "
                                                            "(those in `users`), team, role or everyone.")
    team: int | None = Field(None, ge=1, le=MAX_INT, description="A sales team id (/sales-teams), for “team”.")
    role: int | None = Field(None, ge=1, le=MAX_INT, description="A role id, for “role”.")
    users: list[int] | None = Field(None, max_length=200, description="User ids (/users), for “users”.")


class SharingOut(Schema):
    visibility: str
    team: int | None
    role: int | None
    users: list[int]
    owner: int
    editable: bool = Field(description="Whether you may change or delete it (its owner or an administrator).")


def _sharing_out(item, user) -> dict:
    return {"visibility": item.visibility, "team": item.team_id, "role": item.role_id,
            "users": sorted(u.pk for u in item.users.all()), "owner": item.owner_id,
            "editable": item.editable_by(user)}


def _sharing_values(data: Schema) -> dict:
    return data.dict(include={"visibility", "team", "role", "users"}, exclude_unset=True)


class ReportIn(SharingIn):
    name: str = Field(..., min_length=1, max_length=200)
    record_type: str = Field(..., max_length=40)
    columns: list[str] = Field(default_factory=list, max_length=50)
    filters: list[FilterIn] = Field(default_factory=list, max_length=20)
    group_by: list[str] = Field(default_factory=list, max_length=2,
                                description="Up to two column paths; a date may carry “:week”, “:month”, "
                                            "“:quarter” or “:year”.")
    aggregates: list[AggregateIn] = Field(default_factory=list, max_length=10)
    sort: list[str] = Field(default_factory=list, max_length=5, description="Column paths; “-” for descending.")
    chart: Literal["bar", ""] = "bar"
    folder: str = Field("", max_length=100, description="The folder the report is listed under; empty for none.")
    shared: bool = Field(False, description="Shared with everyone; `visibility` says more and wins when given.")


class ReportPatch(SharingIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    folder: str | None = Field(None, max_length=100)


class ReportOut(Schema):
    id: str
    name: str
    record_type: str
    predefined: bool
    shared: bool
    definition: dict[str, Any]
    chart: str
    folder: str
    sharing: SharingOut | None = Field(description="Null for a predefined report (everyone may run it).")


class ColumnOut(Schema):
    path: str
    label: str
    kind: str


class RecordTypeOut(Schema):
    key: str
    label: str
    columns: list[ColumnOut]


class GroupOut(Schema):
    key: Any = None
    label: str
    count: int
    sum: dict[str, Any] = Field(default_factory=dict, description="Per aggregated column; amounts as "
                                                                  "{currency: amount}.")
    avg: dict[str, Any] = Field(default_factory=dict)
    min: dict[str, Any] = Field(default_factory=dict)
    max: dict[str, Any] = Field(default_factory=dict)
    groups: list["GroupOut"] = Field(default_factory=list, description="The second grouping level.")


class RunOut(Schema):
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(description="Blank (null) where the caller may not read the field.")
    groups: list[GroupOut]
    total: GroupOut
    truncated: bool


class RunIn(Schema):
    # Not `limit`: the API's `limit` pages a list of items (at most 200); this bounds the rows a run returns.
    max_rows: int = Field(ROW_LIMIT, ge=0, le=ROW_LIMIT, description="Rows returned at most.")


def _out(report, user) -> dict:
    if isinstance(report, SavedReport):
        return {"id": str(report.pk), "name": report.name, "record_type": report.record_type, "predefined": False,
                "shared": report.is_shared, "definition": report.definition, "chart": report.chart,
                "folder": report.folder, "sharing": _sharing_out(report, user)}
    return {"id": report.slug, "name": str(report.name), "record_type": report.definition["record_type"],
            "predefined": True, "shared": True, "definition": report.definition, "chart": report.chart,
            "folder": "", "sharing": None}


def _find(request, report_id: str):
    if report_id in BY_SLUG:
        return BY_SLUG[report_id]
    if report_id.isascii() and report_id.isdigit() and len(report_id) < 18:
        report = saved_reports_for(request.auth).filter(pk=int(report_id)).first()
        if report is not None:
            return report
    raise Http404


def _definition(report) -> Definition:
    if isinstance(report, SavedReport):
        return Definition.from_dict(report.definition)
    return report.build()


def _invalid(exc: ReportError) -> ValidationError:
    return ValidationError({exc.field: [exc.message]})


@router.get("/record-types", response={200: list[RecordTypeOut], **ERRORS}, summary="What reports may be built on")
def record_types(request):
    hidden: dict = {}
    return [{"key": rt.key, "label": str(rt.label),
             "columns": [{"path": path, "label": column.label, "kind": column.kind}
                         for path, column in ((p, resolve(rt, p, request.auth, hidden)) for p in rt.columns)]}
            for rt in reporting.record_types()]


@router.get("", response={200: list[ReportOut], **ERRORS}, summary="The predefined reports and your saved ones")
def list_reports(request):
    saved = saved_reports_for(request.auth).prefetch_related("users")
    return [_out(report, request.auth) for report in PREDEFINED] + [_out(report, request.auth) for report in saved]


@router.post("", response={201: ReportOut, **ERRORS}, summary="Save a report",
             description="422 when the definition does not run (an unknown column, a bad filter value).")
def create_report(request, data: ReportIn):
    definition = Definition.from_dict(data.dict())
    try:
        run(definition, request.auth, limit=0)
    except ReportError as exc:
        raise _invalid(exc) from exc
    sharing = _sharing_values(data)
    if "visibility" not in sharing or sharing["visibility"] is None:
        sharing["visibility"] = Visibility.EVERYONE if data.shared else Visibility.PRIVATE
    report = SavedReport(owner=request.auth, name=data.name.strip() or "—", record_type=definition.record_type,
                         definition=definition.to_dict(), chart=data.chart, folder=data.folder.strip())
    with transaction.atomic():
        saved_views.apply_sharing(report, sharing)
        users = saved_views.chosen_users(sharing)
        report.save()
        saved_views.share_with_users(report, users)
    return Status(201, _out(report, request.auth))


@router.get("/{report_id}", response={200: ReportOut, **ERRORS}, summary="A report's definition")
def read_report(request, report_id: str):
    return _out(_find(request, report_id), request.auth)


@router.patch("/{report_id}", response={200: ReportOut, **ERRORS}, summary="Rename, file or share a saved report",
              description="Its owner or an administrator only (403 otherwise, and for a predefined report).")
def update_report(request, report_id: str, data: ReportPatch):
    report = _find(request, report_id)
    if not isinstance(report, SavedReport) or not report.editable_by(request.auth):
        raise PermissionDenied
    values = data.dict(exclude_unset=True)
    if values.get("name") is not None:
        report.name = values["name"].strip() or report.name
    if values.get("folder") is not None:
        report.folder = values["folder"].strip()
    sharing = {key: value for key, value in _sharing_values(data).items()
               if value is not None or key in ("team", "role")}
    with transaction.atomic():
        saved_views.apply_sharing(report, sharing)
        users = saved_views.chosen_users(sharing)
        report.save()
        saved_views.share_with_users(report, users)
    return _out(report, request.auth)


@router.delete("/{report_id}", response={204: None, **ERRORS}, summary="Delete one of your saved reports",
               description="403 for a predefined report or another user's shared one (an administrator may).")
def delete_report(request, report_id: str):
    report = _find(request, report_id)
    if not isinstance(report, SavedReport) or not report.editable_by(request.auth):
        raise PermissionDenied
    report.delete()
    return Status(204, None)


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def _group_out(result, group: Group) -> dict:
    out = {"key": _json_value(group.key), "label": group.label, "count": group.count,
           "groups": [_group_out(result, child) for child in group.children]}
    for aggregate in result.aggregates:
        if aggregate.fn != "count":
            out.setdefault(aggregate.fn, {})[aggregate.field] = _json_value(group.values.get(aggregate.key))
    return out


@router.post("/{report_id}/run", response={200: RunOut, **ERRORS}, summary="Run a report",
             description="The rows (at most `limit`), the groups with their subtotals and the total, over the "
                         "records you may see. 422 when a saved definition no longer runs.")
def run_report(request, report_id: str, params: Query[RunIn]):
    report = _find(request, report_id)
    try:
        result = run(_definition(report), request.auth, limit=params.max_rows)
    except ReportError as exc:
        raise _invalid(exc) from exc
    return {
        "columns": [{"path": c.path, "label": c.label, "kind": c.kind} for c in result.columns],
        "rows": [{c.path: (None if c.hidden else _json_value(output._plain(c, row[c.path]))) for c in result.columns}
                 for row in result.rows],
        "groups": [_group_out(result, group) for group in result.groups],
        "total": _group_out(result, result.total),
        "truncated": result.truncated,
    }


class ExportParams(Schema):
    format: Literal["xlsx", "csv", "pdf", "ics"] = Field("xlsx", description="“ics”: one event per row on the "
                                                                             "report's first date column.")


@router.get("/{report_id}/export", response={200: None, 401: Message, 404: Message, 422: FieldErrors},
            summary="Export a report (XLSX, CSV, PDF or ICS)")
def export_report(request, report_id: str, params: Query[ExportParams]):
    report = _find(request, report_id)
    name = report.name if isinstance(report, SavedReport) else str(report.name)
    try:
        result = output.exported(_definition(report), request.auth, params.format, 100_000)
    except ReportError as exc:
        raise _invalid(exc) from exc
    if params.format == "csv":
        response = HttpResponse(output.to_csv(result), content_type="text/csv; charset=utf-8")
    elif params.format == "pdf":
        response = HttpResponse(output.to_pdf(result, name), content_type="application/pdf")
    elif params.format == "ics":
        try:
            calendar = output.to_ics(result, name)
        except ReportError as exc:
            raise _invalid(exc) from exc
        response = HttpResponse(calendar, content_type="text/calendar; charset=utf-8")
    else:
        response = HttpResponse(output.to_xlsx(result, name),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{slugify(name) or "report"}.{params.format}"'
    return response


# --- Scheduled e-mail ----------------------------------------------------------------------------------------

class SubscriptionIn(Schema):
    frequency: Literal["daily", "weekly", "monthly"]
    format: Literal["xlsx", "pdf"] = "xlsx"


class SubscriptionOut(Schema):
    report: str
    frequency: str
    format: str
    created_at: datetime.datetime = Field(description="Weekly and monthly periods start on this day.")
    last_sent_at: datetime.datetime | None


def _saved(request, report_id: str) -> SavedReport:
    report = _find(request, report_id)
    if not isinstance(report, SavedReport):
        raise ValidationError({"report_id": [gettext("Only a saved report can be e-mailed on a schedule.")]})
    return report


def _subscription_out(subscription) -> dict:
    return {"report": str(subscription.report_id), "frequency": subscription.frequency,
            "format": subscription.format, "created_at": subscription.created_at,
            "last_sent_at": subscription.last_sent_at}


@router.get("/{report_id}/subscription", response={200: SubscriptionOut, **ERRORS},
            summary="Your e-mail subscription to a saved report", description="404 when you are not subscribed.")
def read_subscription(request, report_id: str):
    subscription = ReportSubscription.objects.filter(report=_saved(request, report_id), user=request.auth).first()
    if subscription is None:
        raise Http404
    return _subscription_out(subscription)


@router.put("/{report_id}/subscription", response={200: SubscriptionOut, **ERRORS},
            summary="Receive a saved report by e-mail",
            description="Daily, weekly or monthly, as XLSX or PDF, with the rows you may see; sets how often and "
                        "the format when you are subscribed already. 422 without an e-mail address.")
def put_subscription(request, report_id: str, data: SubscriptionIn):
    from . import scheduled

    report = _saved(request, report_id)
    if not request.auth.email:
        raise ValidationError({"email": [gettext("Add an e-mail address to your profile to receive reports.")]})
    return _subscription_out(scheduled.subscribe(report, request.auth, data.frequency, data.format))


@router.delete("/{report_id}/subscription", response={204: None, **ERRORS}, summary="Stop receiving a report by e-mail")
def delete_subscription(request, report_id: str):
    deleted, _rows = ReportSubscription.objects.filter(report=_saved(request, report_id), user=request.auth).delete()
    if not deleted:
        raise Http404
    return Status(204, None)


# --- Bulk actions ------------------------------------------------------------------------------------------

bulk_router = Router(tags=["bulk"])


class BulkIn(Schema):
    record_type: str = Field(..., max_length=40, description="A reportable record type with an owner: "
                                                             "“opportunity”, “lead”, “activity”, “task”…")
    ids: list[int] = Field(..., min_length=1, max_length=1000)
    action: Literal["set_owner"]
    value: int = Field(..., ge=1, le=2**63 - 1, description="The new owner's user id.")


class RefusedOut(Schema):
    id: int
    reason: str


class BulkOut(Schema):
    done: int
    refused: list[RefusedOut]
    undo_token: str | None = Field(description="Undoes the whole batch once (POST /bulk/{undo_token}/undo); "
                                               "null when nothing changed.")


class UndoOut(Schema):
    done: int


@bulk_router.post("", response={200: BulkOut, **ERRORS}, summary="Change many records at once",
                  description="Each record is checked: those you may not change are refused with the reason, "
                              "the others changed, one history entry each. 422 for a type without an owner or a "
                              "new owner who is not an active user.")
def bulk_action(request, data: BulkIn):
    from . import bulk

    outcome = bulk.set_owner(data.record_type, [pk for pk in data.ids], data.value, request.auth)
    return {"done": outcome.done, "refused": outcome.refused, "undo_token": outcome.undo_token}


@bulk_router.post("/{token}/undo", response={200: UndoOut, **ERRORS}, summary="Undo a bulk change",
                  description="422 when the change is unknown, another user's or undone already.")
def bulk_undo(request, token: str):
    from . import bulk

    return {"done": bulk.undo(token[:64], request.auth)}


# --- Saved list views --------------------------------------------------------------------------------------

views_router = Router(tags=["views"])


class ViewIn(SharingIn):
    name: str = Field(..., min_length=1, max_length=100)
    record_type: str = Field(..., max_length=40, description="The list: “opportunities”, “leads”, “quotes”, "
                                                             "“invoices”, “contracts”, “tasks”, “accounts”…")
    filters: dict[str, list[str]] = Field(default_factory=dict, description="The list's query parameters, each "
                                                                             "with its values: {\"stage\": [\"3\"]}.")
    columns: list[str] = Field(default_factory=list, max_length=50)
    sort: str = Field("", max_length=60, description="A column name; “-” before it for descending.")


class ViewPatch(SharingIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    filters: dict[str, list[str]] | None = None
    columns: list[str] | None = Field(None, max_length=50)
    sort: str | None = Field(None, max_length=60)


class ViewOut(Schema):
    id: int
    name: str
    record_type: str
    filters: dict[str, list[str]]
    columns: list[str]
    sort: str
    sharing: SharingOut
    query: str = Field(description="The list's query string applying the view.")


class ViewFilters(PageParams):
    record_type: str | None = Field(None, max_length=40, description="Only the views of this list.")


class ListOut(Schema):
    key: str
    label: str
    presets: list[dict[str, Any]] = Field(description="The list's predefined views: slug, label and the query "
                                                      "parameters applying one (`preset` included).")


def _view_out(view: SavedView, user) -> dict:
    return {"id": view.pk, "name": view.name, "record_type": view.list_key, "filters": view.filters,
            "columns": view.columns, "sort": view.sort, "sharing": _sharing_out(view, user), "query": view.query()}


def _view_values(data: Schema) -> dict:
    values = data.dict(exclude_unset=True)
    if "record_type" in values:
        values["list_key"] = values.pop("record_type")
    for key in ("name", "filters", "columns", "sort", "visibility", "users"):
        if key in values and values[key] is None:
            del values[key]
    return values


def _find_view(request, view_id: int) -> SavedView:
    view = saved_views_for(request.auth).filter(pk=view_id).first()
    if view is None:
        raise Http404
    return view


@views_router.get("/lists", response={200: list[ListOut], **ERRORS}, summary="The lists views may be saved on")
def view_lists(request):
    return [{"key": entry.key, "label": str(entry.label),
             "presets": [{"slug": preset.slug, "label": str(preset.label),
                          "query": {**preset.query, "preset": preset.slug}} for preset in entry.presets.values()]}
            for entry in sorted(lists.registry.values(), key=lambda entry: entry.key)]


@views_router.get("", response={200: page_of(ViewOut), **ERRORS}, summary="The saved views you may open",
                  description="Your own views and those shared with you (chosen users, your team, your role, "
                              "everyone).")
def list_views(request, filters: Query[ViewFilters]):
    views = saved_views_for(request.auth, filters.record_type).prefetch_related("users").order_by("name", "pk")
    found = page(views, filters)
    return {"items": [_view_out(view, request.auth) for view in found["items"]], "count": found["count"]}


@views_router.post("", response={201: ViewOut, **ERRORS}, summary="Save a view",
                   description="422 names the field at fault: an unknown list, a sharing without its team or role.")
def create_view(request, data: ViewIn):
    view = saved_views.create_view(request.auth, _view_values(data))
    return Status(201, _view_out(view, request.auth))


@views_router.get("/{view_id}", response={200: ViewOut, **ERRORS}, summary="A saved view")
def read_view(request, view_id: int = Path_(..., ge=1, le=MAX_INT)):
    return _view_out(_find_view(request, view_id), request.auth)


@views_router.patch("/{view_id}", response={200: ViewOut, **ERRORS}, summary="Change a saved view",
                    description="Its owner or an administrator only (403 for a view shared with you).")
def update_view(request, data: ViewPatch, view_id: int = Path_(..., ge=1, le=MAX_INT)):
    view = saved_views.update_view(_find_view(request, view_id), request.auth, _view_values(data))
    return _view_out(view, request.auth)


@views_router.delete("/{view_id}", response={204: None, **ERRORS}, summary="Delete a saved view",
                     description="Its owner or an administrator only (403 for a view shared with you).")
def delete_view(request, view_id: int = Path_(..., ge=1, le=MAX_INT)):
    saved_views.delete_view(_find_view(request, view_id), request.auth)
    return Status(204, None)
