"""The account record types reports are built on (vinculo.core.reporting)."""

from django.utils.translation import gettext_lazy as _

from vinculo.core.reporting import Column, register

from .models import Account, Invoice


def register_types() -> None:
    register("account", Account, _("Accounts"), order=40, columns=[
        Column("legal_name"), Column("trade_name"), Column("owner"), Column("territory"), Column("industry"),
        Column("credit_grade"), Column("created_at"),
    ], default_columns=("legal_name", "owner", "territory", "industry"))
    register("invoice", Invoice, _("Invoices"), order=50, columns=[
        Column("number"), Column("account", display="legal_name"), Column("account.owner"),
        Column("account.territory"), Column("issue_date"), Column("due_date"), Column("status"),
        Column("amount", currency="currency"), Column("balance", currency="currency"), Column("currency"),
    ], default_columns=("number", "account", "issue_date", "due_date", "status", "balance"))
