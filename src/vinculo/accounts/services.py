"""Writes on an account that go beyond a plain save (becoming a customer, its team and addresses), and on its
invoices and their payments, which touch several rows."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Sum
from django.utils.translation import gettext as _

from vinculo.core.access import is_admin, require_edit
from vinculo.core.policy import Owner
from vinculo.core.services import create_record, log_change, soft_delete, update_record

from .models import Account, AccountTeamMember, Address, Invoice, Payment

CENT = Decimal("0.01")


def make_customer(account: Account, by) -> Account:
    """The prospect → customer transition: a change of account type, kept in the account's history.
    Deliberately not permission-checked: it follows from a won deal, whoever owns the account."""
    account.account_type = Account.Type.CUSTOMER
    if account.relationship_status == Account.Relationship.NEW:
        account.relationship_status = Account.Relationship.ACTIVE
    return update_record(account, by)


class AlreadyThere(ValidationError):
    """What is being added is there already (a team member, a linked account): the API answers 409."""


# ---------- The account team: membership grants access, so only the owner's line changes it ----------

def team_managers_q(user):
    """A filter on accounts: those whose team `user` may change, the owner and the users above the owner in
    the role hierarchy (not the team itself, nor a sales team or territory grant)."""
    return Owner("owner").q(user, write=True, per_row=True)


def may_manage_team(user, account: Account) -> bool:
    """One query (none for an admin): whether `user` may add people to the account's team or remove them."""
    if is_admin(user):
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    return Account.objects.filter(pk=account.pk).filter(team_managers_q(user)).exists()


def require_team_manager(user, account: Account) -> None:
    if not may_manage_team(user, account):
        raise PermissionDenied(_("Only the account's owner, their managers or an administrator may change its team."))


@transaction.atomic
def add_team_member(account: Account, member: AccountTeamMember, by) -> AccountTeamMember:
    """Put `member.user` on the account's team with their role and access, which grants them the account and
    its records; recorded in the account's history."""
    require_team_manager(by, account)
    member.account = account
    member.full_clean(exclude=["account"], validate_unique=False, validate_constraints=False)
    if not member.user.is_active:
        raise ValidationError({"user": _("Choose an active user.")})
    if AccountTeamMember.objects.filter(account=account, user=member.user_id).exists():
        raise AlreadyThere({"user": _("%(user)s is already on this account's team.") % {"user": member.user}})
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:  # added meanwhile by someone else
        raise AlreadyThere({"user": _("%(user)s is already on this account's team.") % {"user": member.user}}) from None
    log_change(account, by, _("Team member added"), new=_team_label(member))
    return member


@transaction.atomic
def remove_team_member(account: Account, member: AccountTeamMember, by) -> None:
    """Take `member` off the team: the access it granted goes with it. Recorded in the account's history."""
    require_team_manager(by, account)
    member.delete()
    log_change(account, by, _("Team member removed"), old=_team_label(member))


def _team_label(member: AccountTeamMember) -> str:
    return f"{member.user} — {member.get_role_display()} · {member.get_access_display()}"


# ---------- Addresses: whoever may edit the account ----------

@transaction.atomic
def add_address(account: Account, address: Address, by) -> Address:
    require_edit(by, account)
    address.account = account
    create_record(address, by=by)
    log_change(account, by, _("Address added"), new=f"{address.get_kind_display()}: {address}")
    return address


@transaction.atomic
def remove_address(address: Address, by) -> None:
    """Move the address to the recycle bin (it can be restored from there); recorded in the account's history."""
    account = address.account
    require_edit(by, account)
    soft_delete(address, by=by)
    log_change(account, by, _("Address removed"), old=f"{address.get_kind_display()}: {address}")


def territory_facts(account: Account) -> dict[str, str]:
    """What the territory rules match an account on: its first billing address, else its country; its industry.
    Needs the accounts read by `for_territory_rules`."""
    billing = account.billing_addresses[0] if account.billing_addresses else None
    return {
        "country": (billing.country if billing else "") or account.country,
        "region": billing.region if billing else "",
        "city": billing.city if billing else "",
        "postal_code": billing.postal_code if billing else "",
        "industry": str(account.industry_id or ""),
    }


def for_territory_rules(accounts):
    return accounts.only("pk", "territory_id", "country", "industry_id", "legal_name", "trade_name").prefetch_related(
        Prefetch("addresses", to_attr="billing_addresses",
                 queryset=Address.objects.filter(kind=Address.Kind.BILLING).order_by("id"))
    )


def _recompute_balance(invoice: Invoice, by) -> Invoice:
    # SQLite sums decimals as floats (999.99 comes back as 999.990000000000), which the balance's two
    # decimal places refuse: back to cents.
    paid = (invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal(0)).quantize(CENT)
    invoice.balance = max(invoice.amount - paid, Decimal(0))
    if invoice.status not in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED):
        if invoice.balance == 0:
            invoice.status = Invoice.Status.PAID
        elif paid > 0:
            invoice.status = Invoice.Status.PARTIALLY_PAID
        else:
            invoice.status = Invoice.Status.ISSUED
    return update_record(invoice, by=by)


@transaction.atomic
def create_invoice(invoice: Invoice, by) -> Invoice:
    invoice.balance = invoice.amount or Decimal(0)
    return create_record(invoice, by=by)


@transaction.atomic
def update_invoice(invoice: Invoice, by, expected_version: int | None = None) -> Invoice:
    update_record(invoice, by=by, expected_version=expected_version)
    return _recompute_balance(invoice, by)


@transaction.atomic
def register_payment(payment: Payment, by) -> Payment:
    """Record a payment and reduce its invoice's unpaid balance; paying more than is owed is refused."""
    invoice = Invoice.all_objects.select_for_update().get(pk=payment.invoice_id)
    payment.account_id = invoice.account_id
    if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED):
        raise ValidationError({"invoice": _("Payments can only be registered on issued invoices.")})
    if payment.amount is not None and payment.amount > invoice.balance:
        raise ValidationError({
            "amount": _("The payment (%(amount)s) is larger than the unpaid balance (%(balance)s).")
            % {"amount": payment.amount, "balance": invoice.balance}
        })
    create_record(payment, by=by)
    _recompute_balance(invoice, by)
    return payment


@transaction.atomic
def remove_payment(payment: Payment, by) -> None:
    soft_delete(payment, by=by)
    _recompute_balance(Invoice.all_objects.select_for_update().get(pk=payment.invoice_id), by)
