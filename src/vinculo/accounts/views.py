from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Value
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import push_url

from vinculo.core import clock, compiled, search
from vinculo.core.access import get_for_user, is_admin
from vinculo.core.duplicate_views import found_on_create
from vinculo.core.lists import Column, RecordListView
from vinculo.core.views import edit_page, move_to_recycle_bin, visible_history
from vinculo.org.forms import territory_groups

from . import page, services
from .forms import AccountFilterForm, AccountForm, AddressForm, TeamMemberForm
from .models import Account, AccountTeamMember, Address, amounts_hidden_from
from .sales import sales_summary
from .services import make_customer

CHILDREN_SHOWN = 10


def _label(name):
    return capfirst(Account._meta.get_field(name).verbose_name)


class AccountListView(RecordListView):
    model = Account
    template_name = "accounts/account_list.html"
    fragment_template_name = "accounts/_account_table.html"
    filter_form_class = AccountFilterForm
    list_key = "accounts"
    select_related = ("owner", "territory", "industry")
    default_sort = "name"
    search_placeholder = gettext_lazy("Name, tax id, email…")
    columns = (
        Column("name", gettext_lazy("Name"), ("legal_name",), always=True),
        Column("tax_id", _label("tax_id"), ("tax_id",)),
        Column("account_type", gettext_lazy("Type"), ("account_type",)),
        Column("owner", _label("owner"), ("owner__first_name", "owner__last_name")),
        Column("territory", _label("territory"), ("territory__name",)),
        Column("industry", _label("industry"), ("industry__name",), default=False),
        Column("rating", _label("rating"), ("rating",), default=False),
        Column("relationship_status", gettext_lazy("Relationship"), ("relationship_status",)),
        Column("phone", _label("phone"), default=False),
        Column("email", _label("email"), ("email",), default=False),
        Column("updated_at", gettext_lazy("Updated"), ("updated_at",)),
        # Financial data: offered only to those who may read it (the policy's "financial" field group).
        Column("credit_grade", _label("credit_grade"), ("credit_grade",), default=False),
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.filter_form.cleaned_data.get("group_by_territory"):
            context["territory_groups"] = territory_groups(self.get_queryset())
        return context


account_list = AccountListView.as_view()


def _page_queryset(user):
    """The accounts with what their page shows in the same query: related names, whether the user may edit
    it, change its team and open its parent."""
    manages_team = (Value(True) if is_admin(user)
                    else Exists(Account.objects.filter(pk=OuterRef("pk")).filter(services.team_managers_q(user))))
    return Account.objects.select_related(
        "owner", "business_unit", "office", "supervisor", "support_user", "sales_team", "industry", "territory",
        "parent",
    ).annotate(
        editable=Exists(Account.objects.editable_by(user).filter(pk=OuterRef("pk"))),
        team_manageable=manages_team,
        parent_visible=Exists(Account.objects.visible_to(user).filter(pk=OuterRef("parent_id"))),
    )


def _account_for_page(user, pk):
    """The account for its page (404 to those who may not see it), its SQL compiled once per process."""
    return compiled.get_for_user("accounts:page", Account, _page_queryset, user, pk)


def _section_queryset(user):
    return Account.objects.annotate(editable=Exists(Account.objects.editable_by(user).filter(pk=OuterRef("pk"))))


def _account_for_section(user, pk):
    """The account for one of its page's sections loaded on demand: whether the user may see it (404
    otherwise) and edit it (the sections' add buttons); the page's other facts are not needed there."""
    return compiled.get_for_user("accounts:section", Account, _section_queryset, user, pk)


def _children(user, pk):
    """The first child accounts of account `pk` that `user` may see, one more than shown (to say "and more")."""
    return (Account.objects.visible_to(user).filter(parent_id=pk)
            .only("pk", "legal_name", "trade_name")[:CHILDREN_SHOWN + 1])


def _fragment_context(request, account):
    return {"account": account, "show_amounts": not amounts_hidden_from(request.user), "today": clock.today()}


def _shown(section, lists: dict, totals: dict, account) -> tuple:
    """(section, its page) for a section shown with the page, or (section, a placeholder) for one loaded on
    demand: its fragment URL, its plain link and its count when the counts query has it."""
    if section.key in lists:
        return section, lists[section.key]
    url = account.get_absolute_url()
    return section, page.Placeholder(section.key, totals.get(section.key), section.fragment_url(account),
                                     f"{url}?{section.key}_page=1#{section.key}")


@login_required
def account_detail(request, pk):
    user = request.user
    account = _account_for_page(user, pk)
    today = clock.today()
    can_view_financial = Account.policy.can_read(user, "financial")
    children = compiled.fetch("accounts:children", Account, _children, user, account.pk)
    numbers = {section.key: page.page_number(request.GET.get(f"{section.key}_page")) for section in page.sections()}
    # The sections loaded on demand are placeholders, unless the address asks for a page of one (its plain
    # links, which work without scripts).
    shown = [section.key for section in page.sections()
             if not section.lazy or f"{section.key}_page" in request.GET]
    totals = page.related_counts(account)
    lists = page.section_pages(account, user, today, numbers, request.GET, keys=shown, totals=totals)
    rollup = bool(children) and request.GET.get("rollup") == "1"
    sales = page.sales_panel(account, user, today, rollup=rollup)
    context = {
        **_fragment_context(request, account),
        **lists,
        "main_sections": [_shown(section, lists, totals, account) for section in page.sections("main")],
        "side_sections": [_shown(section, lists, totals, account) for section in page.sections("side")],
        "can_view_financial": can_view_financial,
        **_team_context(account),
        **_addresses_context(account),
        "children": children[:CHILDREN_SHOWN],
        "more_children": len(children) > CHILDREN_SHOWN,
        "has_children": bool(children),
        "sales": sales,
        "alerts": page.alerts(account, today, lists),
        # The alerts are about this account alone, whatever the sales panel rolls up.
        "own_sales": sales_summary([account.pk], today, account.currency) if rollup else sales.summary,
        "history": visible_history(account, user),
    }
    return render(request, "accounts/account_detail.html", context)


@login_required
def account_section(request, pk, name):
    """One page of a section of the account page (htmx fragment): a related list, the contacts, the timeline."""
    if name not in page.SECTIONS:
        raise Http404
    account = _account_for_section(request.user, pk)
    context = _fragment_context(request, account)
    number = {name: page.page_number(request.GET.get("page"))}
    context[name] = page.section_pages(account, request.user, context["today"], number, request.GET, keys=[name])[name]
    return render(request, page.SECTIONS[name].template, context)


@login_required
def account_sales(request, pk):
    """The sales panel, with or without the child accounts' sales (htmx fragment of the roll-up toggle)."""
    account = _account_for_page(request.user, pk)
    context = _fragment_context(request, account)
    context["has_children"] = Account.objects.visible_to(request.user).filter(parent=account).exists()
    rollup = context["has_children"] and request.GET.get("rollup") == "1"
    context["sales"] = page.sales_panel(account, request.user, context["today"], rollup=rollup)
    response = render(request, "accounts/_sales.html", context)
    # The address bar keeps the choice, so a reload or a shared link shows the same figures.
    return push_url(response, account.get_absolute_url() + ("?rollup=1" if rollup else ""))


@login_required
def account_create(request):
    form = AccountForm(request.POST if request.method == "POST" else None, user=request.user)
    found = found_on_create(request, "account", form)
    if request.method == "POST" and not found and form.save_record():
        messages.success(request, _("Account “%(name)s” created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "accounts/account_form.html", {"form": form, "duplicates_found": found})


@login_required
def account_edit(request, pk):
    account = get_for_user(Account, request.user, pk, write=True)
    return edit_page(request, account, AccountForm, "accounts/account_form.html", "accounts:edit", "account")


@login_required
@require_POST
def account_delete(request, pk):
    account = get_for_user(Account, request.user, pk, write=True)
    move_to_recycle_bin(request, account)
    return redirect("accounts:list")


@login_required
@require_POST
def account_make_customer(request, pk):
    """The prospect → customer transition by hand (a won deal makes it too), kept in the account's history."""
    account = get_for_user(Account, request.user, pk, write=True)
    if account.account_type == Account.Type.PROSPECT:
        make_customer(account, by=request.user)
        messages.success(request, _("“%(name)s” is now a customer.") % {"name": account})
    else:
        messages.error(request, _("Only a prospect can be marked as a customer."))
    return redirect(account)


@login_required
def account_autocomplete(request):
    """Accounts the user may see whose name or tax id matches `q`: the choices of account pickers."""
    query = request.GET.get("q", "").strip()[:200]
    results = search.search(Account, request.user, query)[:10] if query else []
    return render(request, "accounts/_account_choices.html", {"results": results, "query": query})


# ---------- The account team and addresses (sections of the account page, changed in place with htmx) ----------

def _team_context(account, form=None) -> dict:
    """The team section; its form only when a submission was refused (else a button fetches it)."""
    return {
        "team": account.team.select_related("user").order_by("role", "user__first_name", "user__last_name", "pk"),
        "team_form": form,
    }


def _addresses_context(account, form=None) -> dict:
    return {"addresses": account.addresses.all(), "address_form": form}


# The forms of the team and addresses sections, built only when asked for: (context name, form class, heading
# of their own page).
_PART_FORMS = {
    "team": ("team_form", TeamMemberForm, gettext_lazy("Add to the team")),
    "addresses": ("address_form", AddressForm, gettext_lazy("Add an address")),
}


def _part_form(request, account, part, form=None, status=200):
    """The form of a section: the fragment its button fetches (htmx), or a page of its own without scripts
    (also where a refused plain submission comes back, with its errors)."""
    name, form_class, heading = _PART_FORMS[part]
    context = {"account": account, name: form or form_class()}
    template = f"accounts/_{part}_form.html"
    if request.htmx:
        return render(request, template, context, status=status)
    return render(request, "accounts/account_part_form.html",
                  {**context, "form_template": template, "heading": heading}, status=status)


def _part_response(request, account, template, context, anchor, done):
    """The section again (htmx), or back to the account page with a message."""
    if request.htmx:
        return render(request, template, {"account": account, **context})
    messages.success(request, done)
    return redirect(f"{account.get_absolute_url()}#{anchor}")


def _put_back(form, exc: ValidationError) -> str:
    """The refusal's messages on `form`'s fields; their text, for a page without htmx."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
    return " ".join(exc.messages)


@login_required
@require_http_methods(["GET", "POST"])
def team_add(request, pk):
    """GET: the form (see `_part_form`); POST: add the member."""
    user = request.user
    if request.method == "GET":
        account = _account_for_section(user, pk)
        services.require_team_manager(user, account)
        return _part_form(request, account, "team")
    account = _account_for_page(user, pk)
    services.require_team_manager(user, account)
    form = TeamMemberForm(request.POST)
    refused = done = None
    if form.is_valid():
        try:
            member = services.add_team_member(account, form.save(commit=False), by=user)
        except ValidationError as exc:
            refused = _put_back(form, exc)
        else:
            done = _("%(user)s joined the account's team.") % {"user": member.user}
            form = None
    else:
        refused = " ".join(message for errors in form.errors.values() for message in errors)
    if refused and not request.htmx:  # back to the form, with its errors, on its own page
        return _part_form(request, account, "team", form)
    return _part_response(request, account, "accounts/_team.html", _team_context(account, form), "team", done)


@login_required
@require_POST
def team_remove(request, pk, member_pk):
    user = request.user
    account = _account_for_page(user, pk)
    member = get_object_or_404(AccountTeamMember.objects.select_related("user"), pk=member_pk, account=account)
    services.remove_team_member(account, member, by=user)
    return _part_response(request, account, "accounts/_team.html", _team_context(account), "team",
                          _("%(user)s left the account's team.") % {"user": member.user})


@login_required
@require_http_methods(["GET", "POST"])
def address_add(request, pk):
    """GET: the form (see `_part_form`); POST: add the address."""
    user = request.user
    if request.method == "GET":
        account = _account_for_section(user, pk)
        if not account.editable:
            raise PermissionDenied
        return _part_form(request, account, "addresses")
    account = _account_for_page(user, pk)
    if not account.editable:
        raise PermissionDenied
    form = AddressForm(request.POST)
    refused = done = None
    if form.is_valid():
        try:
            services.add_address(account, form.save(commit=False), by=user)
        except ValidationError as exc:
            refused = _put_back(form, exc)
        else:
            done, form = _("Address added."), None
    else:
        refused = " ".join(message for errors in form.errors.values() for message in errors)
    if refused and not request.htmx:
        return _part_form(request, account, "addresses", form)
    return _part_response(request, account, "accounts/_addresses.html", _addresses_context(account, form),
                          "addresses", done)


@login_required
@require_POST
def address_remove(request, pk, address_pk):
    user = request.user
    account = _account_for_page(user, pk)
    address = get_object_or_404(Address, pk=address_pk, account=account)
    services.remove_address(address, by=user)
    return _part_response(request, account, "accounts/_addresses.html", _addresses_context(account), "addresses",
                          _("Address moved to the recycle bin."))
