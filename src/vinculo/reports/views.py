"""The report pages: the list (predefined and saved reports), the builder, a report's result as a table
with its groups and a bar chart, its exports (CSV, XLSX) and saving one."""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.core import reporting
from vinculo.exchange import export_jobs
from vinculo.org.models import Role, SalesTeam

from . import jobs, output, saved_views
from .engine import (
    AGGREGATE_FUNCTIONS,
    OPERATORS,
    Definition,
    Filter,
    ReportError,
    count,
    resolve,
    run,
)
from .models import ReportSubscription, SavedReport, Visibility, saved_reports_for
from .predefined import BY_SLUG, PREDEFINED

OPERATOR_LABELS = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "contains": gettext_lazy("contains"),
    "gt": gettext_lazy("is above"),
    "gte": gettext_lazy("is at least"),
    "lt": gettext_lazy("is below"),
    "lte": gettext_lazy("is at most"),
    "between": gettext_lazy("is between"),
    "empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is not empty"),
    "today": gettext_lazy("is today"),
    "before_today": gettext_lazy("is before today"),
    "this_week": gettext_lazy("is this week"),
    "this_month": gettext_lazy("is this month"),
    "this_quarter": gettext_lazy("is this quarter"),
    "this_year": gettext_lazy("is this year"),
    "last_days": gettext_lazy("is in the last N days"),
    "next_days": gettext_lazy("is in the next N days"),
    "mine": gettext_lazy("is me"),
    "my_team": gettext_lazy("is me or my team"),
}
FILTER_ROWS = 3
BUCKET_LABELS = {"week": gettext_lazy("by week"), "month": gettext_lazy("by month"),
                 "quarter": gettext_lazy("by quarter"), "year": gettext_lazy("by year")}


@login_required
def report_list(request):
    saved = saved_reports_for(request.user).select_related("owner", "team", "role").order_by("folder", "name", "pk")
    folders: dict[str, list] = {}
    for report in saved:
        folders.setdefault(report.folder, []).append(report)
    return render(request, "reports/list.html", {
        "predefined": PREDEFINED,
        # Reports outside any folder first, then each folder by name.
        "folders": sorted(folders.items(), key=lambda item: (item[0] != "", item[0].lower())),
    })


def _sharing_choices(user) -> dict:
    return {
        "visibility_choices": Visibility.choices,
        "teams": SalesTeam.objects.only("pk", "name"), "roles": Role.objects.only("pk", "name", "path"),
        "people": get_user_model().objects.filter(is_active=True).exclude(pk=user.pk).order_by("first_name",
                                                                                             "last_name", "pk"),
        "folders": SavedReport.objects.filter(owner=user).exclude(folder="").order_by("folder")
                   .values_list("folder", flat=True).distinct(),
    }


def _record_type_columns(record_type, user):
    hidden: dict = {}
    return [(path, resolve(record_type, path, user, hidden)) for path in record_type.columns]


def _builder_context(request, definition: Definition | None, record_type) -> dict:
    columns = _record_type_columns(record_type, request.user) if record_type else []
    filters = list(definition.filters) if definition else []
    filters += [Filter("", "eq", None)] * max(FILTER_ROWS - len(filters), 1)
    date_paths = [path for path, column in columns if column.kind in ("date", "datetime")]
    group_choices = [(path, column.label) for path, column in columns]
    for path, column in columns:
        if path in date_paths:
            group_choices += [(f"{path}:{bucket}", f"{column.label} ({label})") for bucket, label in BUCKET_LABELS.items()]
    return {
        "record_types": reporting.record_types(), "record_type": record_type, "columns": columns,
        "chosen_columns": (definition.columns if definition and definition.columns
                           else list(record_type.default_columns) if record_type else []),
        "filter_rows": [{"field": f.field, "op": f.op,
                         "value": ",".join(map(str, f.value)) if isinstance(f.value, list) else (f.value or "")}
                        for f in filters],
        "operators": [(op, OPERATOR_LABELS[op]) for op in OPERATORS],
        "group_choices": group_choices,
        "group_by": (definition.group_by if definition else []) + ["", ""],
        "aggregate_functions": [(fn, output.AGGREGATE_LABELS[fn]) for fn in AGGREGATE_FUNCTIONS],
        "numeric_columns": [(path, column.label) for path, column in columns if column.kind in ("number", "money")],
        "aggregate": definition.aggregates[0] if definition and definition.aggregates else None,
        "sort": definition.sort[0] if definition and definition.sort else "",
    }


@login_required
def builder(request):
    """The builder's form; with a record type chosen, the report it describes under it (htmx swaps the
    fields when the type changes)."""
    definition = error = None
    record_type = reporting.registry.get(request.GET.get("type", ""))
    context = {}
    if record_type is not None and not request.GET.get("fields"):
        try:
            definition = output.from_query(request.GET)
            definition.filters = [f for f in definition.filters if f.field]
            context = _result_context(request, definition, request.GET.get("chart", "bar"), _("New report"),
                                      lambda fmt: reverse("reports:builder_export", args=[fmt]))
        except ReportError as exc:
            error = exc
    context |= _builder_context(request, definition, record_type) | {"error": error}
    if context.get("result"):
        context |= _sharing_choices(request.user)
    template = "reports/_builder_fields.html" if request.htmx and request.GET.get("fields") else "reports/builder.html"
    return render(request, template, context, status=400 if error else 200)


def _result_context(request, definition: Definition, chart: str, title: str, export_url) -> dict:
    result = run(definition, request.user)
    drill_base = request.path

    def link(group):
        return f"{drill_base}?{output.to_query(definition, extra_filters=group.filters, flat=True)}"

    if definition.system:  # a predefined report drills into its own page, where its filters stay its own
        def link(group):  # noqa: F811
            return f"{drill_base}?{output.to_query(Definition(definition.record_type), extra_filters=group.filters, flat=True)}"

    report_link = link

    def link(group):  # noqa: F811
        return _list_link(result.record_type, definition, group.filters) or report_link(group)

    table = output.table(result)
    for group in table["groups"]:
        _add_links(group, link)
    query = output.to_query(definition, chart)
    return {"result": result, "table": table, "chart": output.bar_chart(result, link) if chart == "bar" else None,
            "title": title, "query": query, "export_csv": f"{export_url('csv')}?{request.GET.urlencode()}",
            "export_xlsx": f"{export_url('xlsx')}?{request.GET.urlencode()}",
            "export_pdf": f"{export_url('pdf')}?{request.GET.urlencode()}",
            "export_ics": (f"{export_url('ics')}?{request.GET.urlencode()}"
                           if any(c.kind in ("date", "datetime") and not c.hidden for c in result.columns) else ""),
            "definition_json": json.dumps(definition.to_dict())}


def _list_link(record_type, definition: Definition, group_filters: list[dict]) -> str:
    """The module's list page filtered to a group's records, when the list takes every filter ("" if not)."""
    if not record_type.list_url:
        return ""
    params = {}
    for flt in [{"field": f.field, "op": f.op, "value": f.value} for f in definition.filters] + list(group_filters):
        name = record_type.list_filters.get(flt["field"])
        if name is None or flt["op"] != "eq" or name in params or flt["value"] in (None, ""):
            return ""
        params[name] = flt["value"]
    return f"{reverse(record_type.list_url)}?{urlencode(params)}"


def _add_links(group: dict, link) -> None:
    class _G:
        filters = group["filters"]
    group["href"] = link(_G)
    for child in group["children"]:
        _add_links(child, link)


def _drilled(request, definition: Definition) -> Definition:
    """A predefined or saved report narrowed to one of its groups (the `f` filters of a drill-down link)."""
    extra = output.from_query(request.GET).filters if request.GET.getlist("f") else []
    if not extra:
        return definition
    return Definition(definition.record_type, definition.columns, definition.filters + extra, [], [],
                      definition.sort, definition.system)


@login_required
def predefined(request, slug):
    report = BY_SLUG.get(slug)
    if report is None:
        raise Http404
    try:
        definition = _drilled(request, report.build())
        context = _result_context(request, definition, report.chart, str(report.name),
                                  lambda fmt: reverse("reports:predefined_export", args=[slug, fmt]))
    except ReportError as exc:
        return HttpResponseBadRequest(exc.message)
    return render(request, "reports/report.html", context)


@login_required
def saved(request, pk):
    report = get_object_or_404(saved_reports_for(request.user), pk=pk)
    try:
        definition = _drilled(request, Definition.from_dict(report.definition))
        context = _result_context(request, definition, report.chart, report.name,
                                  lambda fmt: reverse("reports:saved_export", args=[pk, fmt]))
    except ReportError as exc:
        return HttpResponseBadRequest(exc.message)
    return render(request, "reports/report.html", context | {"saved": report} | _subscription_context(request, report))


def _export(request, definition: Definition, name: str, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx", "pdf", "ics"):
        raise Http404
    try:
        # Past the threshold the export is written in the background, with its progress and a download link.
        if count(definition, request.user) > export_jobs.inline_max_rows():
            job = export_jobs.create(request.user, "report", fmt, definition=jobs.job_definition(definition),
                                     title=name)
            return redirect("exchange:export_detail", job.pk)
        result = output.exported(definition, request.user, fmt, jobs.EXPORT_ROWS)
    except ReportError as exc:
        return HttpResponseBadRequest(exc.message)
    filename = slugify(name) or "report"
    if fmt == "csv":
        response = HttpResponse(output.to_csv(result), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(output.to_xlsx(result, name),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    elif fmt == "pdf":
        response = HttpResponse(output.to_pdf(result, name), content_type="application/pdf")
    elif fmt == "ics":
        try:
            response = HttpResponse(output.to_ics(result, name), content_type="text/calendar; charset=utf-8")
        except ReportError as exc:
            return HttpResponseBadRequest(exc.message)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


@login_required
def builder_export(request, fmt):
    try:
        definition = output.from_query(request.GET)
        definition.filters = [f for f in definition.filters if f.field]
    except ReportError as exc:
        return HttpResponseBadRequest(exc.message)
    return _export(request, definition, _("Report"), fmt)


@login_required
def predefined_export(request, slug, fmt):
    report = BY_SLUG.get(slug)
    if report is None:
        raise Http404
    return _export(request, _drilled(request, report.build()), str(report.name), fmt)


@login_required
def saved_export(request, pk, fmt):
    report = get_object_or_404(saved_reports_for(request.user), pk=pk)
    try:
        definition = _drilled(request, Definition.from_dict(report.definition))
    except ReportError as exc:
        return HttpResponseBadRequest(exc.message)
    return _export(request, definition, report.name, fmt)


@login_required
@require_POST
def save(request):
    name = request.POST.get("name", "").strip()[:200]
    try:
        definition = Definition.from_dict(json.loads(request.POST.get("definition") or "{}"))
        run(definition, request.user, limit=1)  # a definition that does not run is not saved
    except (ValueError, ReportError) as exc:
        messages.error(request, exc.message if isinstance(exc, ReportError) else _("The report definition is malformed."))
        return redirect("reports:builder")
    if not name:
        messages.error(request, _("Give the report a name."))
        return redirect(f"{reverse('reports:builder')}?{output.to_query(definition)}")
    chart = request.POST.get("chart", "bar") if request.POST.get("chart") in ("bar", "") else "bar"
    report = SavedReport(owner=request.user, name=name, record_type=definition.record_type,
                         definition=definition.to_dict(), chart=chart,
                         folder=request.POST.get("folder", "").strip()[:100])
    sharing = {"visibility": request.POST.get("visibility") or Visibility.PRIVATE,
               "team": request.POST.get("team") or None, "role": request.POST.get("role") or None,
               "users": [pk for pk in request.POST.getlist("users") if pk.isdigit()]}
    try:
        with transaction.atomic():
            saved_views.apply_sharing(report, sharing)
            users = saved_views.chosen_users(sharing)
            report.save()
            saved_views.share_with_users(report, users)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect(f"{reverse('reports:builder')}?{output.to_query(definition)}")
    messages.success(request, _("Report saved."))
    return redirect("reports:saved", pk=report.pk)


@login_required
@require_POST
def delete(request, pk):
    report = get_object_or_404(saved_reports_for(request.user), pk=pk)
    if not report.editable_by(request.user):
        raise PermissionDenied
    report.delete()
    messages.success(request, _("Report deleted."))
    return redirect("reports:list")


def _subscription_context(request, report) -> dict:
    from .scheduled import EVERY

    subscription = ReportSubscription.objects.filter(report=report, user=request.user).first()
    return {"subscription": subscription, "subscription_every": EVERY[subscription.frequency] if subscription else "",
            "frequencies": ReportSubscription.Frequency.choices, "formats": ReportSubscription.Format.choices}


@login_required
@require_POST
def subscription(request, pk):
    """Subscribe to a saved report one may open (or change how often, in which format), or unsubscribe."""
    from . import scheduled

    report = get_object_or_404(saved_reports_for(request.user), pk=pk)
    if request.POST.get("unsubscribe"):
        ReportSubscription.objects.filter(report=report, user=request.user).delete()
        messages.success(request, _("You no longer receive this report by e-mail."))
        return redirect("reports:saved", pk=pk)
    frequency, fmt = request.POST.get("frequency", ""), request.POST.get("format", "")
    if frequency not in ReportSubscription.Frequency.values:
        messages.error(request, _("How often: choose daily, weekly or monthly."))
    elif fmt not in ReportSubscription.Format.values:
        messages.error(request, _("Format: choose XLSX or PDF."))
    elif not request.user.email:
        messages.error(request, _("Add an e-mail address to your profile to receive reports."))
    else:
        chosen = scheduled.subscribe(report, request.user, frequency, fmt)
        messages.success(request, _("You will receive this report by e-mail %(every)s.")
                         % {"every": scheduled.EVERY[chosen.frequency]})
    return redirect("reports:saved", pk=pk)
