"""The contacts section of the account page (registered in ContactsConfig.ready())."""

from django.db import connections
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.page import Section, count_of, page_of
from vinculo.core import compiled
from vinculo.core.reversing import pk_url

from .models import Contact, ContactAccountLink


def contacts_queryset(account, user):
    """The contacts of the account the user may see: all its own (they inherit the account's visibility)
    and those of other accounts linked to it that the user may see."""
    # Ids first: an OR with a subquery keeps both engines from using the account index. One query, its SQL
    # compiled once per process (the contacts' visibility rule costs far more to compile than to run).
    query, params = compiled.sql("contacts:linked", Contact, _visible_linked, user, account.pk)
    with connections[Contact.objects.db].cursor() as cursor:
        cursor.execute(query, params)
        linked = [pk for (pk,) in cursor.fetchall()]
    return Contact.objects.filter(Q(account=account) | Q(pk__in=linked)).order_by("last_name", "first_name", "pk")


def _visible_linked(user, pk):
    """The ids of the contacts of other accounts linked to account `pk` that `user` may see."""
    links = ContactAccountLink.objects.filter(account_id=pk).values("contact_id")
    return Contact.objects.visible_to(user, per_row=True).filter(pk__in=links).values_list("pk", flat=True)


def visible_contact_ids(ids, user) -> set[int]:
    return set(Contact.objects.visible_to(user, per_row=True).filter(pk__in=ids).values_list("pk", flat=True))


class ContactsSection(Section):
    key = "contacts"
    label = _("Contacts")
    template = "accounts/_contacts_list.html"
    order = 30
    fragment_url_name = "accounts:contacts"
    lazy = False  # the people come before the visit: shown with the page
    shared_count = False  # counts the linked contacts the user may see (`prepare`)

    def prepare(self, account, user):
        return contacts_queryset(account, user)

    def count(self, account, user, prepared):
        return count_of(prepared)

    def page(self, account, user, number, today, total, params, prepared):
        page = page_of(self, prepared, total, number, account)
        url = pk_url("contacts:detail")  # one reverse() for the page's rows
        for contact in page.rows:
            contact.url = url(contact.pk)
        return page
