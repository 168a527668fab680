"""Pages: opportunities ("negocios") — the list with totals, the pipeline board, the deal's page with its
contacts, product lines, competitors, quotes and activities, and the writes on it (create, edit, move,
close, reopen, delete).

Every write goes through `sales.pipeline` or `sales.services_opportunities`, which check the permission
and the version, so the board, the forms and the API refuse the same things in the same way.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.accounts.models import Account
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact
from vinculo.core import clock, compiled, search
from vinculo.core.access import get_for_user
from vinculo.core.lists import Column, CompiledRows, PageRows, RecordListView, mark_visible
from vinculo.core.services import ConflictError
from vinculo.core.views import edit_page, move_to_recycle_bin, visible_history
from vinculo.plans.forms import initial_links
from vinculo.plans.models import BusinessPlan

from .. import pipeline
from .. import services_opportunities as services
from ..forms_opportunities import (
    BoardFilterForm,
    CloseForm,
    CompetitorEntryEditForm,
    CompetitorEntryForm,
    ContactRoleForm,
    LineForm,
    OpportunityFilterForm,
    OpportunityForm,
    deal_contact_choices,
)
from ..models import (
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    PipelineStage,
    Quote,
)
from ..totals import GROUP_CHOICES, pipeline_totals

# Cards per board column: the board stays one bounded page on any number of deals; the column's
# header counts them all and links to the list for the rest.
CARDS_PER_COLUMN = 30
# What a card shows.
CARD_FIELDS = ("name", "version", "stage_id", "status", "amount", "currency", "expected_close_date", "account_id",
               "owner_id", "account__legal_name", "account__trade_name", "owner__username", "owner__first_name",
               "owner__last_name")
ACTIVITIES_SHOWN = 10
CONTACT_CHOICES_SHOWN = 10


def _label(name):
    return capfirst(Opportunity._meta.get_field(name).verbose_name)


def _with_editable(queryset, user):
    return queryset.annotate(
        editable=Exists(Opportunity.objects.editable_by(user, per_row=True).filter(pk=OuterRef("pk")))
    )


def _safe_next(request, url: str, default: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return default


# ---------- List ----------

class IdsFirstRows(CompiledRows):
    """Reads a page as the ids of its rows first, then those rows with their related records. In one query
    SQLite would join the related tables for every matching deal before sorting them; the ids alone come from
    an index. Both queries are compiled once per process (core.compiled)."""

    def __getitem__(self, window: slice) -> PageRows:
        view = self.view
        start = window.start or 0
        stop = start + view.paginate_by  # a full page even when fewer rows are left: one query per page number
        per_row = view.page_per_row(start // view.paginate_by + 1)

        def ids(user, _record):
            return view.narrow(view.records(user, per_row)).values_list("pk")[start:stop]

        def rows(*ids):
            return Opportunity.objects.filter(pk__in=ids).select_related(*view.select_related)

        def fetch():
            found = [row[0] for row in compiled.values(self._name("ids"), self.model, ids, view.request.user, 0,
                                                       key=(view.sort, start, stop, per_row, *view.compile_key()))]
            position = {pk: index for index, pk in enumerate(found)}
            return sorted(compiled.rows(self._name("rows"), Opportunity, rows, *found) if found else [],
                          key=lambda row: position[row.pk])

        return PageRows(fetch)


class OpportunityListView(RecordListView):
    model = Opportunity
    template_name = "sales/opportunities/opportunity_list.html"
    fragment_template_name = "sales/opportunities/_opportunity_table.html"
    filter_form_class = OpportunityFilterForm
    list_key = "opportunities"
    rows_class = IdsFirstRows
    select_related = ("account", "account__territory", "owner", "stage", "sales_team", "business_unit")
    default_sort = "-created_at"
    search_placeholder = gettext_lazy("Deal or account name…")
    columns = (
        Column("name", _label("name"), ("name",), always=True),
        Column("account", _label("account"), ("account__legal_name",)),
        Column("stage", _label("stage"), ("stage__order",)),
        Column("amount", _label("amount"), ("amount",)),
        Column("probability", gettext_lazy("Prob."), ("probability",), default=False),
        Column("weighted", gettext_lazy("Weighted")),
        Column("expected_close_date", gettext_lazy("Close date"), ("expected_close_date",)),
        Column("owner", _label("owner"), ("owner__first_name", "owner__last_name")),
        Column("business_unit", _label("business_unit"), ("business_unit__name",), default=False),
        Column("sales_team", _label("sales_team"), ("sales_team__name",), default=False),
        Column("territory", gettext_lazy("Territory"), ("account__territory__name",), default=False),
        Column("next_step", _label("next_step"), default=False),
        Column("created_at", gettext_lazy("Created"), ("created_at",), default=False),
    )

    @property
    def per_row(self) -> bool:
        """Sorted by creation (an index's order), the page stops after a few rows: checking them one by one is
        cheaper than listing every account the user may see. Other sorts read every listed deal from the
        totals index, where one list of accounts (as the totals use) is cheaper."""
        return self._sort_param().lstrip("-") == "created_at"

    def paginate_queryset(self, queryset, page_size):
        # The totals count every listed deal: the paginator takes its count from them instead of its own query.
        user, form, key = self.request.user, self.filter_form, self.compile_key()
        self.totals = pipeline_totals(lambda user: form.apply(Opportunity.objects.visible_to(user)),
                                      self.request.GET.get("group", "stage"), user.currency,
                                      compiled_for=("sales:deal-list:totals", user, key))
        self.closed = None
        if form.open_only:
            # Won and lost deals with the same filters, shown apart from the pipeline's totals.
            self.closed = pipeline_totals(
                lambda user: form.apply(Opportunity.objects.visible_to(user), skip={"status"}).exclude(
                    status=Opportunity.Status.OPEN),
                "status", user.currency, compiled_for=("sales:deal-list:closed", user, key))
        paginator = Paginator(queryset, page_size)
        paginator.count = self.totals.overall.count
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            object_list=mark_visible(context["object_list"], user, "account", "account_visible"),
            totals=self.totals,
            closed=self._closed_links(context["query"]),
            group_choices=GROUP_CHOICES,
            target="opportunity-results",
            today=clock.today(),
            board_url=_board_url(context["query"]),
            create_url=_create_url(self.filter_form.cleaned_data.get("account")),
        )
        return context


    def _closed_links(self, query: QueryDict) -> list[dict]:
        """Won and lost totals for the list's filters, each with the link listing them."""
        if self.closed is None:
            return []
        links = []
        for total in self.closed.groups:
            status_query = query.copy()
            status_query.pop("page", None)
            status_query["status"] = total.key
            links.append({"total": total, "url": f"{self.request.path}?{status_query.urlencode()}"})
        return links


opportunity_list = OpportunityListView.as_view()


def _create_url(account) -> str:
    url = reverse("sales:opportunity_create")
    return f"{url}?account={account.pk}" if account else url


def _board_url(query: QueryDict) -> str:
    """The board with the list's filters that the board has (not stage, status, sort or page)."""
    kept = query.copy()
    for name in ("stage", "status", "sort", "page", "group"):
        kept.pop(name, None)
    url = reverse("sales:opportunity_board")
    return f"{url}?{kept.urlencode()}" if kept else url


# ---------- Board ----------

def _board_query(data: QueryDict) -> QueryDict:
    query = data.copy()
    for key in list(query):
        values = [value for value in query.getlist(key) if value.strip()]
        if values:
            query.setlist(key, values)
        else:
            del query[key]
    return query


def board_context(request, data: QueryDict) -> dict:
    """The board's columns for the filters in `data`: one column per stage in use with its open deals
    (the first CARDS_PER_COLUMN, closing soonest first) and its totals in the user's currency.
    Queries: the stages, the totals, one per column, the rates and the account names' visibility."""
    user = request.user
    form = BoardFilterForm(data, user=user)
    deals = form.apply(Opportunity.objects.visible_to(user).filter(status=Opportunity.Status.OPEN))
    stages = list(PipelineStage.objects.all())
    active = [stage for stage in stages if stage.is_active]
    totals = pipeline_totals(deals, "stage", user.currency, stages=stages)
    query = _board_query(data)
    # Each column reads its first cards in the order of the board index; these few rows are checked one by
    # one (per_row) rather than against the list of every account the user may see.
    form.per_row = True

    def cards_in(user, stage_id: int):
        return (
            form.apply(Opportunity.objects.visible_to(user, per_row=True).filter(status=Opportunity.Status.OPEN))
            .filter(stage_id=stage_id).select_related("account", "owner").only(*CARD_FIELDS)
            .order_by("expected_close_date", "pk")[:CARDS_PER_COLUMN]
        )

    columns, cards = [], []
    # A column's query is the same for every stage: compiled once per process (5 columns: ~15 ms of compiling
    # per view otherwise) for each shape of user unfiltered, for the user and their filters otherwise (the
    # filters put values of their own in it, which the form may have read as this user).
    key = (CARDS_PER_COLUMN, user.pk, form.set_values) if form.active else (CARDS_PER_COLUMN,)
    for stage in active:
        rows = compiled.fetch("sales:board:column", Opportunity, cards_in, user, stage.pk, key=key)
        cards += rows
        total = totals.get(stage.pk)
        more = total.count - len(rows)
        list_query = query.copy()
        list_query.update({"stage": stage.pk, "status": Opportunity.Status.OPEN})
        columns.append({
            "stage": stage, "cards": rows, "total": total, "more": max(more, 0),
            "list_url": f"{reverse('sales:opportunity_list')}?{list_query.urlencode()}",
        })
    mark_visible(cards, user, "account", "account_visible")
    _prepare_cards(cards, user)
    # Open deals left in a stage no longer in use are not on the board: say so, with a link to them.
    retired = [
        {"stage": stage, "count": totals.get(stage.pk).count,
         "list_url": f"{reverse('sales:opportunity_list')}?{urlencode({'stage': stage.pk, 'status': 'open'})}"}
        for stage in stages if not stage.is_active and totals.get(stage.pk).count
    ]
    chips = []
    account = form.cleaned_data.get("account")
    if account:
        without = query.copy()
        without.pop("account", None)
        chips.append({"label": form.fields["account"].label, "value": account,
                      "remove_url": f"{request.path}?{without.urlencode()}" if without else request.path})
    list_url = reverse("sales:opportunity_list")
    list_query = query.copy()
    list_query["status"] = Opportunity.Status.OPEN
    return {
        "filter_form": form, "chips": chips, "columns": columns, "stages": active, "totals": totals,
        "retired": retired, "query": query, "today": clock.today(), "target": "board-columns",
        "search_placeholder": _("Deal or account name…"), "cards_per_column": CARDS_PER_COLUMN,
        "list_url": f"{list_url}?{list_query.urlencode()}",
        "board_path": reverse("sales:opportunity_board"),
        "board_next": f"{reverse('sales:opportunity_board')}?{query.urlencode()}" if query
        else reverse("sales:opportunity_board"),
        "create_url": _create_url(account),
    }


def _prepare_cards(cards, user) -> None:
    """What a card shows beyond its fields, computed here rather than in the template (a board has
    hundreds of cards): whether the user may move it (one query for all), its links, whether it is past its
    close date and that date as shown (formatted once per date), its owner's initials."""
    ids = [card.pk for card in cards]
    editable = set(Opportunity.objects.editable_by(user, per_row=True).filter(pk__in=ids).values_list("pk", flat=True))
    today = clock.today()
    detail = reverse("sales:opportunity_detail", args=[0]).removesuffix("0/")
    shown_dates = {}
    for card in cards:
        card.editable = card.pk in editable
        card.url = f"{detail}{card.pk}/"
        card.move_url = f"{card.url}move/"
        card.overdue = bool(card.expected_close_date and card.expected_close_date < today)
        if card.expected_close_date:
            if card.expected_close_date not in shown_dates:
                shown_dates[card.expected_close_date] = date_format(card.expected_close_date, "SHORT_DATE_FORMAT")
            card.close_shown = shown_dates[card.expected_close_date]
        owner = card.owner
        card.owner_initials = ((owner.first_name[:1] or owner.username[:1]) + owner.last_name[:1]).upper()


def _fragment_only(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


@login_required
def opportunity_board(request):
    context = board_context(request, request.GET)
    if _fragment_only(request):
        response = render(request, "sales/opportunities/_board_columns.html", context)
        query = context["query"].urlencode()
        response["HX-Push-Url"] = f"{request.path}?{query}" if query else request.path
        return response
    return render(request, "sales/opportunities/opportunity_board.html", context)


def _board_refusal(request, status: int, message: str, reload_url: str = ""):
    return render(request, "sales/opportunities/_board_message.html",
                  {"level": "error", "message": message, "reload_url": reload_url}, status=status)


@login_required
@require_POST
def opportunity_move(request, pk):
    """Put a deal in another stage: from a board card (drag and drop, or its "Move to" menu) or the stage
    track of its page. The board's script posts `board` (the board's query) and gets the re-rendered columns
    back, or a message and a 403 / 409 / 422 status; a plain form post is redirected to `next`."""
    user = request.user
    opportunity = get_for_user(Opportunity.objects.select_related("stage"), user, pk)
    from_board = _fragment_only(request) and "board" in request.POST
    board_query = QueryDict(request.POST.get("board", ""))
    next_url = _safe_next(request, request.POST.get("next", ""), opportunity.get_absolute_url())
    stage_id, version = request.POST.get("stage", ""), request.POST.get("version", "")
    stage = PipelineStage.objects.filter(pk=stage_id).first() if stage_id.isdigit() else None
    error, status = "", 200
    if stage is None:
        error, status = _("Choose a stage to move the deal to."), 422
    elif not version.isdigit():
        error, status = _("The deal's version is missing; reload the page and try again."), 422
    else:
        try:
            pipeline.move_to_stage(opportunity, stage, by=user, expected_version=int(version))
        except PermissionDenied:
            error, status = _("You may read “%(name)s” but not change it.") % {"name": opportunity}, 403
        except ConflictError as exc:
            who = exc.by_user or _("Someone else")
            error, status = _("%(who)s changed “%(name)s” after you loaded this page. Reload to see the latest, "
                              "then move it again.") % {"who": who, "name": opportunity}, 409
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 422
    moved = _("“%(name)s” moved to %(stage)s.") % {"name": opportunity, "stage": stage} if not error else ""
    if from_board:
        if error:
            reload_url = f"{reverse('sales:opportunity_board')}?{board_query.urlencode()}" if status == 409 else ""
            return _board_refusal(request, status, error, reload_url)
        context = board_context(request, board_query)
        context.update(message=moved, moved_pk=opportunity.pk)
        return render(request, "sales/opportunities/_board_update.html", context)
    # Without the board's script (a plain form): back to the page, with the outcome as a message.
    if error:
        messages.error(request, error)
    else:
        messages.success(request, moved)
    return redirect(next_url)


# ---------- Detail ----------

def _page_queryset(user):
    return _with_editable(
        Opportunity.objects.select_related(
            "account", "owner", "stage", "sales_team", "business_unit", "campaign", "created_by", "plan", "objective",
        ), user,
    ).annotate(
        account_visible=Exists(Account.objects.visible_to(user, per_row=True).filter(pk=OuterRef("account_id"))),
        plan_visible=Exists(BusinessPlan.objects.visible_to(user, per_row=True).filter(pk=OuterRef("plan_id"))),
    )


def _opportunity_for_page(user, pk):
    return compiled.get_for_user("sales:deal-page", Opportunity, _page_queryset, user, pk)


# The deal page's related records, each query compiled once per shape of user (core.compiled).

def _contact_roles(user, pk):
    return OpportunityContact.objects.filter(opportunity_id=pk).select_related("contact").annotate(
        visible=Exists(Contact.objects.visible_to(user, per_row=True).filter(pk=OuterRef("contact_id")))
    )


def _quotes(user, pk):
    return (Quote.objects.filter(opportunity_id=pk).visible_to(user, per_row=True)
            .order_by("-issued_on", "-revision", "-pk"))


def _activities(user, pk):
    return (Activity.objects.visible_to(user, per_row=True).regarding(Opportunity(pk=pk)).select_related("owner")
            .order_by("-occurred_at", "-pk")[:ACTIVITIES_SHOWN + 1])


def _detail(request, opportunity, **refused):
    """The deal's page; `refused` re-shows one of its forms with the errors of a refused post."""
    user = request.user
    contact_roles = compiled.fetch("sales:deal-page:contacts", OpportunityContact, _contact_roles, user, opportunity.pk)
    lines = list(opportunity.lines.select_related("product"))
    entries = list(opportunity.competitor_entries.select_related("competitor"))
    writable = opportunity.editable
    forms = {}
    if writable:
        forms = {
            "contact_form": ContactRoleForm(opportunity=opportunity, user=user),
            "line_form": LineForm(opportunity=opportunity),
            "competitor_form": CompetitorEntryForm(opportunity=opportunity),
            "close_form": CloseForm(initial={"version": opportunity.version}),
        }
        for entry in entries:
            entry.form = CompetitorEntryEditForm(instance=entry, opportunity=opportunity)
    forms.update(refused)
    refused_entry = refused.get("entry_form")
    if refused_entry is not None:
        for entry in entries:
            if entry.pk == refused_entry.instance.pk:
                entry.form, entry.refused = refused_entry, True
    activities = compiled.fetch("sales:deal-page:activities", Activity, _activities, user, opportunity.pk)
    quotes = compiled.fetch("sales:deal-page:quotes", Quote, _quotes, user, opportunity.pk)
    for record in (*contact_roles, *quotes):
        record.opportunity = opportunity  # as the related managers set it
    context = {
        "opportunity": opportunity,
        "stages": list(PipelineStage.objects.filter(is_active=True)),
        "contact_roles": [role for role in contact_roles if role.visible],
        "hidden_contacts": sum(1 for role in contact_roles if not role.visible),
        "lines": lines,
        "lines_total": services.lines_total(opportunity, lines),
        "entries": entries,
        "quotes": quotes,
        "activities": activities[:ACTIVITIES_SHOWN],
        "more_activities": len(activities) > ACTIVITIES_SHOWN,
        "history": visible_history(opportunity, user),
        "today": clock.today(),
        "refused": next(iter(refused), ""),
        **forms,
    }
    return render(request, "sales/opportunities/opportunity_detail.html", context, status=400 if refused else 200)


@login_required
def opportunity_detail(request, pk):
    return _detail(request, _opportunity_for_page(request.user, pk))


# ---------- Create, edit, delete ----------

@login_required
def opportunity_create(request):
    user = request.user
    initial = initial_links(request)
    account_id = request.GET.get("account")
    if account_id:
        account = get_for_user(Account, user, account_id)
        initial.update(account=account.pk, sales_team=account.sales_team_id, business_unit=account.business_unit_id)
    form = OpportunityForm(request.POST if request.method == "POST" else None, initial=initial, user=user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("“%(name)s” was created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "sales/opportunities/opportunity_form.html", {"form": form})


@login_required
def opportunity_edit(request, pk):
    opportunity = get_for_user(Opportunity, request.user, pk, write=True)
    return edit_page(request, opportunity, OpportunityForm, "sales/opportunities/opportunity_form.html",
                     "sales:opportunity_edit", "opportunity")


@login_required
@require_POST
def opportunity_delete(request, pk):
    user = request.user
    opportunity = get_for_user(Opportunity, user, pk, write=True)
    move_to_recycle_bin(request, opportunity)
    if Account.objects.visible_to(user, per_row=True).filter(pk=opportunity.account_id).exists():
        return redirect("accounts:detail", opportunity.account_id)
    return redirect("sales:opportunity_list")


# ---------- Close, reopen ----------

def _conflict_message(exc: ConflictError) -> str:
    return str(exc)


@login_required
@require_POST
def opportunity_close(request, pk):
    user = request.user
    opportunity = get_for_user(Opportunity, user, pk, write=True)
    form = CloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            pipeline.close_opportunity(opportunity, data["status"], by=user, reason=data["reason"], note=data["note"],
                                       amount=data["amount"], expected_version=data["version"])
        except ConflictError as exc:
            form.add_error(None, _conflict_message(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            won = data["status"] == Opportunity.Status.WON
            messages.success(request, (_("“%(name)s” was marked won.") if won else _("“%(name)s” was marked lost."))
                             % {"name": opportunity})
            return redirect(opportunity)
    return _detail(request, _opportunity_for_page(user, pk), close_form=form)


@login_required
@require_POST
def opportunity_reopen(request, pk):
    user = request.user
    opportunity = get_for_user(Opportunity.objects.select_related("stage"), user, pk, write=True)
    version = request.POST.get("version", "")
    try:
        pipeline.reopen_opportunity(opportunity, by=user, expected_version=int(version) if version.isdigit() else None)
    except ConflictError as exc:
        messages.error(request, _conflict_message(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(name)s” is open again.") % {"name": opportunity})
    return redirect(opportunity)


# ---------- The deal's contacts, product lines and competitors ----------

def _refuse_or_redirect(request, opportunity, form_name, form, write, section):
    """Run `write`; on success back to the deal's page (at `section`), otherwise the page with the form's errors."""
    try:
        write()
    except ConflictError as exc:
        form.add_error(None, _conflict_message(exc))
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
    else:
        return redirect(f"{opportunity.get_absolute_url()}#{section}")
    return _detail(request, _opportunity_for_page(request.user, opportunity.pk), **{form_name: form})


@login_required
@require_POST
def opportunity_contact_add(request, pk):
    user = request.user
    opportunity = get_for_user(Opportunity, user, pk, write=True)
    form = ContactRoleForm(request.POST, opportunity=opportunity, user=user)
    if not form.is_valid():
        return _detail(request, _opportunity_for_page(user, pk), contact_form=form)
    data = form.cleaned_data
    return _refuse_or_redirect(request, opportunity, "contact_form", form, lambda: services.set_contact_role(
        opportunity, data["contact"], data["role"], by=user, is_primary=data["is_primary"]), "contacts")


@login_required
def opportunity_contact_choices(request):
    """The contacts matching `q` that may be added to the deal `opportunity` (the picker's htmx fragment):
    only contacts of its account, or linked to it, that the user may see."""
    opportunity_id = request.GET.get("opportunity", "")
    opportunity = get_for_user(Opportunity, request.user, opportunity_id if opportunity_id.isdigit() else None)
    query = request.GET.get("q", "").strip()[:200]
    results = []
    if query:
        results = list(deal_contact_choices(opportunity, request.user)
                       .filter(pk__in=search.matching_ids(Contact, query))[:CONTACT_CHOICES_SHOWN])
    return render(request, "sales/opportunities/_contact_choices.html", {"results": results, "query": query})


@login_required
@require_POST
def opportunity_contact_remove(request, pk, entry_pk):
    user = request.user
    opportunity = get_for_user(Opportunity, user, pk, write=True)
    entry = get_object_or_404(OpportunityContact, pk=entry_pk, opportunity=opportunity)
    services.remove_contact(opportunity, entry, by=user)
    messages.success(request, _("%(contact)s is no longer on the deal.") % {"contact": entry.contact})
    return redirect(f"{opportunity.get_absolute_url()}#contacts")


@login_required
@require_POST
def opportunity_line_add(request, pk):
    user = request.user
    opportunity = get_for_user(Opportunity, user, pk, write=True)
    form = LineForm(request.POST, opportunity=opportunity)
    version = request.POST.get("version", "")
    if not form.is_valid():
        return _detail(request, _opportunity_for_page(user, pk), line_form=form)
    line = form.save(commit=False)
    return _refuse_or_redirect(request, opportunity, "line_form", form, lambda: services.save_line(
        opportunity, line, by=user, expected_version=int(version) if version.isdigit() else None), "lines")


@login_required
@require_POST
def opportunity_line_remove(request, pk, line_pk):
    user = request.user
    opportunity = get_for_user(Opportunity, user, pk, write=True)
    line = get_object_or_404(OpportunityLine, pk=line_pk, opportunity=opportunity)
    version = request.POST.get("version", "")
    try:
        services.remove_line(opportunity, line, by=user, expected_version=int(version) if version.isdigit() else None)
    except ConflictError as exc:
        messages.error(request, _conflict_message(exc))
    else:
        messages.success(request, _("The line “%(line)s” was removed.") % {"line": line})
    return redirect(f"{opportunity.get_absolute_url()}#lines")


@login_required
@require_POST
def opportunity_competitor_add(request, pk):
    user = request.user
    opportunity = get_for_user(Opportunity, user, pk, write=True)
    form = CompetitorEntryForm(request.POST, opportunity=opportunity)
    if not form.is_valid():
        return _detail(request, _opportunity_for_page(user, pk), competitor_form=form)
    entry = form.save(commit=False)
    return _refuse_or_redirect(request, opportunity, "competitor_form", form,
                               lambda: services.save_competitor_entry(opportunity, entry, by=user), "competitors")


@login_required
@require_POST
def opportunity_competitor_edit(request, pk, entry_pk):
    user = request.user
    opportunity = get_for_user(Opportunity, user, pk, write=True)
    entry = get_object_or_404(OpportunityCompetitor, pk=entry_pk, opportunity=opportunity)
    form = CompetitorEntryEditForm(request.POST, instance=entry, opportunity=opportunity)
    if not form.is_valid():
        return _detail(request, _opportunity_for_page(user, pk), entry_form=form)
    entry = form.save(commit=False)
    return _refuse_or_redirect(request, opportunity, "entry_form", form,
                               lambda: services.save_competitor_entry(opportunity, entry, by=user), "competitors")


@login_required
@require_POST
def opportunity_competitor_remove(request, pk, entry_pk):
    user = request.user
    opportunity = get_for_user(Opportunity, user, pk, write=True)
    entry = get_object_or_404(OpportunityCompetitor.objects.select_related("competitor"), pk=entry_pk,
                              opportunity=opportunity)
    services.remove_competitor_entry(opportunity, entry, by=user)
    messages.success(request, _("%(competitor)s is no longer on the deal.") % {"competitor": entry.competitor})
    return redirect(f"{opportunity.get_absolute_url()}#competitors")
