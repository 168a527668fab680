"""The customer 360 record types reports are built on (vinculo.core.reporting)."""

from django.utils.translation import gettext_lazy as _

from vinculo.core.reporting import Column, register

from .models import Contract


def register_types() -> None:
    register("contract", Contract, _("Contracts"), order=60, columns=[
        Column("number"), Column("description"), Column("account"), Column("account.owner"), Column("contract_type"),
        Column("status"), Column("start_date"), Column("end_date"), Column("renewal_type"), Column("notice_days"),
        Column("value", currency="currency"), Column("currency"),
    ], default_columns=("number", "account", "contract_type", "status", "end_date", "value"))
