"""Writes on a contact beyond a plain save: its links to accounts other than its main one."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from vinculo.accounts.services import AlreadyThere
from vinculo.core.access import may_see, require_edit
from vinculo.core.services import log_change

from .models import ContactAccountLink


def _label(link: ContactAccountLink) -> str:
    return f"{link.account} ({link.role})" if link.role else str(link.account)


@transaction.atomic
def link_account(link: ContactAccountLink, by) -> ContactAccountLink:
    """Link `link.contact` to another account with a role. Whoever may edit the contact may, with an account
    they may see; recorded in the contact's and the account's history."""
    contact, account = link.contact, link.account
    require_edit(by, contact)
    if not may_see(by, account):
        # Told apart from a missing account by nothing: the caller may not know it exists.
        raise ValidationError({"account": _("There is no account with id %(id)s.") % {"id": account.pk}})
    link.full_clean(exclude=["contact", "account"], validate_unique=False, validate_constraints=False)
    if account.pk == contact.account_id:
        raise ValidationError({"account": _("This is the contact's main account.")})
    duplicate = AlreadyThere({"account": _("%(contact)s is already linked to %(account)s.")
                              % {"contact": contact, "account": account}})
    if ContactAccountLink.objects.filter(contact=contact, account=account).exists():
        raise duplicate
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:  # linked meanwhile by someone else
        raise duplicate from None
    log_change(contact, by, _("Account linked"), new=[(_label(link), account)])
    log_change(account, by, _("Contact linked"), new=[(_label_contact(link), contact)])
    return link


@transaction.atomic
def unlink_account(link: ContactAccountLink, by) -> None:
    contact, account = link.contact, link.account
    require_edit(by, contact)
    link.delete()
    log_change(contact, by, _("Account unlinked"), old=[(_label(link), account)])
    log_change(account, by, _("Contact unlinked"), old=[(_label_contact(link), contact)])


def _label_contact(link: ContactAccountLink) -> str:
    return f"{link.contact} ({link.role})" if link.role else str(link.contact)
