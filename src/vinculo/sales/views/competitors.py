"""Pages: competitors — company data, contacts, what they sell, how they compete, and the deals we won
or lost against them. Every user reads them; catalogue managers (`sales.manage_catalogue`) change them.
The deals shown are only those the viewer may see."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.core.access import get_for_user
from vinculo.core.lists import Column, RecordListView
from vinculo.core.services import log_change
from vinculo.core.views import edit_page, move_to_recycle_bin, visible_history

from ..forms_competitors import CompetitorContactForm, CompetitorFilterForm, CompetitorForm
from ..models import Competitor, CompetitorContact
from ..quoting import can_manage_catalogue
from ..totals import competitor_record


def _label(name):
    return capfirst(Competitor._meta.get_field(name).verbose_name)


class CompetitorListView(RecordListView):
    model = Competitor
    template_name = "sales/competitors/competitor_list.html"
    fragment_template_name = "sales/competitors/_competitor_table.html"
    filter_form_class = CompetitorFilterForm
    list_key = "competitors"
    default_sort = "name"
    search_placeholder = gettext_lazy("Competitor name…")
    columns = (
        Column("name", _label("name"), ("name",), always=True),
        Column("country", _label("country"), ("country",)),
        Column("website", _label("website"), ("website",)),
        Column("phone", _label("phone")),
        Column("email", _label("email"), ("email",), default=False),
        Column("products", _label("products"), default=False),
        Column("updated_at", gettext_lazy("Updated"), ("updated_at",), default=False),
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(target="competitor-results", can_manage=can_manage_catalogue(self.request.user))
        return context


competitor_list = CompetitorListView.as_view()


def _detail(request, competitor, contact_form=None):
    user = request.user
    editable = can_manage_catalogue(user)
    if editable and contact_form is None:
        contact_form = CompetitorContactForm()
    return render(request, "sales/competitors/competitor_detail.html", {
        "competitor": competitor,
        "editable": editable,
        "contacts": list(competitor.contacts.all()),
        "contact_form": contact_form if editable else None,
        "deals": competitor_record(competitor, user),
        "history": visible_history(competitor, user),
    }, status=400 if contact_form is not None and contact_form.is_bound else 200)


@login_required
def competitor_detail(request, pk):
    return _detail(request, get_for_user(Competitor, request.user, pk))


@login_required
def competitor_create(request):
    if not can_manage_catalogue(request.user):
        raise PermissionDenied
    form = CompetitorForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("“%(name)s” was created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "sales/competitors/competitor_form.html", {"form": form})


@login_required
def competitor_edit(request, pk):
    competitor = get_for_user(Competitor, request.user, pk, write=True)
    return edit_page(request, competitor, CompetitorForm, "sales/competitors/competitor_form.html",
                     "sales:competitor_edit", "competitor")


@login_required
@require_POST
def competitor_delete(request, pk):
    competitor = get_for_user(Competitor, request.user, pk, write=True)
    move_to_recycle_bin(request, competitor)
    return redirect("sales:competitor_list")


@login_required
@require_POST
def competitor_contact_add(request, pk):
    competitor = get_for_user(Competitor, request.user, pk, write=True)
    form = CompetitorContactForm(request.POST, instance=CompetitorContact(competitor=competitor))
    if form.is_valid():
        try:
            form.instance.full_clean()
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            contact = form.save()
            log_change(competitor, request.user, _("Contact added"), new=str(contact))
            messages.success(request, _("%(name)s was added.") % {"name": contact})
            return redirect(f"{competitor.get_absolute_url()}#contacts")
    return _detail(request, competitor, contact_form=form)


@login_required
@require_POST
def competitor_contact_remove(request, pk, contact_pk):
    competitor = get_for_user(Competitor, request.user, pk, write=True)
    contact = get_object_or_404(CompetitorContact, pk=contact_pk, competitor=competitor)
    contact.delete()
    log_change(competitor, request.user, _("Contact removed"), old=str(contact))
    messages.success(request, _("%(name)s was removed.") % {"name": contact})
    return redirect(f"{competitor.get_absolute_url()}#contacts")

