"""/api/v1/quotes: quotes with their lines and totals, their lines, the workflow (send, accept, reject,
revise) and the PDF. A quote is visible and editable exactly when its opportunity is; only a draft
changes (a sent one answers 422 and must be revised)."""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core.access import get_for_user
from vinculo.core.api import (
    ERRORS,
    FilterSchema,
    InputSchema,
    Message,
    RecordAPI,
    Ref,
    Versioned,
    choice,
    resolve_references,
    shown_if_visible,
)
from vinculo.core.money import quantize

from .. import pdf, quoting
from ..models import Opportunity, PriceList, Product, Quote, QuoteLine
from .catalogue import Currency

HIDDEN = "Null also when it is not visible to you."
QUOTE_VERSION = ("The quote's version you read (optional here): if someone changed the quote since, the answer "
                 "is 409 and nothing changes.")


def _money(field: str):
    """A resolver giving `field` with the quote currency's decimals (CLP none, others two)."""
    return staticmethod(lambda quote: quantize(getattr(quote, field), quote.currency))


class QuoteLineOut(Schema):
    id: int
    position: int
    product: Ref | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal

    @staticmethod
    def resolve_quantity(line):
        return line.quantity.normalize()

    @staticmethod
    def resolve_net_amount(line):
        return quantize(line.net_amount, line.quote.currency)

    @staticmethod
    def resolve_tax_amount(line):
        return quantize(line.tax_amount, line.quote.currency)

    @staticmethod
    def resolve_total_amount(line):
        return quantize(line.total_amount, line.quote.currency)


class TaxOut(Schema):
    rate: Decimal
    amount: Decimal


class QuoteOut(Schema):
    id: int
    version: int
    number: str
    revision: int
    status: str
    opportunity: Ref
    account: Ref | None = Field(description=f"The deal's account. {HIDDEN}")
    contact: Ref | None = Field(description=HIDDEN)
    owner: Ref
    price_list: Ref | None
    currency: str
    issued_on: date
    valid_until: date
    terms: str
    notes: str
    subtotal: Decimal = Field(description="Before discounts.")
    discount_total: Decimal
    tax_total: Decimal
    taxes: list[TaxOut] = Field(description="The tax per rate.")
    total: Decimal = Field(description="subtotal − discount_total + tax_total, and the sum of the lines' totals.")
    sent_at: datetime | None
    decided_at: datetime | None
    decision_note: str
    lines: list[QuoteLineOut]
    created_at: datetime
    updated_at: datetime

    resolve_contact = shown_if_visible("contact")
    resolve_subtotal = _money("subtotal")
    resolve_discount_total = _money("discount_total")
    resolve_tax_total = _money("tax_total")
    resolve_total = _money("total")

    @staticmethod
    def resolve_account(quote):
        return quote.opportunity.account if quote.account_visible else None

    @staticmethod
    def resolve_lines(quote):
        return quote.quote_lines

    @staticmethod
    def resolve_taxes(quote):
        return [{"rate": rate, "amount": amount} for rate, amount in quoting.taxes_by_rate(quote.quote_lines,
                                                                                            quote.currency)]


class QuoteIn(InputSchema):
    price_list: int | None = Field(None, description="A price list id; the quote takes its currency and prices.")
    currency: Currency | None = Field(None, description="Defaults to the price list's, else the deal's.")
    contact: int | None = Field(None, description="A contact id you can see; whom the quote is addressed to.")
    issued_on: date | None = None
    valid_until: date | None = None
    terms: str | None = None
    notes: str | None = None


class QuoteCreate(QuoteIn):
    opportunity: int = Field(description="An opportunity id you can edit. Its product lines become the first lines.")
    issued_on: date | None = Field(None, description="Defaults to today.")
    valid_until: date | None = Field(None, description=f"Defaults to {quoting.VALIDITY_DAYS} days after the date.")
    terms: str | None = Field(None, description="Defaults to the company's standard quote terms.")


class QuotePatch(QuoteIn, Versioned):
    pass


class QuoteFilters(FilterSchema):
    status: choice(Quote.Status) | None = Field(None, description="Superseded revisions are listed too unless "
                                                                  "you filter by status.")
    opportunity: int | None = None
    account: int | None = None
    owner: int | None = None
    number: str | None = None
    issued_from: date | None = Field(None, description="On or after this date.")
    issued_to: date | None = Field(None, description="On or before this date.")


class QuoteLineIn(InputSchema):
    product: int | None = Field(None, description="An active product id; brings its description, unit, tax rate and "
                                                  "its price in the quote's price list, unless given.")
    description: str | None = None
    quantity: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=3)
    unit: choice(Product.Unit) | None = None
    unit_price: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=4)
    discount_percent: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    tax_rate: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    position: int | None = Field(None, ge=0)
    version: int | None = Field(None, description=QUOTE_VERSION)


class Versionable(InputSchema):
    version: int | None = Field(None, description=QUOTE_VERSION)


class AcceptIn(Versionable):
    mark_won: bool = Field(True, description="Close the deal as won, for the quote's total and currency.")
    note: str = Field("", description="The customer's answer.")


class RejectIn(Versionable):
    note: str = Field("", description="The customer's answer.")


class QuoteAPI(RecordAPI):
    model = Quote
    name, singular, plural = "quote", "a quote", "quotes"
    Out, Create, Patch, Filters = QuoteOut, QuoteCreate, QuotePatch, QuoteFilters
    related = ("opportunity", "opportunity__account", "owner", "price_list")
    guarded = ("contact",)
    lookups = {
        "status": "status", "opportunity": "opportunity_id", "account": "opportunity__account_id",
        "owner": "owner_id", "number": "number__iexact", "issued_from": "issued_on__gte", "issued_to": "issued_on__lte",
    }
    ordering = ("id", "number", "revision", "status", "issued_on", "valid_until", "total", "created_at", "updated_at")
    search_fields = ("number", "opportunity__name")
    id_name = "quote_id"
    routes = (*RecordAPI.routes, "lines", "workflow", "pdf")

    def readable(self, queryset, user):
        lines = QuoteLine.objects.select_related("product", "quote").order_by("position", "id")
        return super().readable(queryset, user).annotate(
            account_visible=Exists(Account.objects.visible_to(user).filter(pk=OuterRef("opportunity__account_id")))
        ).prefetch_related(Prefetch("lines", queryset=lines, to_attr="quote_lines"))

    def references(self, user, record=None):
        targets = {"price_list": PriceList.objects.all(),
                   "contact": Contact.objects.visible_to(user)}
        if record is not None and record.contact_id:
            targets["contact"] = targets["contact"] | Contact.objects.filter(pk=record.contact_id)
        if record is None:
            targets["opportunity"] = Opportunity.objects.visible_to(user)
        return targets

    def create(self, data, user):
        return quoting.create_quote(
            data["opportunity"], user, data.get("price_list"), contact=data.get("contact"),
            currency=data.get("currency"), issued_on=data.get("issued_on"), valid_until=data.get("valid_until"),
            terms=data.get("terms"), notes=data.get("notes") or "",
        )

    def update(self, record, data, user, version):
        for field, value in data.items():
            if field in ("terms", "notes") and value is None:
                value = ""
            setattr(record, field, value)
        if "price_list" in data and data["price_list"] is not None and "currency" not in data:
            record.currency = data["price_list"].currency
        quoting.update_quote(record, user, expected_version=version)

    def delete(self, record, user) -> None:
        quoting.delete_quote(record, user)

    def answer(self, user, pk):
        return self.read(user, pk)

    def add_lines_route(self, router: Router) -> None:
        api = self
        answers = {200: QuoteOut, **ERRORS}

        def line_data(payload, user):
            data = payload.dict(exclude_unset=True)
            version = data.pop("version", None)
            return resolve_references(data, {"product": Product.objects.all()}), version

        @router.post("/{int:quote_id}/lines", response={201: QuoteOut, **ERRORS}, summary="Add a line to a draft",
                     description="Answers the whole quote, with its new totals.", operation_id="quote_line_create",
                     url_name="quote_line_create")
        def add_line(request, quote_id: int, payload: QuoteLineIn):
            user = request.auth
            quote = get_for_user(Quote, user, quote_id, write=True)
            data, version = line_data(payload, user)
            quoting.add_line(quote, user, expected_version=version, **data)
            return Status(201, api.answer(user, quote.pk))

        @router.patch("/{int:quote_id}/lines/{int:line_id}", response=answers, summary="Change a line of a draft",
                      description="Answers the whole quote, with its new totals.", operation_id="quote_line_update",
                      url_name="quote_line_update")
        def change_line(request, quote_id: int, line_id: int, payload: QuoteLineIn):
            user = request.auth
            quote = get_for_user(Quote, user, quote_id, write=True)
            line = get_object_or_404(QuoteLine.objects.select_related("quote"), pk=line_id, quote=quote)
            data, version = line_data(payload, user)
            quoting.update_line(line, user, expected_version=version, **data)
            return api.answer(user, quote.pk)

        @router.delete("/{int:quote_id}/lines/{int:line_id}", response=answers, summary="Remove a line of a draft",
                       description="Answers the whole quote, with its new totals.", operation_id="quote_line_delete",
                       url_name="quote_line_delete")
        def remove_line(request, quote_id: int, line_id: int, version: int | None = None):
            user = request.auth
            quote = get_for_user(Quote, user, quote_id, write=True)
            line = get_object_or_404(QuoteLine.objects.select_related("quote"), pk=line_id, quote=quote)
            quoting.remove_line(line, user, expected_version=version)
            return api.answer(user, quote.pk)

    def add_workflow_route(self, router: Router) -> None:
        api = self
        answers = {200: QuoteOut, **ERRORS}

        @router.post("/{int:quote_id}/send", response=answers, summary="Mark a draft as sent",
                     description="It needs at least one line; from then on it changes only through a revision.",
                     operation_id="quote_send", url_name="quote_send")
        def send(request, quote_id: int, payload: Versionable | None = None):
            user = request.auth
            quote = get_for_user(Quote, user, quote_id, write=True)
            quoting.send_quote(quote, user, expected_version=payload.version if payload else None)
            return api.answer(user, quote.pk)

        @router.post("/{int:quote_id}/accept", response=answers, summary="Record that the customer accepted",
                     description="Other open revisions of the number are superseded; with `mark_won` (the default) "
                                 "the deal is closed as won for the quote's total.",
                     operation_id="quote_accept", url_name="quote_accept")
        def accept(request, quote_id: int, payload: AcceptIn | None = None):
            user = request.auth
            payload = payload or AcceptIn()
            quote = get_for_user(Quote, user, quote_id, write=True)
            quoting.accept_quote(quote, user, mark_won=payload.mark_won, note=payload.note,
                                 expected_version=payload.version)
            return api.answer(user, quote.pk)

        @router.post("/{int:quote_id}/reject", response=answers, summary="Record that the customer rejected",
                     operation_id="quote_reject", url_name="quote_reject")
        def reject(request, quote_id: int, payload: RejectIn | None = None):
            user = request.auth
            payload = payload or RejectIn()
            quote = get_for_user(Quote, user, quote_id, write=True)
            quoting.reject_quote(quote, user, note=payload.note, expected_version=payload.version)
            return api.answer(user, quote.pk)

        @router.post("/{int:quote_id}/revise", response={201: QuoteOut, **ERRORS},
                     summary="Make the next revision of a sent or rejected quote",
                     description="Answers the new draft revision (same number, its lines copied); the revised one "
                                 "is superseded.", operation_id="quote_revise", url_name="quote_revise")
        def revise(request, quote_id: int):
            user = request.auth
            quote = get_for_user(Quote, user, quote_id, write=True)
            revision = quoting.revise_quote(quote, user)
            return Status(201, api.answer(user, revision.pk))

    def add_pdf_route(self, router: Router) -> None:
        @router.get("/{int:quote_id}/pdf", response={200: None, 401: Message, 404: Message},
                    summary="The quote as a PDF", description="Answers application/pdf.",
                    operation_id="quote_pdf", url_name="quote_pdf", openapi_extra={
                        "responses": {"200": {"description": "The PDF", "content": {"application/pdf": {}}}}})
        def quote_pdf(request, quote_id: int):
            quote = get_for_user(Quote.objects.select_related("opportunity__account", "contact", "owner"),
                                 request.auth, quote_id)
            response = HttpResponse(pdf.render_quote(quote, reader=request.auth), content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{pdf.filename(quote)}"'
            return response


router = QuoteAPI().router("quotes")
