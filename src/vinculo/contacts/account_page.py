"""The contacts section of the account page (registered in ContactsConfig.ready())."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.page import Section, count_of, page_of

from .models import Contact, ContactAccountLink


def contacts_queryset(account, user):
    """The contacts of the account the user may see: all its own (they inherit the account's visibility)
    and those of other accounts linked to it that the user may see."""
    # Ids first: an OR with a subquery keeps both engines from using the account index.
    linked = list(ContactAccountLink.objects.filter(account=account).values_list("contact_id", flat=True))
    if linked:
        linked = list(Contact.objects.visible_to(user, per_row=True).filter(pk__in=linked).values_list("pk", flat=True))
    return Contact.objects.filter(Q(account=account) | Q(pk__in=linked)).order_by("last_name", "first_name", "pk")


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
        return page_of(self, prepared, total, number, account)
