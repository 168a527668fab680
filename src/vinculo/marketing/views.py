"""Campaign pages: list, detail (with the leads it brought and its members), create, edit, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.core.access import get_for_user
from vinculo.core.lists import Column, RecordListView
from vinculo.core.views import edit_page, move_to_recycle_bin, visible_history

from . import page
from .forms import CampaignFilterForm, CampaignForm
from .models import Campaign


def _label(name):
    return capfirst(Campaign._meta.get_field(name).verbose_name)


class CampaignListView(RecordListView):
    model = Campaign
    template_name = "marketing/campaign_list.html"
    fragment_template_name = "marketing/_campaign_table.html"
    filter_form_class = CampaignFilterForm
    list_key = "campaigns"
    select_related = ("owner",)
    default_sort = "-start_date"
    search_placeholder = gettext_lazy("Campaign name…")
    columns = (
        Column("name", _label("name"), ("name",), always=True),
        Column("kind", _label("kind"), ("kind",)),
        Column("status", _label("status"), ("status",)),
        Column("start_date", _label("start_date"), ("start_date",)),
        Column("end_date", _label("end_date"), ("end_date",)),
        Column("owner", _label("owner"), ("owner__first_name", "owner__last_name")),
    )


campaign_list = CampaignListView.as_view()


@login_required
def campaign_detail(request, pk):
    user = request.user
    queryset = Campaign.objects.select_related("owner").annotate(
        editable=Exists(Campaign.objects.editable_by(user).filter(pk=OuterRef("pk"))),
    )
    campaign = get_for_user(queryset, user, pk)
    sections = [(section, section.load(campaign, user)) for section in page.sections]
    return render(request, "marketing/campaign_detail.html", {
        "campaign": campaign,
        "sections": sections,
        # Each section's count by name too ("lead_count"), for the page's summary.
        **{section.options["count_name"]: data["count"] for section, data in sections if "count_name" in section.options},
        "history": visible_history(campaign, user),
    })


@login_required
def campaign_create(request):
    form = CampaignForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("Campaign “%(name)s” created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "marketing/campaign_form.html", {"form": form})


@login_required
def campaign_edit(request, pk):
    campaign = get_for_user(Campaign, request.user, pk, write=True)
    return edit_page(request, campaign, CampaignForm, "marketing/campaign_form.html", "marketing:campaign_edit",
                     "campaign")


@login_required
@require_POST
def campaign_delete(request, pk):
    campaign = get_for_user(Campaign, request.user, pk, write=True)
    move_to_recycle_bin(request, campaign)
    return redirect("marketing:campaign_list")

