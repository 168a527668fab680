"""Time reports (per customer, employee or project, any date range, XLSX too) and the project PDF."""

from datetime import date

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from vinculo.core import clock
from vinculo.core.access import get_for_user
from vinculo.core.forms import DateInput, LocalDates

from .. import reports
from ..models import Project
from ..pdf import project_pdf as build_project_pdf


class ReportForm(LocalDates, forms.Form):
    by = forms.ChoiceField(label=_("Per"), choices=[(key, label) for key, (_column, label) in reports.BY.items()],
                           required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_to"] < cleaned["date_from"]:
            self.add_error("date_to", _("The end of the range cannot be before its start."))
        return cleaned


def _report(request):
    """(form, by, date_from, date_to): this month by customer unless asked otherwise."""
    today = clock.today()
    data = {"by": "account", "date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat(),
            **request.GET.dict()}
    form = ReportForm(data)
    if form.is_valid():
        cleaned = form.cleaned_data
        return form, cleaned["by"] or "account", cleaned["date_from"], cleaned["date_to"]
    return form, "account", None, None


# Lines on the page, most time first; the rest is one line, and every line is in the spreadsheet.
SHOWN = 25


@login_required
def time_report(request):
    form, by, date_from, date_to = _report(request)
    page = (reports.summary_page(request.user, by, date_from, date_to, limit=SHOWN) if form.is_valid()
            else reports.Summary([], 0, 0))
    return render(request, "work/time_report.html", {
        "form": form, "lines": page.lines, "total": page.total, "total_hours": round(page.total / 60, 2),
        "rest_count": page.count - len(page.lines), "rest": page.rest, "rest_hours": round(page.rest / 60, 2),
        "by": by, "by_label": reports.BY[by][1], "query": request.GET.urlencode(),
    })


@login_required
def time_report_xlsx(request):
    form, by, date_from, date_to = _report(request)
    lines, total = reports.summary(request.user, by, date_from, date_to) if form.is_valid() else ([], 0)
    response = HttpResponse(reports.summary_xlsx(lines, total, by, date_from, date_to),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = (date_to or date.today()).isoformat()
    response["Content-Disposition"] = f'attachment; filename="time-{by}-{stamp}.xlsx"'
    return response


@login_required
def project_pdf(request, pk):
    project = get_for_user(Project.objects.select_related("account", "owner"), request.user, pk)
    response = HttpResponse(build_project_pdf(project, request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="project-{project.pk}.pdf"'
    return response
