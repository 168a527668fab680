"""The sales record types reports are built on (vinculo.core.reporting)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core.reporting import Column, register

from .models import Lead, Opportunity, Quote

# 1 for a won deal, 0 otherwise: its average over closed deals is the win rate.
WON = models.Case(models.When(status=Opportunity.Status.WON, then=models.Value(1)), default=models.Value(0),
                  output_field=models.IntegerField())


def register_types() -> None:
    register("opportunity", Opportunity, _("Opportunities"), order=10, columns=[
        Column("name"), Column("account", display="legal_name"), Column("account.territory"),
        Column("account.industry"), Column("owner"), Column("sales_team"), Column("stage"), Column("status"),
        Column("amount", currency="currency"), Column("currency"), Column("probability"),
        Column("expected_close_date"), Column("closed_on"), Column("source"), Column("campaign"),
        Column("close_reason"), Column("created_at"),
        Column("won", _("won (1) or not (0)"), expression=WON, kind="number"),
        Column("competitor_entries.competitor", _("competitor")),
        Column("competitor_entries.result", _("result against the competitor")),
    ], default_columns=("name", "account", "owner", "stage", "amount", "expected_close_date"),
        list_url="sales:opportunity_list", list_filters={
            "stage": "stage", "status": "status", "owner": "owner", "account": "account", "sales_team": "sales_team",
            "business_unit": "business_unit", "campaign": "campaign", "account.territory": "territory"})
    register("lead", Lead, _("Leads"), order=20, columns=[
        Column("last_name"), Column("first_name"), Column("company"), Column("source"), Column("status"),
        Column("rating"), Column("owner"), Column("territory"), Column("campaign"), Column("country"),
        Column("city"), Column("created_at"), Column("converted_at"),
    ], default_columns=("last_name", "first_name", "company", "source", "status", "owner"))
    register("quote", Quote, _("Quotes"), order=30, columns=[
        Column("number"), Column("revision"), Column("opportunity"), Column("opportunity.account", display="legal_name"),
        Column("opportunity.stage"), Column("owner"), Column("status"), Column("issued_on"), Column("valid_until"),
        Column("subtotal", currency="currency"), Column("total", currency="currency"), Column("currency"),
    ], default_columns=("number", "opportunity.account", "owner", "status", "issued_on", "total"))
