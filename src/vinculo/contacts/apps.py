from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "vinculo.contacts"
    verbose_name = _("Contacts")

    def ready(self):
        from vinculo.accounts import page
        from vinculo.core import lists, nav, records, subjects
        from vinculo.core.api import routers

        from . import account_page, api
        from .models import Contact

        records.register("contact", Contact, order=20, search=records.SearchSpec(
            "contacts", _("Contacts"), "contacts/_search_result.html",
            related=("account",), visible=("account", "account_visible"),
        ))
        nav.register("contacts", _("Contacts"), "contacts:list", order=20)
        subjects.register(Contact, account_field="account")
        routers.register("/contacts", api.router, order=30)
        page.register(account_page.ContactsSection())
        page.register_contact_visibility(account_page.visible_contact_ids)
        lists.register("contacts", _("Contacts"), "contacts:list")
        register_duplicate_rules(Contact)


def register_duplicate_rules(Contact):
    """Contacts are possible duplicates with the same e-mail or phone (either of their two numbers), or a
    similar full name (accents, case and word order do not count)."""
    from vinculo.core import duplicates
    from vinculo.core.matching import normalize_email, normalize_mobile, normalize_name

    duplicates.register("contact", Contact, name_fields=("first_name", "last_name"), normalize=normalize_name, keys=(
        duplicates.Key("email", _("Same e-mail"), ("email",), lambda value, country: normalize_email(value)),
        duplicates.Key("phone", _("Same phone"), ("phone", "mobile"), normalize_mobile),
    ), list_url="contacts:list")
