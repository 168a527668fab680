"""/api/v1/assets, /contracts, /invoices, /payments, /notes, /files and /content-deliveries: an account's
related records, with the account's permissions (see vinculo.core.api.RecordAPI)."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from vinculo.accounts import services as account_services
from vinculo.accounts.models import Account, Invoice, Payment
from vinculo.core import clock
from vinculo.core.access import can_edit, get_for_user
from vinculo.core.api import (
    ERRORS,
    FilterSchema,
    Gated,
    InputSchema,
    Message,
    PageParams,
    RecordAPI,
    Ref,
    Versioned,
    active_users,
    choice,
    page,
    page_of,
    resolve_references,
    shown_if_visible,
)
from vinculo.core.money import Currency

from . import services
from .models import ContentDelivery, Contract, CustomerAsset, Document, DocumentVersion, Note

ACCOUNT = "An account id you can see and edit."
CONTACT = "A contact id you can see."
HIDDEN_CONTACT = "Null also when the contact is not visible to you."
AMOUNT = ("Absent when your organisation treats invoice amounts as financial data (VINCULO_INVOICE_AMOUNTS_"
          "RESTRICTED) and you lack the “view financial data” permission; such callers cannot write it either.")
FROM, TO = "On or after this date.", "On or before this date."


class AccountRecordAPI(RecordAPI):
    """A record filed under an account (a payment: under an invoice). Creating one needs edit rights
    there; a parent the caller may not see is refused like a missing one."""

    parent = "account"
    guarded = ("contact",)

    def readable(self, queryset, user):
        return super().readable(queryset.select_related("account"), user)

    def references(self, user, record=None):
        targets = super().references(user, record)
        if record is None:
            targets[self.parent] = self.model._meta.get_field(self.parent).related_model.objects.visible_to(user)
        return targets

    def writable_data(self, payload, user, record=None) -> dict:
        data = super().writable_data(payload, user, record)
        if self.parent in data and not can_edit(user, data[self.parent]):
            raise PermissionDenied
        return data


class RecordOut(Schema):
    id: int
    version: int
    account: Ref
    created_at: datetime
    updated_at: datetime


# Customer assets

class AssetOut(RecordOut):
    product_name: str
    serial_number: str
    sale_date: date | None
    status: str
    contact: Ref | None = Field(description=HIDDEN_CONTACT)
    notes: str

    resolve_contact = shown_if_visible("contact")


class AssetIn(InputSchema):
    product_name: str = ""
    serial_number: str = ""
    sale_date: date | None = None
    status: choice(CustomerAsset.Status) = CustomerAsset.Status.ACTIVE
    contact: int | None = Field(None, description=f"The contact in charge. {CONTACT}")
    notes: str = ""


class AssetCreate(AssetIn):
    account: int = Field(description=ACCOUNT)
    product_name: str


class AssetPatch(AssetIn, Versioned):
    pass


class AssetFilters(FilterSchema):
    account: int | None = None
    status: choice(CustomerAsset.Status) | None = None
    contact: int | None = None
    serial_number: str | None = None
    sale_date_from: date | None = Field(None, description=FROM)
    sale_date_to: date | None = Field(None, description=TO)


class AssetAPI(AccountRecordAPI):
    model = CustomerAsset
    name, singular, plural = "asset", "a customer asset", "customer assets"
    Out, Create, Patch, Filters = AssetOut, AssetCreate, AssetPatch, AssetFilters
    lookups = {
        "account": "account_id", "status": "status", "contact": "contact_id", "serial_number": "serial_number__iexact",
        "sale_date_from": "sale_date__gte", "sale_date_to": "sale_date__lte",
    }
    ordering = ("id", "product_name", "serial_number", "sale_date", "status", "created_at", "updated_at")
    search_fields = ("product_name", "serial_number")


# Contracts

class ContractOut(RecordOut):
    number: str
    description: str
    contract_type: str
    contact: Ref | None = Field(description=HIDDEN_CONTACT)
    start_date: date
    end_date: date | None
    renewal_type: str
    notice_days: int
    renewal_decision_date: date | None = Field(description="The expiry less the notice period.")
    renewal_due: bool = Field(description="Whether the renewal is alerted today: an active contract, from 30 days "
                                          "before its decision date up to its expiry.")
    days_to_expiry: int | None = Field(description="Negative once expired; null without an expiry.")
    status: str
    value: Decimal | None
    currency: str

    resolve_contact = shown_if_visible("contact")

    @staticmethod
    def resolve_days_to_expiry(contract):
        return contract.days_to_expiry(clock.today())

    @staticmethod
    def resolve_renewal_due(contract):
        return contract.renewal_due_on(clock.today())


class ContractIn(InputSchema):
    number: str = ""
    description: str = ""
    contract_type: choice(Contract.Type) = Contract.Type.SERVICE
    contact: int | None = Field(None, description=f"The customer contact responsible. {CONTACT}")
    start_date: date | None = None
    end_date: date | None = None
    renewal_type: choice(Contract.Renewal) = Contract.Renewal.MANUAL
    notice_days: int = Field(30, ge=0, description="How long before expiry the renewal must be decided.")
    status: choice(Contract.Status) = Contract.Status.ACTIVE
    value: Decimal | None = None
    currency: Currency = Currency.CLP


class ContractCreate(ContractIn):
    account: int = Field(description=ACCOUNT)
    number: str
    start_date: date


class ContractPatch(ContractIn, Versioned):
    pass


class ContractFilters(FilterSchema):
    account: int | None = None
    status: choice(Contract.Status) | None = None
    contract_type: choice(Contract.Type) | None = None
    renewal_type: choice(Contract.Renewal) | None = None
    contact: int | None = None
    expiring_within: int | None = Field(
        None, ge=0, le=36500, description="Active contracts expiring between today and this many days from today."
    )
    renewal_due: bool | None = Field(None, description="Active contracts whose renewal is alerted today (true), or "
                                                       "the others (false); see `renewal_due` in the answer.")
    start_date_from: date | None = Field(None, description=FROM)
    start_date_to: date | None = Field(None, description=TO)
    end_date_from: date | None = Field(None, description=FROM)
    end_date_to: date | None = Field(None, description=TO)


class ContractAPI(AccountRecordAPI):
    model = Contract
    name, singular, plural = "contract", "a contract", "contracts"
    Out, Create, Patch, Filters = ContractOut, ContractCreate, ContractPatch, ContractFilters
    lookups = {
        "account": "account_id", "status": "status", "contract_type": "contract_type",
        "renewal_type": "renewal_type", "contact": "contact_id",
        "start_date_from": "start_date__gte", "start_date_to": "start_date__lte",
        "end_date_from": "end_date__gte", "end_date_to": "end_date__lte",
    }
    ordering = ("id", "number", "contract_type", "start_date", "end_date", "status", "value", "created_at",
                "updated_at")
    search_fields = ("number", "description")

    def filter(self, queryset, filters):
        queryset = super().filter(queryset, filters)
        if filters.expiring_within is not None:
            queryset = queryset.expiring_within(clock.today(), filters.expiring_within)
        if filters.renewal_due is not None:
            due = Contract.objects.renewals_due(clock.today()).values("pk")
            queryset = queryset.filter(pk__in=due) if filters.renewal_due else queryset.exclude(pk__in=due)
        return queryset


# Invoices

class InvoiceOut(RecordOut, Gated):
    FIELDS_OF = Invoice  # amount and balance, where the organisation restricts them

    number: str
    issue_date: date
    due_date: date
    # Gated fields have a default only so the OpenAPI document does not call them required.
    amount: Decimal = Field(None, description=AMOUNT)
    currency: str
    status: str
    balance: Decimal = Field(None, description=f"What is still unpaid; follows from the payments. {AMOUNT}")
    is_overdue: bool = Field(description="Issued, not fully paid, and past its due date.")
    external_ref: str

    @staticmethod
    def resolve_is_overdue(invoice):
        return invoice.is_overdue(clock.today())


class InvoiceIn(InputSchema):
    number: str = ""
    issue_date: date | None = None
    due_date: date | None = None
    amount: Decimal | None = Field(None, description=AMOUNT)
    currency: Currency = Currency.CLP
    status: Literal["draft", "issued", "cancelled"] = Field(
        Invoice.Status.ISSUED, description="“paid” and “partially_paid” follow from the payments."
    )
    external_ref: str = ""


class InvoiceCreate(InvoiceIn):
    account: int = Field(description=ACCOUNT)
    number: str
    issue_date: date
    due_date: date
    amount: Decimal = Field(description=AMOUNT)


class InvoicePatch(InvoiceIn, Versioned):
    pass


class InvoiceFilters(FilterSchema):
    account: int | None = None
    status: choice(Invoice.Status) | None = None
    overdue: bool | None = Field(None, description="true: only overdue invoices; false: only the others.")
    number: str | None = None
    currency: str | None = None
    issue_date_from: date | None = Field(None, description=FROM)
    issue_date_to: date | None = Field(None, description=TO)
    due_date_from: date | None = Field(None, description=FROM)
    due_date_to: date | None = Field(None, description=TO)


class InvoiceAPI(AccountRecordAPI):
    model = Invoice
    name, singular, plural = "invoice", "an invoice", "invoices"
    Out, Create, Patch, Filters = InvoiceOut, InvoiceCreate, InvoicePatch, InvoiceFilters
    guarded = ()
    lookups = {
        "account": "account_id", "status": "status", "number": "number__iexact", "currency": "currency__iexact",
        "issue_date_from": "issue_date__gte", "issue_date_to": "issue_date__lte",
        "due_date_from": "due_date__gte", "due_date_to": "due_date__lte",
    }
    ordering = ("id", "number", "issue_date", "due_date", "amount", "balance", "currency", "status", "created_at",
                "updated_at")
    search_fields = ("number", "external_ref")

    def filter(self, queryset, filters):
        queryset = super().filter(queryset, filters)
        if filters.overdue is not None:
            overdue = queryset.overdue(clock.today())
            queryset = overdue if filters.overdue else queryset.exclude(pk__in=overdue.values("pk"))
        return queryset

    def create(self, data, user):
        return account_services.create_invoice(Invoice(**data), by=user)

    def update(self, record, data, user, version):
        for field, value in data.items():
            setattr(record, field, value)
        account_services.update_invoice(record, by=user, expected_version=version)


# Payments

class PaymentOut(RecordOut, Gated):
    FIELDS_OF = Payment

    invoice: Ref
    paid_on: date
    amount: Decimal = Field(None, description=AMOUNT)
    method: str
    reference: str


class PaymentIn(InputSchema):
    paid_on: date | None = Field(None, description="Defaults to today.")
    method: choice(Payment.Method) = Payment.Method.TRANSFER
    reference: str = ""


class PaymentCreate(PaymentIn):
    invoice: int = Field(description="An invoice id you can see and edit; the payment reduces its balance.")
    amount: Decimal = Field(description=f"At most the invoice's unpaid balance. {AMOUNT}")


class PaymentPatch(PaymentIn, Versioned):
    """The amount and the invoice cannot change: delete the payment and register it again."""


class PaymentFilters(FilterSchema):
    account: int | None = None
    invoice: int | None = None
    method: choice(Payment.Method) | None = None
    paid_on_from: date | None = Field(None, description=FROM)
    paid_on_to: date | None = Field(None, description=TO)


class PaymentAPI(AccountRecordAPI):
    model = Payment
    name, singular, plural = "payment", "a payment", "payments"
    Out, Create, Patch, Filters = PaymentOut, PaymentCreate, PaymentPatch, PaymentFilters
    parent = "invoice"
    guarded = ()
    lookups = {
        "account": "account_id", "invoice": "invoice_id", "method": "method",
        "paid_on_from": "paid_on__gte", "paid_on_to": "paid_on__lte",
    }
    ordering = ("id", "paid_on", "amount", "method", "created_at", "updated_at")
    search_fields = ("reference",)

    def readable(self, queryset, user):
        return super().readable(queryset.select_related("invoice"), user)

    def create(self, data, user):
        data.setdefault("paid_on", clock.today())
        return account_services.register_payment(Payment(**data), by=user)

    def delete(self, record, user):
        account_services.remove_payment(record, by=user)


# Notes

LEAD_RECORD = ("Null for a lead's record (before the lead is converted): see `lead`; null also when you may not "
               "see the account (a note about a deal shared with you through a sales team).")


class NoteOut(RecordOut):
    account: Ref | None = Field(description=LEAD_RECORD)
    lead: Ref | None = Field(description="The lead it belongs to, until the lead is converted.")
    contact: Ref | None = Field(description=HIDDEN_CONTACT)
    title: str
    body: str
    created_by: Ref | None

    resolve_contact = shown_if_visible("contact")
    resolve_account = shown_if_visible("account")


class NoteIn(InputSchema):
    contact: int | None = Field(None, description=f"The contact the note is about. {CONTACT}")
    title: str = ""
    body: str = ""


class NoteCreate(NoteIn):
    account: int = Field(description=ACCOUNT)
    body: str


class NotePatch(NoteIn, Versioned):
    pass


class NoteFilters(FilterSchema):
    account: int | None = None
    contact: int | None = None
    created_from: date | None = Field(None, description=FROM)
    created_to: date | None = Field(None, description=TO)


class NoteAPI(AccountRecordAPI):
    model = Note
    name, singular, plural = "note", "a note", "notes"
    Out, Create, Patch, Filters = NoteOut, NoteCreate, NotePatch, NoteFilters
    related = ("created_by", "lead")
    guarded = ("contact", "account")
    lookups = {
        "account": "account_id", "contact": "contact_id",
        "created_from": "created_at__date__gte", "created_to": "created_at__date__lte",
    }
    ordering = ("id", "title", "created_at", "updated_at")
    search_fields = ("title", "body")


# Content deliveries

class DeliveryOut(RecordOut):
    title: str
    kind: str
    reference: str
    contact: Ref | None = Field(description=f"Who received it. {HIDDEN_CONTACT}")
    delivered_on: date
    delivered_by: Ref | None
    channel: str
    notes: str

    resolve_contact = shown_if_visible("contact")


class DeliveryIn(InputSchema):
    title: str = Field("", description="The material or knowledge article delivered.")
    kind: choice(ContentDelivery.Kind) = ContentDelivery.Kind.ARTICLE
    reference: str = Field("", description="A link or reference to the material.")
    contact: int | None = Field(None, description=f"Who received it. {CONTACT}")
    delivered_on: date | None = Field(None, description="Defaults to today.")
    delivered_by: int | None = Field(None, description="A user id; defaults to you.")
    channel: choice(ContentDelivery.Channel) = ContentDelivery.Channel.EMAIL
    notes: str = ""


class DeliveryCreate(DeliveryIn):
    account: int = Field(description=ACCOUNT)
    title: str


class DeliveryPatch(DeliveryIn, Versioned):
    pass


class DeliveryFilters(FilterSchema):
    account: int | None = None
    kind: choice(ContentDelivery.Kind) | None = None
    channel: choice(ContentDelivery.Channel) | None = None
    contact: int | None = None
    delivered_by: int | None = None
    delivered_on_from: date | None = Field(None, description=FROM)
    delivered_on_to: date | None = Field(None, description=TO)


class DeliveryAPI(AccountRecordAPI):
    model = ContentDelivery
    name, singular, plural = "content_delivery", "a content delivery", "content deliveries"
    Out, Create, Patch, Filters = DeliveryOut, DeliveryCreate, DeliveryPatch, DeliveryFilters
    related = ("delivered_by",)
    lookups = {
        "account": "account_id", "kind": "kind", "channel": "channel", "contact": "contact_id",
        "delivered_by": "delivered_by_id", "delivered_on_from": "delivered_on__gte",
        "delivered_on_to": "delivered_on__lte",
    }
    ordering = ("id", "title", "kind", "channel", "delivered_on", "created_at", "updated_at")
    search_fields = ("title", "reference", "notes")

    def references(self, user, record=None):
        return {**super().references(user, record), "delivered_by": active_users()}

    def create(self, data, user):
        data.setdefault("delivered_by", user)
        data.setdefault("delivered_on", clock.today())
        return super().create(data, user)


# Files and their versions

class VersionOut(Schema):
    number: int
    file_name: str
    size: int = Field(description="In bytes.")
    content_type: str
    comment: str
    uploaded_by: Ref | None
    uploaded_at: datetime
    download_url: str = Field(description="Answers the file's bytes, after checking you may see the file.")

    @staticmethod
    def resolve_file_name(version):
        return version.original_name

    @staticmethod
    def resolve_download_url(version):
        return reverse("api:file_version_download",
                       kwargs={"record_id": version.document_id, "number": version.number})


class DocumentOut(RecordOut):
    account: Ref | None = Field(description=LEAD_RECORD)
    lead: Ref | None = Field(description="The lead it belongs to, until the lead is converted.")
    version: int = Field(description="The record's version for optimistic locking; file versions are "
                                     "under current_version and /files/{id}/versions.")
    title: str
    description: str
    current_version: VersionOut | None
    version_count: int

    resolve_account = shown_if_visible("account")

    @staticmethod
    def resolve_current_version(document):
        return document.file_versions[0] if document.file_versions else None

    @staticmethod
    def resolve_version_count(document):
        return len(document.file_versions)


class DocumentUpload(Schema):
    account: int = Field(description=ACCOUNT)
    title: str = Field("", description="Defaults to the file's name.")
    description: str = ""
    comment: str = Field("", description="About this version.")


class DocumentPatch(Versioned):
    title: str = ""
    description: str = ""


class DocumentFilters(FilterSchema):
    account: int | None = None
    updated_from: date | None = Field(None, description=FROM)
    updated_to: date | None = Field(None, description=TO)


UPLOAD = ("Multipart form. The file is checked by size (VINCULO_MAX_UPLOAD_MB) and by content: PDF, office "
          "documents, images, text, CSV and ZIP are accepted. A refused file answers 422 naming `file` and "
          "nothing is stored.")


class DocumentAPI(AccountRecordAPI):
    model = Document
    name, singular, plural = "file", "a file", "files"
    Out, Create, Patch, Filters = DocumentOut, None, DocumentPatch, DocumentFilters
    related = ("lead",)
    guarded = ("account",)
    lookups = {"account": "account_id", "updated_from": "updated_at__date__gte", "updated_to": "updated_at__date__lte"}
    ordering = ("id", "title", "created_at", "updated_at")
    search_fields = ("title", "description")
    routes = (*AccountRecordAPI.routes, "versions", "upload_version", "download")

    def readable(self, queryset, user):
        versions = DocumentVersion.objects.select_related("uploaded_by").order_by("-number")
        return super().readable(queryset, user).prefetch_related(
            Prefetch("versions", queryset=versions, to_attr="file_versions")
        )

    def add_create_route(self, router: Router) -> None:
        api = self

        @router.post("", response={201: DocumentOut, **ERRORS}, summary="Upload a file (its first version)",
                     description=UPLOAD, operation_id="file_create", url_name="file_create")
        def upload_file(request, form: Form[DocumentUpload], file: File[UploadedFile]):
            user = request.auth
            data = resolve_references(form.dict(), {"account": Account.objects.visible_to(user)})
            if not can_edit(user, data["account"]):
                raise PermissionDenied
            comment = data.pop("comment")
            data["title"] = data["title"] or Path(file.name).name[:200]
            version = services.add_document_version(Document(**data), file, by=user, comment=comment)
            return Status(201, api.read(user, version.document_id))

    def add_versions_route(self, router: Router) -> None:
        @router.get("/{int:record_id}/versions", response={200: page_of(VersionOut), **ERRORS},
                    summary="List a file's versions, newest first", operation_id="file_versions",
                    url_name="file_versions")
        def list_versions(request, record_id: int, params: Query[PageParams]):
            document = get_for_user(Document, request.auth, record_id)
            return page(document.versions.select_related("uploaded_by").order_by("-number"), params)

    def add_upload_version_route(self, router: Router) -> None:
        @router.post("/{int:record_id}/versions", response={201: VersionOut, **ERRORS},
                     summary="Upload a new version of a file", description=UPLOAD + " Older versions stay.",
                     operation_id="file_version_create", url_name="file_version_create")
        def upload_version(request, record_id: int, file: File[UploadedFile], comment: Form[str] = ""):
            document = get_for_user(Document, request.auth, record_id, write=True)
            version = services.add_document_version(document, file, by=request.auth, comment=comment)
            return Status(201, DocumentVersion.objects.select_related("uploaded_by").get(pk=version.pk))

    def add_download_route(self, router: Router) -> None:
        @router.get("/{int:record_id}/versions/{int:number}/download", response={401: Message, 404: Message},
                    summary="Download a version of a file", operation_id="file_version_download",
                    url_name="file_version_download",
                    openapi_extra={"responses": {200: {
                        "description": "The file's bytes, as an attachment.",
                        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                    }}})
        def download_version(request, record_id: int, number: int):
            # The permission check comes first: storage paths are never handed out.
            document = get_for_user(Document, request.auth, record_id)
            version = document.versions.filter(number=number).first()
            if version is None:
                raise Http404
            response = FileResponse(version.file.open("rb"), as_attachment=True, filename=version.original_name,
                                    content_type=version.content_type)
            response["Cache-Control"] = "private, no-store"
            return response


assets = AssetAPI().router("assets")
contracts = ContractAPI().router("contracts")
invoices = InvoiceAPI().router("invoices")
payments = PaymentAPI().router("payments")
notes = NoteAPI().router("notes")
files = DocumentAPI().router("files")
content_deliveries = DeliveryAPI().router("content deliveries")
