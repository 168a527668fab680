"""The Customer 360 records' sections of the account page (registered in Customer360Config.ready()): contracts
(with the renewal alerts), invoices, payments, assets, notes, files and content deliveries."""

from datetime import date

from django.db.models import Case, Exists, F, OuterRef, Subquery, When
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account, Invoice, Payment
from vinculo.accounts.page import RelatedList, RelatedPage, register
from vinculo.contacts.page import SHOWN

from .models import ContentDelivery, Contract, CustomerAsset, DaysBefore, Document, DocumentVersion, Note

RENEWAL_ALERTS_SHOWN = 5  # the alerts template slices to the same number


def _contract_rows(account, today):
    # Renewals due first, the soonest decision first (so the alerts come from the first page), then the other
    # current contracts by expiry, then the expired ones, latest first.
    due = Contract.objects.renewals_due(today).filter(pk=OuterRef("pk"))
    return (
        Contract.objects.filter(account=account).select_related("contact")
        .annotate(
            renewal_due=Exists(due),
            expired=Case(When(end_date__lt=today, then=True), default=False),
            current_end=Case(When(end_date__gte=today, then=F("end_date"))),
            decide_by=Case(When(renewal_due=True, then=DaysBefore("end_date", F("notice_days")))),
        )
        .order_by(
            "-renewal_due", F("decide_by").asc(nulls_last=True), "expired", F("current_end").asc(nulls_last=True),
            F("end_date").desc(nulls_last=True), "-pk",
        )
    )


def _decorate_contract(contract, today):
    contract.days_left = contract.days_to_expiry(today)
    contract.is_expired = contract.status == Contract.Status.EXPIRED or (
        contract.days_left is not None and contract.days_left < 0
    )


def _decorate_invoice(invoice, today):
    invoice.overdue = invoice.is_overdue(today)
    invoice.days_overdue = (today - invoice.due_date).days if invoice.overdue else 0


def _document_rows(account, today):
    versions = DocumentVersion.objects.filter(document=OuterRef("pk")).order_by("-number")
    return (
        Document.objects.filter(account=account).select_related("updated_by")
        .annotate(
            current_version_id=Subquery(versions.values("pk")[:1]),
            current_version_number=Subquery(versions.values("number")[:1]),
            current_version_size=Subquery(versions.values("size")[:1]),
        )
        .order_by("-updated_at", "-pk")
    )


class ContractList(RelatedList):
    """The contracts, whose renewals due lead the page's alerts."""

    alerts_template = "customer360/_renewal_alerts.html"

    def alerts(self, account: Account, today: date, page: RelatedPage) -> list[Contract]:
        """The contracts whose renewal alert is open (one more than shown, to tell whether there are more).
        They lead the first page of the contracts list, so only another page, or none (the list loads on
        demand), needs a query."""
        if page is not None and page.number == 1:
            return [contract for contract in page.rows if contract.renewal_due][:RENEWAL_ALERTS_SHOWN + 1]
        due = list(
            Contract.objects.renewals_due(today).filter(account=account)
            .order_by(DaysBefore("end_date", F("notice_days")), "end_date", "pk")[:RENEWAL_ALERTS_SHOWN + 1]
        )
        for contract in due:
            _decorate_contract(contract, today)
        return due


def _template(key: str) -> str:
    return f"customer360/_{key}_list.html"


def register_sections() -> None:
    for section in (
        ContractList("contracts", Contract, _contract_rows, _("Contracts"), template=_template("contracts"), order=50,
                     decorate=_decorate_contract, has_contact=True),
        RelatedList("invoices", Invoice, lambda account, today: Invoice.objects.filter(account=account)
                    .order_by("-issue_date", "-pk"), _("Invoices"), template=_template("invoices"), order=60,
                    decorate=_decorate_invoice),
        RelatedList("payments", Payment, lambda account, today: Payment.objects.filter(account=account)
                    .select_related("invoice"), _("Payments"), template=_template("payments"), order=70),
        RelatedList("assets", CustomerAsset, lambda account, today: CustomerAsset.objects.filter(account=account)
                    .select_related("contact"), _("Assets"), template=_template("assets"), order=80,
                    has_contact=True),
        RelatedList("notes", Note, lambda account, today: Note.objects.filter(account=account)
                    .select_related("created_by", "contact"), _("Notes"), template=_template("notes"), order=10,
                    column="side", has_contact=True),
        RelatedList("documents", Document, _document_rows, _("Files"), template=_template("documents"), order=20,
                    column="side"),
        RelatedList("deliveries", ContentDelivery, lambda account, today: ContentDelivery.objects
                    .filter(account=account).select_related("contact", "delivered_by"), _("Deliveries"),
                    template=_template("deliveries"), order=30, column="side", has_contact=True),
    ):
        register(section)


def contact_notes(contact, user) -> dict:
    """The contact page's notes: those about the contact that `user` may see, newest first, and whether
    `user` may add one (on the contact's account, which they must be able to change). Three queries."""
    found = Note.objects.visible_to(user).filter(contact=contact).select_related("created_by")
    may_add = contact.account_id is not None and Account.objects.editable_by(user).filter(
        pk=contact.account_id).exists()
    return {"rows": list(found[:SHOWN]), "count": found.count(), "may_add": may_add}
