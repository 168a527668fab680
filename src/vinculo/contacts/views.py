from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.accounts.models import Account
from vinculo.core.access import get_for_user
from vinculo.core.duplicate_views import found_on_create
from vinculo.core.lists import Column, RecordListView, mark_visible
from vinculo.core.policy import Parent
from vinculo.core.views import edit_page, move_to_recycle_bin, visible_history

from . import page, services
from .forms import AccountLinkForm, ContactFilterForm, ContactForm
from .models import Contact

# A link to an account the user may see, checked row by row (an EXISTS on the account).
VISIBLE_ACCOUNT = Parent("account", "accounts.Account")


def _label(name):
    return capfirst(Contact._meta.get_field(name).verbose_name)


class ContactListView(RecordListView):
    model = Contact
    template_name = "contacts/contact_list.html"
    fragment_template_name = "contacts/_contact_table.html"
    filter_form_class = ContactFilterForm
    list_key = "contacts"
    select_related = ("account", "owner")
    default_sort = "name"
    search_placeholder = gettext_lazy("Name, email, job title, account…")
    columns = (
        Column("name", gettext_lazy("Name"), ("last_name", "first_name"), always=True),
        Column("title", _label("title"), ("title",), default=False),
        Column("account", _label("account"), ("account__legal_name",)),
        Column("email", _label("email"), ("email",)),
        Column("phone", _label("phone")),
        Column("mobile", _label("mobile"), default=False),
        Column("executive_level", _label("executive_level"), ("executive_level",), default=False),
        Column("purchase_role", _label("purchase_role"), ("purchase_role",)),
        Column("owner", _label("owner"), ("owner__first_name", "owner__last_name"), default=False),
        Column("updated_at", gettext_lazy("Updated"), ("updated_at",), default=False),
    )

    # Pages up to this one are read checking each contact's account on its own (see page_per_row).
    per_row_pages = 20

    @property
    def per_row(self) -> bool:
        """A quick search narrows the list to a few hundred contacts: check each one's account on its own rather
        than list every account the user may see (bench/: a rep sees ~7,000 of 50,000 accounts)."""
        return bool(self.request.GET.get("q", "").strip())

    def page_per_row(self, number: int) -> bool:
        """The count reads every visible contact, against one list of the user's accounts; a page near the start
        stops after a few rows in name order, so it checks those rows one by one instead of listing the accounts
        again (a rep's first page: ~28 → ~8 ms on 250,000 contacts). Both filters keep the same rows."""
        return self.per_row or number <= self.per_row_pages

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # A contact may be visible through its owner while its account is not: name the account only if visible.
        context["object_list"] = mark_visible(context["object_list"], self.request.user, "account", "account_visible")
        return context


contact_list = ContactListView.as_view()


def _contact_for_page(user, pk):
    queryset = Contact.objects.select_related("owner", "account").annotate(
        editable=Exists(Contact.objects.editable_by(user).filter(pk=OuterRef("pk"))),
    )
    contact = get_for_user(queryset, user, pk)
    mark_visible([contact], user, "account", "account_visible")
    return contact


@login_required
def contact_detail(request, pk):
    user = request.user
    contact = _contact_for_page(user, pk)
    return render(request, "contacts/contact_detail.html", {
        **_accounts_context(contact, user),
        "sections": list(page.sections),
        "actions": page.actions(),
        "history": visible_history(contact, user),
    })


@login_required
def contact_section(request, pk, key):
    """A section of the contact page, which loads it after the page (htmx): the page's own queries stay
    the same whatever sections the apps add."""
    if key not in page.sections:
        raise Http404
    contact = get_for_user(Contact, request.user, pk)
    section = page.sections[key]
    return render(request, section.template, {
        "contact": contact, "data": section.load(contact, request.user), "shown": page.SHOWN,
    })


@login_required
def contact_create(request):
    initial = {}
    account_id = request.GET.get("account", "")
    if account_id.isdigit() and Account.objects.visible_to(request.user).filter(pk=account_id).exists():
        initial["account"] = int(account_id)
    form = ContactForm(request.POST if request.method == "POST" else None, initial=initial, user=request.user)
    found = found_on_create(request, "contact", form)
    if request.method == "POST" and not found and form.save_record():
        messages.success(request, _("Contact “%(name)s” created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "contacts/contact_form.html", {"form": form, "duplicates_found": found})


@login_required
def contact_edit(request, pk):
    contact = get_for_user(Contact, request.user, pk, write=True)
    return edit_page(request, contact, ContactForm, "contacts/contact_form.html", "contacts:edit", "contact")


@login_required
@require_POST
def contact_delete(request, pk):
    contact = get_for_user(Contact, request.user, pk, write=True)
    move_to_recycle_bin(request, contact)
    return redirect("contacts:list")


# ---------- The contact's other accounts (a section of its page, changed in place with htmx) ----------

def _visible_links(contact, user):
    return (contact.account_links.filter(VISIBLE_ACCOUNT.q(user, write=False, per_row=True))
            .select_related("account").order_by("account__legal_name", "pk"))


def _accounts_context(contact, user, form=None) -> dict:
    return {
        "contact": contact,
        "other_accounts": _visible_links(contact, user),
        "link_form": (form or AccountLinkForm(contact=contact, user=user)) if contact.editable else None,
    }


def _accounts_response(request, contact, form=None, done=None, refused=None):
    if request.htmx:
        return render(request, "contacts/_accounts.html", _accounts_context(contact, request.user, form))
    if refused:
        messages.error(request, refused)
    elif done:
        messages.success(request, done)
    return redirect(f"{contact.get_absolute_url()}#accounts")


@login_required
@require_POST
def account_link_add(request, pk):
    user = request.user
    contact = _contact_for_page(user, pk)
    if not contact.editable:
        raise PermissionDenied
    form = AccountLinkForm(request.POST, contact=contact, user=user)
    refused = done = None
    if form.is_valid():
        try:
            link = services.link_account(form.save(commit=False), by=user)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            refused = " ".join(exc.messages)
        else:
            done, form = _("Linked to %(account)s.") % {"account": link.account}, None
    else:
        refused = " ".join(message for errors in form.errors.values() for message in errors)
    return _accounts_response(request, contact, form, done, refused)


@login_required
@require_POST
def account_link_remove(request, pk, link_pk):
    user = request.user
    contact = _contact_for_page(user, pk)
    link = get_object_or_404(_visible_links(contact, user), pk=link_pk)
    services.unlink_account(link, by=user)
    return _accounts_response(request, contact, done=_("No longer linked to %(account)s.") % {"account": link.account})
