"""The ten reports every organisation starts with (issue #14). Definitions only: each runs through the
engine like any other, on the rows its reader may see."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .engine import Definition


@dataclass(frozen=True)
class Predefined:
    slug: str
    name: object
    definition: dict
    chart: str = "bar"

    def build(self) -> Definition:
        return Definition.from_dict(self.definition, system=True)


def _sum(field: str) -> list[dict]:
    return [{"field": field, "fn": "sum"}]


PREDEFINED = [
    Predefined("pipeline-by-stage", _("Pipeline by stage (open deals)"), {
        "record_type": "opportunity",
        "columns": ["name", "account", "owner", "stage", "amount", "expected_close_date"],
        "filters": [{"field": "status", "op": "eq", "value": "open"}],
        "group_by": ["stage"], "aggregates": _sum("amount"), "sort": ["expected_close_date"],
    }),
    Predefined("won-revenue-by-month-and-owner", _("Won revenue by month and owner"), {
        "record_type": "opportunity",
        "columns": ["name", "account", "owner", "closed_on", "amount"],
        "filters": [{"field": "status", "op": "eq", "value": "won"}],
        "group_by": ["closed_on:month", "owner"], "aggregates": _sum("amount"), "sort": ["closed_on"],
    }),
    Predefined("win-rate-by-source", _("Win rate by source"), {
        "record_type": "opportunity",
        "columns": ["name", "account", "owner", "source", "status", "closed_on"],
        "filters": [{"field": "status", "op": "in", "value": ["won", "lost"]}],
        "group_by": ["source"], "aggregates": [{"field": "won", "fn": "sum"}, {"field": "won", "fn": "avg"}],
    }),
    Predefined("deals-by-competitor", _("Deals by competitor, won and lost"), {
        "record_type": "opportunity",
        "columns": ["name", "account", "status", "competitor_entries.competitor", "competitor_entries.result",
                    "amount"],
        "filters": [{"field": "competitor_entries.competitor", "op": "not_empty"}],
        "group_by": ["competitor_entries.competitor", "status"], "aggregates": _sum("amount"),
    }),
    Predefined("overdue-invoices-by-account", _("Overdue invoices by account"), {
        "record_type": "invoice",
        "columns": ["number", "account", "issue_date", "due_date", "status", "balance"],
        "filters": [{"field": "status", "op": "in", "value": ["issued", "partially_paid"]},
                    {"field": "balance", "op": "gt", "value": "0"},
                    {"field": "due_date", "op": "before_today"}],
        "group_by": ["account"], "aggregates": _sum("balance"), "sort": ["due_date"],
    }),
    Predefined("activities-per-rep-per-week", _("Activities per rep per week"), {
        "record_type": "activity",
        "columns": ["occurred_at", "kind", "subject", "account", "owner", "status"],
        "filters": [{"field": "status", "op": "eq", "value": "done"}],
        "group_by": ["owner", "occurred_at:week"], "aggregates": [], "sort": ["occurred_at"],
    }),
    Predefined("time-per-customer", _("Time per customer"), {
        "record_type": "time_entry",
        "columns": ["date", "user", "task", "account", "minutes"],
        "group_by": ["account"], "aggregates": _sum("minutes"), "sort": ["date"],
    }),
    Predefined("leads-by-source-and-status", _("Leads by source and status"), {
        "record_type": "lead",
        "columns": ["last_name", "first_name", "company", "source", "status", "owner"],
        "group_by": ["source", "status"], "aggregates": [],
    }),
    Predefined("quotes-by-status", _("Quotes by status"), {
        "record_type": "quote",
        "columns": ["number", "opportunity.account", "owner", "status", "issued_on", "total"],
        "group_by": ["status"], "aggregates": _sum("total"), "sort": ["issued_on"],
    }),
    Predefined("contracts-renewing-by-quarter", _("Contracts renewing by quarter"), {
        "record_type": "contract",
        "columns": ["number", "account", "contract_type", "renewal_type", "end_date", "value"],
        "filters": [{"field": "status", "op": "eq", "value": "active"}, {"field": "end_date", "op": "not_empty"}],
        "group_by": ["end_date:quarter"], "aggregates": _sum("value"), "sort": ["end_date"],
    }),
]

BY_SLUG = {report.slug: report for report in PREDEFINED}
