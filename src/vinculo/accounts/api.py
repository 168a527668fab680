"""/api/v1/accounts: list, create, read, change and delete accounts, with the same permissions as the pages,
and an account's sales figures."""

import re
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import SerializationInfo, model_serializer

from vinculo.api.common import (
    ERRORS,
    InputSchema,
    ListParams,
    Ref,
    choice,
    etag,
    expected_version,
    filter_by,
    order,
    page,
    resolve_references,
)
from vinculo.core import clock
from vinculo.core.access import get_for_user
from vinculo.core.lists import with_visibility
from vinculo.core.search import matching_ids
from vinculo.core.services import create_record, soft_delete, update_record
from vinculo.core.validators import normalize_tax_id
from vinculo.org.models import BusinessUnit, Office, SalesTeam, Territory

from .models import Account, Industry, amounts_hidden_from
from .sales import account_ids, sales_summary

router = Router(tags=["accounts"])

RELATED = (
    "owner", "business_unit", "office", "supervisor", "support_user", "sales_team", "parent", "industry", "territory",
)
ORDERING = {
    name: name for name in (
        "id", "legal_name", "trade_name", "country", "tax_id", "account_type", "employees", "annual_revenue",
        "rating", "relationship_status", "created_at", "updated_at",
    )
}
FINANCIAL = "Present only for users with the “view financial data” permission."


class AccountOut(Schema):
    id: int
    version: int
    name: str = Field(description="Trade name, or legal name when there is none.")
    legal_name: str
    trade_name: str
    country: str
    tax_id: str
    tax_id_display: str
    phone: str
    phone_display: str
    email: str
    website: str
    owner: Ref
    business_unit: Ref | None
    office: Ref | None
    supervisor: Ref | None
    support_user: Ref | None
    sales_team: Ref | None
    parent: Ref | None = Field(description="Null also when the parent account is not visible to you.")
    industry: Ref | None
    account_type: str
    employees: int | None
    annual_revenue: Decimal | None
    rating: str
    territory: Ref | None
    purchase_methods: list[str]
    buying_frequency: str
    preferred_channel: str
    currency: str
    credit_limit: Decimal | None
    discount_level: Decimal | None
    payment_behaviour: str
    relationship_status: str
    sales_target: Decimal | None
    potential: Decimal | None
    description: str
    credit_behaviour: str = Field("", description=FINANCIAL)
    commercial_reports: str = Field("", description=FINANCIAL)
    credit_bureau_status: str = Field("", description=FINANCIAL)
    risk_analysis: str = Field("", description=FINANCIAL)
    bank_details: str = Field("", description=FINANCIAL)
    other_suppliers: str = Field("", description=FINANCIAL)
    credit_grade: str = Field("", description=FINANCIAL)
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_name(account):
        return str(account)

    @staticmethod
    def resolve_parent(account):
        return account.parent if account.parent_visible else None

    @model_serializer(mode="wrap")
    def _without_financial_fields(self, serialize, info: SerializationInfo):
        # The financial group is left out (not nulled) for callers without the permission; ninja
        # passes the request in the serialization context.
        data = serialize(self)
        user = getattr((info.context or {}).get("request"), "auth", None)
        if not (user and user.can_view_financial_data):
            for field in Account.FINANCIAL_FIELDS:
                data.pop(field, None)
        return data


class AccountPage(Schema):
    items: list[AccountOut]
    count: int


class AccountIn(InputSchema):
    """Fields a client may write. On PATCH only the keys sent change. Related records are given by id."""

    owner: int | None = Field(None, description="A user id; defaults to you on creation.")
    business_unit: int | None = None
    office: int | None = None
    supervisor: int | None = None
    support_user: int | None = None
    sales_team: int | None = None
    legal_name: str = ""
    trade_name: str = ""
    country: str = Field("CL", description="ISO code, e.g. CL, ES.")
    tax_id: str = Field("", description="RUT in Chile, NIF/CIF in Spain; checked and stored in compact form.")
    phone: str = ""
    email: str = ""
    website: str = ""
    parent: int | None = Field(None, description="An account id you can see.")
    industry: int | None = None
    account_type: choice(Account.Type) = Account.Type.PROSPECT
    employees: int | None = None
    annual_revenue: Decimal | None = None
    rating: choice(Account.Rating, blank=True) = ""
    territory: int | None = None
    purchase_methods: list[choice(Account.PurchaseMethod)] = []
    buying_frequency: choice(Account.Frequency, blank=True) = ""
    preferred_channel: choice(Account.Channel, blank=True) = ""
    currency: str = "CLP"
    credit_limit: Decimal | None = None
    discount_level: Decimal | None = None
    payment_behaviour: choice(Account.PaymentBehaviour, blank=True) = ""
    relationship_status: choice(Account.Relationship) = Account.Relationship.NEW
    sales_target: Decimal | None = None
    potential: Decimal | None = None
    description: str = ""
    credit_behaviour: str = Field("", description=FINANCIAL)
    commercial_reports: str = Field("", description=FINANCIAL)
    credit_bureau_status: choice(Account.BureauStatus) = Field("", description=FINANCIAL)
    risk_analysis: str = Field("", description=FINANCIAL)
    bank_details: str = Field("", description=FINANCIAL)
    other_suppliers: str = Field("", description=FINANCIAL)
    credit_grade: choice(Account.CreditGrade, blank=True) = Field("", description=FINANCIAL)


class AccountCreate(AccountIn):
    legal_name: str


class AccountPatch(AccountIn):
    version: int | None = Field(None, description="The version you read; or send it as an If-Match header.")


class AccountFilters(Schema):
    account_type: str | None = None
    owner: int | None = None
    territory: int | None = Field(None, description="The territory and the ones below it.")
    country: str | None = None
    tax_id: str | None = Field(None, description="In any usual format, e.g. 76.086.428-5.")
    industry: int | None = None
    parent: int | None = None
    rating: str | None = None
    relationship_status: str | None = None


LOOKUPS = {
    "account_type": "account_type", "owner": "owner_id", "country": "country__iexact", "industry": "industry_id",
    "parent": "parent_id", "rating": "rating", "relationship_status": "relationship_status",
}


def _readable(queryset, user):
    return with_visibility(queryset.select_related(*RELATED), user, "parent", "parent_visible")


def _read(user, pk) -> Account:
    """A record just written, for the answer: the writer sees it even if it is no longer visible to them."""
    return _readable(Account.objects.all(), user).get(pk=pk)


def _writable_data(payload: AccountIn, user, account: Account | None = None) -> dict:
    """The payload's fields as model values, refusing what `user` may not set."""
    data = payload.dict(exclude_unset=True)
    data.pop("version", None)
    if not user.can_view_financial_data:
        refused = [name for name in Account.FINANCIAL_FIELDS if name in data]
        if refused:
            raise ValidationError({name: _("You do not have permission to change this field.") for name in refused})
    users = get_user_model().objects.filter(is_active=True)
    parents = Account.objects.visible_to(user)
    if account is not None:
        # The current parent stays acceptable even if the editor can no longer see it.
        parents = (parents | Account.objects.filter(pk=account.parent_id)).exclude(pk=account.pk)
    return resolve_references(data, {
        "owner": users, "supervisor": users, "support_user": users, "parent": parents,
        "business_unit": BusinessUnit.objects.all(), "office": Office.objects.all(),
        "sales_team": SalesTeam.objects.all(), "industry": Industry.objects.all(),
        "territory": Territory.objects.all(),
    })


def _tax_id_forms(value: str, country: str | None) -> set[str]:
    """How a tax id typed in any usual format may be stored: compact, and normalised when valid."""
    forms = {re.sub(r"[\W_]", "", value).upper()}
    try:
        forms.add(normalize_tax_id(value, country or ""))
    except ValidationError:
        pass
    return forms


@router.get("", response={200: AccountPage, **ERRORS}, summary="List the accounts you can see")
def list_accounts(request, filters: Query[AccountFilters], params: Query[ListParams]):
    accounts = Account.objects.visible_to(request.auth)
    if params.q:
        accounts = accounts.filter(pk__in=matching_ids(Account, params.q))
    accounts = filter_by(accounts, filters, LOOKUPS)
    if filters.territory is not None:
        territory = Territory.objects.filter(pk=filters.territory).first()
        accounts = accounts.filter(territory__path__startswith=territory.path) if territory else accounts.none()
    if filters.tax_id:
        accounts = accounts.filter(tax_id__in=_tax_id_forms(filters.tax_id, filters.country))
    return page(order(_readable(accounts, request.auth), params.ordering, ORDERING), params)


@router.post("", response={201: AccountOut, **ERRORS}, summary="Create an account")
def create_account(request, payload: AccountCreate):
    data = _writable_data(payload, request.auth)
    data.setdefault("owner", request.auth)
    account = create_record(Account(**data), by=request.auth)
    return Status(201, _read(request.auth, account.pk))


@router.get("/{int:account_id}", response={200: AccountOut, **ERRORS}, summary="Read an account")
def read_account(request, account_id: int, response: HttpResponse):
    account = get_for_user(_readable(Account.objects.all(), request.auth), request.auth, account_id)
    response["ETag"] = etag(account)
    return account


@router.patch("/{int:account_id}", response={200: AccountOut, **ERRORS}, summary="Change an account",
              description="Send the `version` you read: if someone saved the account since, the answer is 409 "
                          "and nothing is changed.")
def update_account(request, account_id: int, payload: AccountPatch, response: HttpResponse):
    account = get_for_user(Account, request.auth, account_id, write=True)
    version = expected_version(request, payload.version)
    for field, value in _writable_data(payload, request.auth, account).items():
        setattr(account, field, value)
    update_record(account, by=request.auth, expected_version=version)
    account = _read(request.auth, account.pk)
    response["ETag"] = etag(account)
    return account


@router.delete("/{int:account_id}", response={204: None, **ERRORS}, summary="Move an account to the recycle bin")
def delete_account(request, account_id: int):
    soft_delete(get_for_user(Account, request.auth, account_id, write=True), by=request.auth)
    return Status(204, None)


CENTS = Decimal("0.01")


class MonthlySales(Schema):
    month: date = Field(description="The first day of the month.")
    total: Decimal


class SalesOut(Schema):
    accounts: list[int] = Field(description="The accounts whose invoices are summed.")
    today: date
    month: Decimal = Field(description="Invoiced this month so far.")
    quarter: Decimal
    year: Decimal
    previous_year: Decimal
    previous_year_to_date: Decimal = Field(description="Last year, up to the same day.")
    year_over_year: Decimal | None = Field(description="This year against last year to date, in percent; "
                                                       "null when there were no sales last year to date.")
    last_12_months: list[MonthlySales] = Field(description="Oldest first, the current month last.")
    outstanding: Decimal = Field(description="Unpaid balance of issued invoices.")
    overdue: Decimal = Field(description="Unpaid balance past its due date.")
    overdue_count: int


@router.get("/{int:account_id}/sales", response={200: SalesOut, **ERRORS}, summary="An account's sales figures",
            description="Computed from the account's issued invoices (drafts and cancelled ones do not count), "
                        "in the invoices' amounts whatever their currency. With `rollup=true` the account's "
                        "descendants that you can see are included. When your organisation treats invoice "
                        "amounts as financial data (VINCULO_INVOICE_AMOUNTS_RESTRICTED), callers without the "
                        "“view financial data” permission get 403: every figure here is an amount.")
def account_sales(request, account_id: int, rollup: bool = False):
    user = request.auth
    account = get_for_user(Account, user, account_id)
    if amounts_hidden_from(user):
        raise HttpError(403, _("Sales figures are financial data here: they need the “view financial data” permission."))
    ids = account_ids(account, include_children=rollup)
    if rollup:
        # Figures of an account the caller may not open are not theirs to see, even summed up.
        ids = [account.pk, *Account.objects.visible_to(user).filter(pk__in=ids[1:]).values_list("pk", flat=True)]
    summary = sales_summary(ids, clock.today())
    year_over_year = summary.year_over_year
    return {
        # Sums come back from the database with varying exponents: answer in cents, like stored amounts.
        **{name: value.quantize(CENTS) if isinstance(value, Decimal) else value
           for name, value in asdict(summary).items()},
        "accounts": ids,
        "year_over_year": None if year_over_year is None else year_over_year.quantize(Decimal("0.1")),
        "last_12_months": [{"month": month, "total": total.quantize(CENTS)} for month, total in summary.last_12_months],
    }
