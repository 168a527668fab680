"""/api/v1/accounts: list, create, read, change and delete accounts, with the same permissions as the pages
(see vinculo.core.api.RecordAPI), and an account's sales figures."""

import re
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status
from ninja.errors import HttpError

from vinculo.core import clock
from vinculo.core.access import get_for_user
from vinculo.core.api import (
    ERRORS,
    FilterSchema,
    Gated,
    InputSchema,
    PageParams,
    PossibleDuplicateOut,
    RecordAPI,
    Ref,
    Versioned,
    active_users,
    choice,
    page,
    page_of,
    possible_duplicates,
    resolve_references,
    shown_if_visible,
)
from vinculo.core.money import Currency
from vinculo.core.validators import normalize_tax_id
from vinculo.org.models import BusinessUnit, Office, SalesTeam, Territory

from . import services
from .models import Account, AccountTeamMember, Address, Industry, amounts_hidden_from
from .sales import account_ids, sales_summary

FINANCIAL = "Present only for users with the “view financial data” permission."


class AccountOut(Gated):
    FIELDS_OF = Account  # its financial group

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

    resolve_parent = shown_if_visible("parent")


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
    currency: Currency = Currency.CLP
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


class AccountPatch(AccountIn, Versioned):
    pass


class AccountFilters(FilterSchema):
    account_type: str | None = None
    owner: int | None = None
    territory: int | None = Field(None, description="The territory and the ones below it.")
    country: str | None = None
    tax_id: str | None = Field(None, description="In any usual format, e.g. 76.086.428-5.")
    industry: int | None = None
    parent: int | None = None
    rating: str | None = None
    relationship_status: str | None = None


def _tax_id_forms(value: str, country: str | None) -> set[str]:
    """How a tax id typed in any usual format may be stored: compact, and normalised when valid."""
    forms = {re.sub(r"[\W_]", "", value).upper()}
    try:
        forms.add(normalize_tax_id(value, country or ""))
    except ValidationError:
        pass
    return forms


class AccountAPI(RecordAPI):
    model = Account
    name, singular, plural = "account", "an account", "accounts"
    Out, Create, Patch, Filters = AccountOut, AccountCreate, AccountPatch, AccountFilters
    id_name = "account_id"
    indexed = True
    related = ("owner", "business_unit", "office", "supervisor", "support_user", "sales_team", "industry", "territory")
    guarded = ("parent",)
    answers_from_memory = True
    lookups = {
        "account_type": "account_type", "owner": "owner_id", "country": "country__iexact", "industry": "industry_id",
        "parent": "parent_id", "rating": "rating", "relationship_status": "relationship_status",
    }
    ordering = (
        "id", "legal_name", "trade_name", "country", "tax_id", "account_type", "employees", "annual_revenue",
        "rating", "relationship_status", "created_at", "updated_at",
    )

    def filter(self, queryset, filters):
        queryset = super().filter(queryset, filters)
        if filters.territory is not None:
            territory = Territory.objects.filter(pk=filters.territory).first()
            queryset = queryset.filter(territory__path__startswith=territory.path) if territory else queryset.none()
        if filters.tax_id:
            queryset = queryset.filter(tax_id__in=_tax_id_forms(filters.tax_id, filters.country))
        return queryset

    def references(self, user, record=None):
        visible = super().references(user, record)["parent"]
        # Built when a payload names a parent, like the base class's (an account is not its own parent).
        parents = SimpleLazyObject(lambda: visible.exclude(pk=record.pk)) if record is not None else visible
        users = SimpleLazyObject(active_users)  # built only for a payload that names a user
        return {
            "owner": users, "supervisor": users, "support_user": users, "parent": parents,
            "business_unit": BusinessUnit.objects.all(), "office": Office.objects.all(),
            "sales_team": SalesTeam.objects.all(), "industry": Industry.objects.all(),
            "territory": Territory.objects.all(),
        }

    def create(self, data, user):
        data.setdefault("owner", user)
        return super().create(data, user)


router = AccountAPI().router("accounts")


@router.get("/duplicates", response={200: list[PossibleDuplicateOut], **ERRORS},
            summary="Possible duplicates of an account about to be created",
            description="The accounts you can see (at most 10) with the same tax id, e-mail or phone, or a legal "
                        "name similar to `name` (accents, case, word order and legal suffixes such as SpA, "
                        "Ltda., S.A., S.L. do not count). Creating stays possible: this only warns.")
def account_duplicates(request, name: str = "", tax_id: str = "", email: str = "", phone: str = "",
                       country: str = ""):
    return possible_duplicates(request.auth, "account", {
        "legal_name": name[:300], "tax_id": tax_id[:50], "email": email[:300], "phone": phone[:50],
        "country": country[:2]})


CENTS = Decimal("0.01")


class MonthlySales(Schema):
    month: date = Field(description="The first day of the month.")
    total: Decimal


class SalesOut(Schema):
    accounts: list[int] = Field(description="The accounts whose invoices are summed.")
    today: date
    currency: str = Field(description="The currency of every amount: the account's.")
    unconverted: list[str] = Field(description="Currencies of invoices left out for want of an exchange rate.")
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
                        "in the account's currency (invoices in another currency converted at the rate of the "
                        "last day of their month, balances at today's; a currency without a rate is left out "
                        "and named in `unconverted`). With `rollup=true` the account's "
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
    summary = sales_summary(ids, clock.today(), account.currency)
    year_over_year = summary.year_over_year
    return {
        # Sums come back from the database with varying exponents: answer in cents, like stored amounts.
        **{name: value.quantize(CENTS) if isinstance(value, Decimal) else value
           for name, value in asdict(summary).items()},
        "accounts": ids,
        "year_over_year": None if year_over_year is None else year_over_year.quantize(Decimal("0.1")),
        "last_12_months": [{"month": month, "total": total.quantize(CENTS)} for month, total in summary.last_12_months],
    }


# ---------- The account's team and addresses ----------

class AccountTeamMemberOut(Schema):
    id: int
    user: Ref
    role: str
    access: str = Field(description="“read”, or “edit”: members with edit access may change the account.")


class AccountTeamMemberIn(InputSchema):
    user: int = Field(description="An active user's id.")
    role: choice(AccountTeamMember.Role) = AccountTeamMember.Role.SALES_REP
    access: choice(AccountTeamMember.Access) = AccountTeamMember.Access.READ


class AccountAddressOut(Schema):
    id: int
    kind: str
    street: str
    municipality: str = Field(description="Comuna in Chile, municipio in Spain.")
    city: str
    province: str
    region: str = Field(description="Región in Chile, comunidad autónoma in Spain.")
    postal_code: str
    country: str
    text: str = Field(description="The address on one line.")

    @staticmethod
    def resolve_text(address):
        return str(address)


class AccountAddressIn(InputSchema):
    kind: choice(Address.Kind) = Address.Kind.BILLING
    street: str
    municipality: str = Field("", description="Comuna in Chile, municipio in Spain: needed there.")
    city: str = ""
    province: str = Field("", description="Provincia: needed in Spain.")
    region: str = Field("", description="Región in Chile (needed there), comunidad autónoma in Spain.")
    postal_code: str = Field("", description="Needed in Spain: five digits.")
    country: str = Field("CL", description="ISO code, e.g. CL, ES.")


TEAM_WRITERS = ("Only the account's owner, the users above the owner in the role hierarchy and administrators "
                "may change the team (403 for others who can see the account).")


def _conflict(exc: services.AlreadyThere):
    return HttpError(409, " ".join(exc.messages))


@router.get("/{int:account_id}/team", response={200: page_of(AccountTeamMemberOut), **ERRORS},
            summary="List an account's team", operation_id="account_team_list", url_name="account_team_list")
def team_list(request, account_id: int, params: Query[PageParams]):
    account = get_for_user(Account, request.auth, account_id)
    return page(account.team.select_related("user").order_by("role", "pk"), params)


@router.post("/{int:account_id}/team", response={201: AccountTeamMemberOut, **ERRORS},
             summary="Add a user to an account's team",
             description="Membership grants the account and its records to the user. " + TEAM_WRITERS
                         + " A user already on the team: 409.",
             operation_id="account_team_add", url_name="account_team_add")
def team_add(request, account_id: int, payload: AccountTeamMemberIn):
    user = request.auth
    account = get_for_user(Account, user, account_id)
    services.require_team_manager(user, account)
    data = resolve_references(payload.dict(), {"user": active_users()})
    try:
        member = services.add_team_member(account, AccountTeamMember(**data), by=user)
    except services.AlreadyThere as exc:
        raise _conflict(exc) from None
    return Status(201, member)


@router.delete("/{int:account_id}/team/{int:item_id}", response={204: None, **ERRORS},
               summary="Remove a user from an account's team",
               description="The access the membership granted goes with it. " + TEAM_WRITERS,
               operation_id="account_team_remove", url_name="account_team_remove")
def team_remove(request, account_id: int, item_id: int):
    user = request.auth
    account = get_for_user(Account, user, account_id)
    member = AccountTeamMember.objects.select_related("user").filter(account=account, pk=item_id).first()
    if member is None:
        raise Http404
    services.remove_team_member(account, member, by=user)
    return Status(204, None)


@router.get("/{int:account_id}/addresses", response={200: page_of(AccountAddressOut), **ERRORS},
            summary="List an account's addresses", operation_id="account_address_list",
            url_name="account_address_list")
def address_list(request, account_id: int, params: Query[PageParams]):
    account = get_for_user(Account, request.auth, account_id)
    return page(Address.objects.filter(account=account).order_by("kind", "pk"), params)


@router.post("/{int:account_id}/addresses", response={201: AccountAddressOut, **ERRORS},
             summary="Add an address to an account",
             description="For whoever may change the account. A Chilean address needs its comuna "
                         "(`municipality`) and región; a Spanish one its municipio, provincia and postal code.",
             operation_id="account_address_add", url_name="account_address_add")
def address_add(request, account_id: int, payload: AccountAddressIn):
    user = request.auth
    account = get_for_user(Account, user, account_id, write=True)
    return Status(201, services.add_address(account, Address(**payload.dict()), by=user))


@router.delete("/{int:account_id}/addresses/{int:item_id}", response={204: None, **ERRORS},
               summary="Remove an address of an account",
               description="It goes to the recycle bin, from which it can be restored.",
               operation_id="account_address_remove", url_name="account_address_remove")
def address_remove(request, account_id: int, item_id: int):
    user = request.auth
    account = get_for_user(Account, user, account_id, write=True)
    address = Address.objects.filter(account=account, pk=item_id).first()
    if address is None:
        raise Http404
    services.remove_address(address, by=user)
    return Status(204, None)
