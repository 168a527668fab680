"""Pages of leads: list, detail, create, edit, delete and conversion."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.activities.models import Activity
from vinculo.core.access import get_for_user
from vinculo.core.duplicate_views import found_on_create
from vinculo.core.lists import Column, RecordListView, mark_visible
from vinculo.core.validators import format_tax_id
from vinculo.core.views import edit_page, move_to_recycle_bin, visible_history
from vinculo.customer360.models import Document, Note
from vinculo.marketing.models import CampaignMember

from ..conversion import conversion_candidates, convert_lead, refuse_if_converted
from ..forms_leads import ConvertForm, LeadFilterForm, LeadForm
from ..models import Lead

# Rows of each related list on the lead page; a lead's lists are short until it is converted.
RELATED_SHOWN = 50


def _label(name):
    return capfirst(Lead._meta.get_field(name).verbose_name)


class LeadListView(RecordListView):
    model = Lead
    template_name = "sales/leads/lead_list.html"
    fragment_template_name = "sales/leads/_lead_table.html"
    filter_form_class = LeadFilterForm
    list_key = "leads"
    select_related = ("owner", "territory", "campaign")
    default_sort = "-created_at"
    search_placeholder = gettext_lazy("Name, company, email, tax id…")
    columns = (
        Column("name", gettext_lazy("Name"), ("last_name", "first_name"), always=True),
        Column("company", _label("company"), ("company",)),
        Column("email", _label("email"), ("email",), default=False),
        Column("phone", _label("phone"), default=False),
        Column("status", _label("status"), ("status",)),
        Column("rating", _label("rating"), ("rating",)),
        Column("source", _label("source"), ("source",)),
        Column("campaign", gettext_lazy("Campaign"), ("campaign__name",), default=False),
        Column("territory", _label("territory"), ("territory__name",)),
        Column("owner", _label("owner"), ("owner__first_name", "owner__last_name")),
        Column("created_at", gettext_lazy("Created"), ("created_at",)),
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # A lead may name a campaign the viewer may not see: named only when visible.
        context["object_list"] = mark_visible(context["object_list"], self.request.user, "campaign", "campaign_visible")
        context["target"] = "lead-results"
        return context


lead_list = LeadListView.as_view()


def _lead_for_page(user, pk):
    queryset = Lead.objects.select_related(
        "owner", "territory", "campaign", "industry", "converted_by", "converted_account", "converted_contact",
        "converted_opportunity", "created_by",
    ).annotate(editable=Exists(Lead.objects.editable_by(user).filter(pk=OuterRef("pk"))))
    lead = get_for_user(queryset, user, pk)
    lead.company_tax_id_display = format_tax_id(lead.company_tax_id, lead.country)
    # What the lead links to is named only where the viewer may open it.
    for field in ("campaign", "converted_account", "converted_contact", "converted_opportunity"):
        mark_visible([lead], user, field, f"{field}_visible")
    return lead


@login_required
def lead_detail(request, pk):
    user = request.user
    lead = _lead_for_page(user, pk)
    activities = Activity.objects.regarding(lead).select_related("owner").order_by("-occurred_at", "-pk")
    memberships = mark_visible(CampaignMember.objects.of_member(lead).select_related("campaign"), user, "campaign",
                               "campaign_visible")
    return render(request, "sales/leads/lead_detail.html", {
        "lead": lead,
        "can_convert": lead.editable and not lead.is_converted,
        "activities": list(activities[:RELATED_SHOWN]),
        "activity_count": activities.count(),
        "notes": list(Note.objects.regarding(lead).select_related("created_by")[:RELATED_SHOWN]),
        "documents": list(Document.objects.regarding(lead).annotate(version_count=Count("versions"))
                          .order_by("-updated_at", "-pk")[:RELATED_SHOWN]),
        "memberships": [membership for membership in memberships if membership.campaign_visible],
        "history": visible_history(lead, user),
    })


@login_required
def lead_create(request):
    form = LeadForm(request.POST if request.method == "POST" else None, user=request.user)
    found = found_on_create(request, "lead", form)
    if request.method == "POST" and not found and form.save_record():
        messages.success(request, _("Lead “%(name)s” created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "sales/leads/lead_form.html", {"form": form, "duplicates_found": found})


@login_required
def lead_edit(request, pk):
    lead = get_for_user(Lead, request.user, pk, write=True)
    return edit_page(request, lead, LeadForm, "sales/leads/lead_form.html", "sales:lead_edit", "lead")


@login_required
@require_POST
def lead_delete(request, pk):
    lead = get_for_user(Lead, request.user, pk, write=True)
    move_to_recycle_bin(request, lead)
    return redirect("sales:lead_list")


# The conversion's errors name the form's fields; the rest go on top of the form.
_CONVERT_FIELDS = {"account", "contact", "opportunity_name", "amount", "currency", "stage", "expected_close_date"}


@login_required
def lead_convert(request, pk):
    """Choose what the lead becomes (offered matches or new records) and convert it."""
    user = request.user
    lead = get_for_user(Lead.objects.select_related("converted_by"), user, pk, write=True)
    if lead.is_converted:
        try:
            refuse_if_converted(lead)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(lead)
    candidates = conversion_candidates(lead, user)
    form = ConvertForm(request.POST if request.method == "POST" else None, lead=lead, candidates=candidates, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = convert_lead(
                lead, by=user, account=form.chosen_account(), contact=form.chosen_contact(),
                create_opportunity=data["create_opportunity"], opportunity_name=data["opportunity_name"],
                amount=data["amount"], currency=data["currency"], stage=data["stage"],
                expected_close_date=data["expected_close_date"],
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "already_converted":
                messages.error(request, " ".join(exc.messages))
                return redirect(lead)
            for field, errors in (exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]):
                form.add_error(field if field in _CONVERT_FIELDS else None, errors)
        else:
            parts = [str(result.account)]
            if result.contact:
                parts.append(str(result.contact))
            if result.opportunity:
                parts.append(str(result.opportunity))
            messages.success(request, _("Lead converted: %(records)s. Its activities, notes, files and campaigns "
                                        "moved over.") % {"records": " · ".join(parts)})
            return redirect(result.account)
    return render(request, "sales/leads/lead_convert.html", {
        "lead": lead, "form": form, "candidates": candidates,
    })
