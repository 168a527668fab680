from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.accounts.models import Account
from vinculo.core.access import get_for_user
from vinculo.core.lists import Column, RecordListView, mark_visible
from vinculo.core.views import edit_page, move_to_recycle_bin, visible_history

from . import page
from .forms import ContactFilterForm, ContactForm
from .models import Contact


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
    other_accounts = contact.account_links.filter(account__in=Account.objects.visible_to(user)).select_related("account")
    return render(request, "contacts/contact_detail.html", {
        "contact": contact,
        "other_accounts": other_accounts,
        "sections": list(page.sections),
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
    if request.method == "POST" and form.save_record():
        messages.success(request, _("Contact “%(name)s” created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "contacts/contact_form.html", {"form": form})


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
