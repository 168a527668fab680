"""Writes on an account that go beyond a plain save (becoming a customer), and on its invoices and their
payments, which touch several rows."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils.translation import gettext as _

from vinculo.core.services import create_record, soft_delete, update_record

from .models import Account, Address, Invoice, Payment

CENT = Decimal("0.01")


def make_customer(account: Account, by) -> Account:
    """The prospect → customer transition: a change of account type, kept in the account's history.
    Deliberately not permission-checked: it follows from a won deal, whoever owns the account."""
    account.account_type = Account.Type.CUSTOMER
    if account.relationship_status == Account.Relationship.NEW:
        account.relationship_status = Account.Relationship.ACTIVE
    return update_record(account, by)


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
