from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core import clock, compiled, subjects
from vinculo.core.access import get_for_user
from vinculo.core.lists import Column, RecordListView, mark_visible, nearest_first, nearest_page
from vinculo.core.views import edit_page, move_to_recycle_bin, visible_history
from vinculo.plans.forms import initial_links
from vinculo.plans.models import BusinessPlan

from .forms import ActivityFilterForm, ActivityForm
from .models import Activity


def _label(name):
    return capfirst(Activity._meta.get_field(name).verbose_name)


class ActivityListView(RecordListView):
    model = Activity
    template_name = "activities/activity_list.html"
    fragment_template_name = "activities/_activity_table.html"
    filter_form_class = ActivityFilterForm
    list_key = "activities"
    select_related = ("owner", "account")
    # Nearest date first, whether to come or past: the meeting this afternoon before last year's calls and next
    # year's plans. A click on the date column sorts by date.
    default_sort = "nearest"
    named_sorts = {"nearest": "nearest_first"}
    search_placeholder = gettext_lazy("Words in the subject…")
    columns = (
        Column("occurred_at", _label("occurred_at"), ("occurred_at",)),
        Column("kind", _label("kind"), ("kind",)),
        Column("subject", _label("subject"), ("subject",), always=True),
        Column("account", _label("account"), ("account__legal_name",)),
        Column("owner", _label("owner"), ("owner__first_name", "owner__last_name")),
        Column("status", _label("status"), ("status",)),
        Column("outcome", _label("outcome"), ("outcome",), default=False),
        Column("duration_minutes", gettext_lazy("Duration"), ("duration_minutes",), default=False),
    )

    def nearest_first(self):
        return nearest_first("occurred_at", clock.now())

    def paginate_queryset(self, queryset, page_size):
        """The nearest-first page read from the date index outwards (core.lists.nearest_page), each row's
        access checked on its own: the walks stop after a page of rows."""
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        if self.sort == "nearest":
            user, form, moment = self.request.user, self.filter_form, clock.now()
            # Each walk's SQL is compiled once per process (core.compiled), as the list's other pages are.
            filtered = self.compile_key()

            def walk(to_come: bool, count: int):
                def build(user, _record, moment):
                    rows = form.apply(Activity.objects.visible_to(user, per_row=True)
                                      .select_related(*self.select_related))
                    if to_come:
                        return rows.filter(occurred_at__gte=moment).order_by("occurred_at", "pk")[:count]
                    return rows.filter(occurred_at__lt=moment).order_by("-occurred_at", "-pk")[:count]

                return compiled.fetch("activities:list:nearest", Activity, build, user, 0,
                                      key=(to_come, count, *filtered), values=(moment,))

            start = (page.number - 1) * page_size
            page.object_list = nearest_page(walk, "occurred_at", moment, start, page_size)
        return paginator, page, page.object_list, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # An activity is visible to its owner's line even when its account is not: name the account only if visible.
        context["object_list"] = mark_visible(context["object_list"], user, "account", "account_visible")
        # "New activity" starts from the account or contact the list is narrowed to.
        links = {name: record.pk for name in ("account", "contact")
                 if (record := self.filter_form.cleaned_data.get(name))}
        context["create_url"] = f"{reverse('activities:create')}?{urlencode(links)}" if links else reverse(
            "activities:create")
        context["target"] = "activity-results"
        return context


activity_list = ActivityListView.as_view()


def _activity_for_page(user, pk):
    queryset = Activity.objects.select_related("owner", "account", "regarding_type", "plan", "objective").annotate(
        editable=Exists(Activity.objects.editable_by(user).filter(pk=OuterRef("pk"))),
        plan_visible=Exists(BusinessPlan.objects.visible_to(user, per_row=True).filter(pk=OuterRef("plan_id"))),
    )
    activity = get_for_user(queryset, user, pk)
    subjects.load_subjects([activity])
    mark_visible([activity], user, "account", "account_visible")
    # What the activity is about, when that is not its account: a lead, a deal, a quote…
    subject_type = activity.subject_type
    if subject_type is not None and not subject_type.is_account:
        activity.regarding_label = capfirst(subject_type.model._meta.verbose_name)
        subjects.mark_regarding_visible([activity], user)
    return activity


@login_required
def activity_detail(request, pk):
    user = request.user
    activity = _activity_for_page(user, pk)
    return render(request, "activities/activity_detail.html", {
        "activity": activity,
        "contacts": activity.contacts.visible_to(user).order_by("last_name", "first_name"),
        "participants": activity.participants.order_by("first_name", "last_name"),
        "history": visible_history(activity, user),
    })


def _initial_links(request):
    """The account, contact and deal the form starts from (?account=, ?contact=, ?opportunity=): 404 for one the user may
    not see, 403 for an account they may only read. A contact's account is preselected when editable."""
    user, initial = request.user, {}
    contact_id, account_id = request.GET.get("contact"), request.GET.get("account")
    if contact_id:
        contact = get_for_user(Contact, user, contact_id)
        initial["contacts"] = [contact.pk]
        if contact.account_id and not account_id and Account.objects.editable_by(user).filter(
                pk=contact.account_id).exists():
            initial["account"] = contact.account_id
    if account_id:
        initial["account"] = get_for_user(Account, user, account_id, write=True).pk
    opportunity_id = request.GET.get("opportunity")
    if opportunity_id:
        deal = get_for_user(subjects.registry.model_named("opportunity"), user, opportunity_id)
        initial["opportunity"] = deal.pk
        initial.setdefault("account", get_for_user(Account, user, deal.account_id, write=True).pk)
    return initial


def _lead(request):
    """The lead the activity is for (?lead=), which the user must be able to change; None without one."""
    lead_id = request.GET.get("lead")
    return get_for_user(subjects.registry.model_named("lead"), request.user, lead_id, write=True) if lead_id else None


@login_required
def activity_create(request):
    lead = _lead(request)
    initial = {} if lead else {**_initial_links(request), **initial_links(request)}
    if request.GET.get("kind") in Activity.Kind.values:
        initial["kind"] = request.GET["kind"]
    form = ActivityForm(request.POST if request.method == "POST" else None, initial=initial, user=request.user,
                        instance=Activity(lead=lead) if lead else None)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("“%(name)s” was logged.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "activities/activity_form.html", {"form": form, "lead": lead})


@login_required
def activity_edit(request, pk):
    activity = get_for_user(Activity, request.user, pk, write=True)
    return edit_page(request, activity, ActivityForm, "activities/activity_form.html", "activities:edit", "activity")


@login_required
@require_POST
def activity_delete(request, pk):
    user = request.user
    activity = get_for_user(Activity, user, pk, write=True)
    move_to_recycle_bin(request, activity)
    if activity.account_id and Account.objects.visible_to(user).filter(pk=activity.account_id).exists():
        return redirect("accounts:detail", activity.account_id)
    if activity.regarding_id and activity.regarding is not None:
        return redirect(activity.regarding)  # a lead's activity: its lead is editable, so visible
    return redirect("activities:list")


@login_required
def activity_contact_choices(request):
    """The contacts field of the activity form for the account picked (htmx fragment)."""
    form = ActivityForm(initial={"account": request.GET.get("account")}, user=request.user)
    return render(request, "activities/_contacts_field.html", {"field": form["contacts"]})
