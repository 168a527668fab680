"""API: /territories (the tree, its rules applied on demand), /sales-teams (with members) and /exchange-rates
(with CSV import and conversion). Every signed-in caller reads them; writes need the same permissions as
the pages (`org.change_territory`, `org.change_salesteam`, `org.change_exchangerate`; admins have them),
else 403."""

import datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError

from vinculo.core import clock
from vinculo.core.api import (
    ERRORS,
    FilterSchema,
    InputSchema,
    PageParams,
    Ref,
    capped_limit,
    choice,
    page,
    page_of,
    resolve_references,
)
from vinculo.core.models import ChangeLog
from vinculo.core.money import MissingRate, base_currency, convert, rates_on

from . import services
from . import territories as territorial_types
from .forms import tree_order
from .models import BusinessUnit, ExchangeRate, SalesTeam, SalesTeamMember, Territory, User
from .people import record_history
from .settings_pages import delete_unless_in_use
from .views import RATE_PERMISSION, TEAM_PERMISSION, TERRITORY_PERMISSION

Currency = Literal["CLP", "CLF", "USD", "EUR"]


def _require(user, permission: str, what: str) -> None:
    if not user.has_perm(permission):
        raise HttpError(403, _("You may read %(what)s but not change them.") % {"what": what})


def _save(record, **unique_fields):
    """full_clean + save, reporting a uniqueness clash raced past validation as a 422 on its field."""
    record.full_clean()
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        field = next(iter(unique_fields), None)
        raise ValidationError({field: _("Another record already has this value.")}) from None
    return record


# Territories

territories = Router(tags=["territories"])


class TerritoryOut(Schema):
    id: int
    name: str
    kind: str
    parent: int | None = Field(description="The territory it is part of; null at the top.")
    path: str = Field(description="Ids from the root, e.g. “1/4/9/”: a territory's subtree is every path "
                                  "starting with its own.")
    depth: int = Field(description="0 at the top.")
    grants_access: bool = Field(description="Users assigned to it see its accounts and leads and those below it.")
    users: list[Ref] = Field(description="Active users assigned to it.")

    @staticmethod
    def resolve_parent(territory):
        return territory.parent_id

    @staticmethod
    def resolve_users(territory):
        return list(territory.users.all())


class TerritoryFilters(FilterSchema):
    parent: int | None = Field(None, description="Only the direct sub-territories of this one.")
    within: int | None = Field(None, description="This territory and every one below it.")
    kind: choice(Territory.Kind) | None = None
    q: str | None = Field(None, description="Part of the name.")


class TerritoryIn(InputSchema):
    name: str | None = None
    kind: choice(Territory.Kind) | None = None
    parent: int | None = None
    grants_access: bool | None = None
    users: list[int] | None = Field(None, description="User ids: replaces the assigned users.")


class TerritoryCreate(TerritoryIn):
    name: str


class ApplyRulesIn(InputSchema):
    target: Literal["both", "accounts", "leads"] = "both"
    only_unassigned: bool = Field(True, description="Leave records that already have a territory alone.")


class AssignmentOut(Schema):
    assigned: int
    unchanged: int
    unmatched: int


class ApplyRulesOut(Schema):
    accounts: AssignmentOut | None
    leads: AssignmentOut | None


def _territories():
    return Territory.objects.prefetch_related(Prefetch("users", queryset=User.objects.filter(is_active=True)))


@territories.get("", response={200: page_of(TerritoryOut), **ERRORS}, summary="List territories, in tree order",
                 operation_id="territory_list", url_name="territory_list")
def territory_list(request, filters: Query[TerritoryFilters], params: Query[PageParams]):
    queryset = _territories()
    if filters.parent is not None:
        queryset = queryset.filter(parent_id=filters.parent)
    if filters.within is not None:
        top = Territory.objects.filter(pk=filters.within).first()
        queryset = queryset.filter(path__startswith=top.path) if top else queryset.none()
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.q:
        queryset = queryset.filter(name__icontains=filters.q)
    # Territories are a few hundred at most: ordered as a tree in Python, then paged.
    ordered = tree_order(queryset)
    return {"items": ordered[params.offset:params.offset + capped_limit(params)], "count": len(ordered)}


@territories.get("/{int:territory_id}", response={200: TerritoryOut, **ERRORS}, summary="Read a territory",
                 operation_id="territory_read", url_name="territory_detail")
def territory_read(request, territory_id: int):
    return get_object_or_404(_territories(), pk=territory_id)


def _write_territory(territory: Territory, payload: TerritoryIn) -> Territory:
    data = payload.dict(exclude_unset=True)
    users = data.pop("users", None)
    targets = {"parent": Territory.objects.exclude(path__startswith=territory.path) if territory.pk
               else Territory.objects.all(), "users": User.objects.filter(is_active=True)}
    data = resolve_references({**data, **({"users": users} if users is not None else {})}, targets)
    users = data.pop("users", None)
    for field, value in data.items():
        setattr(territory, field, value)
    with transaction.atomic():
        territory.full_clean()
        territory.save()
        if users is not None:
            territory.users.set([*territory.users.filter(is_active=False), *users])
    return territory


@territories.post("", response={201: TerritoryOut, **ERRORS}, summary="Create a territory",
                  operation_id="territory_create", url_name="territory_create")
def territory_create(request, payload: TerritoryCreate):
    _require(request.auth, TERRITORY_PERMISSION, _("territories"))
    territory = _write_territory(Territory(), payload)
    return Status(201, _territories().get(pk=territory.pk))


@territories.patch("/{int:territory_id}", response={200: TerritoryOut, **ERRORS}, summary="Change a territory",
                   description="A territory cannot be moved under itself or one of its sub-territories.",
                   operation_id="territory_update", url_name="territory_update")
def territory_update(request, territory_id: int, payload: TerritoryIn):
    territory = get_object_or_404(Territory, pk=territory_id)
    _require(request.auth, TERRITORY_PERMISSION, _("territories"))
    if "parent" in payload.model_fields_set and payload.parent is not None and payload.parent != territory.parent_id:
        if Territory.objects.filter(pk=payload.parent, path__startswith=territory.path).exists():
            raise ValidationError({"parent": _("A territory cannot be part of itself or of one of its sub-territories.")})
    _write_territory(territory, payload)
    return _territories().get(pk=territory.pk)


@territories.post("/apply-rules", response={200: ApplyRulesOut, **ERRORS},
                  summary="Assign accounts and leads to territories by rule",
                  description="Each record you may edit goes to the territory of the first territory rule it "
                              "matches (lowest priority first). Every change is kept in the record's history.",
                  operation_id="territory_apply_rules", url_name="territory_apply_rules")
def territory_apply_rules(request, payload: ApplyRulesIn):
    user = request.auth
    _require(user, TERRITORY_PERMISSION, _("territories"))
    answer = {}
    for kind in territorial_types.types():
        answer[kind.key] = None
        if payload.target in ("both", kind.key):
            answer[kind.key] = vars(services.assign_territories(kind.model.objects.editable_by(user), by=user,
                                                                only_unassigned=payload.only_unassigned))
    return answer


# Sales teams

sales_teams = Router(tags=["sales teams"])


class MemberOut(Schema):
    user: Ref
    function: str


class SalesTeamOut(Schema):
    id: int
    name: str
    business_unit: Ref | None
    members: list[MemberOut]

    @staticmethod
    def resolve_members(team):
        return list(team.memberships.all())


class MemberIn(InputSchema):
    user: int
    function: choice(SalesTeamMember.Function) = SalesTeamMember.Function.SALES_REP


class SalesTeamIn(InputSchema):
    name: str | None = None
    business_unit: int | None = None
    members: list[MemberIn] | None = Field(None, description="Replaces the members.")


class SalesTeamCreate(SalesTeamIn):
    name: str


class SalesTeamFilters(FilterSchema):
    member: int | None = Field(None, description="Teams this user is in.")
    q: str | None = Field(None, description="Part of the name.")


def _teams():
    return SalesTeam.objects.select_related("business_unit").prefetch_related(
        Prefetch("memberships", queryset=SalesTeamMember.objects.select_related("user").order_by("function", "user_id"))
    )


@sales_teams.get("", response={200: page_of(SalesTeamOut), **ERRORS}, summary="List sales teams with their members",
                 operation_id="sales_team_list", url_name="sales_team_list")
def sales_team_list(request, filters: Query[SalesTeamFilters], params: Query[PageParams]):
    queryset = _teams().order_by("name", "pk")
    if filters.member is not None:
        queryset = queryset.filter(memberships__user_id=filters.member)
    if filters.q:
        queryset = queryset.filter(name__icontains=filters.q)
    return page(queryset, params)


@sales_teams.get("/{int:team_id}", response={200: SalesTeamOut, **ERRORS}, summary="Read a sales team",
                 operation_id="sales_team_read", url_name="sales_team_detail")
def sales_team_read(request, team_id: int):
    return get_object_or_404(_teams(), pk=team_id)


def _write_team(team: SalesTeam, payload: SalesTeamIn, *, by) -> SalesTeam:
    """Recorded in the team's history (its name and business unit)."""
    data = payload.dict(exclude_unset=True)
    data.pop("members", None)
    # Sent (even empty or null): the new member list; left out: members unchanged.
    members = ([member.dict() for member in payload.members or []] if "members" in payload.model_fields_set
               else None)
    data = resolve_references(data, {"business_unit": BusinessUnit.objects.all()})
    if members is not None:
        users = User.objects.filter(is_active=True).in_bulk([member["user"] for member in members])
        missing = [str(member["user"]) for member in members if member["user"] not in users]
        if missing:
            raise ValidationError({"members": _("There is no active user with id %(id)s.") % {"id": ", ".join(missing)}})
        if len({member["user"] for member in members}) != len(members):
            raise ValidationError({"members": _("A user appears twice.")})
    created = team.pk is None
    before = {"name": team.name, "business_unit": str(team.business_unit or "")}
    for field, value in data.items():
        setattr(team, field, value)
    with transaction.atomic():
        _save(team, name=True)
        after = {"name": team.name, "business_unit": str(team.business_unit or "")}
        changes = [{"field": name, "label": str(SalesTeam._meta.get_field(name).verbose_name), "old": before[name],
                    "new": after[name]} for name in before if before[name] != after[name]]
        if created or changes:
            record_history(team, by, ChangeLog.Action.CREATE if created else ChangeLog.Action.UPDATE,
                           [] if created else changes)
        if members is not None:
            team.memberships.all().delete()
            SalesTeamMember.objects.bulk_create(
                SalesTeamMember(team=team, user=users[member["user"]], function=member["function"]) for member in members
            )
    return team


@sales_teams.post("", response={201: SalesTeamOut, **ERRORS}, summary="Create a sales team",
                  operation_id="sales_team_create", url_name="sales_team_create")
def sales_team_create(request, payload: SalesTeamCreate):
    _require(request.auth, TEAM_PERMISSION, _("sales teams"))
    team = _write_team(SalesTeam(), payload, by=request.auth)
    return Status(201, _teams().get(pk=team.pk))


@sales_teams.patch("/{int:team_id}", response={200: SalesTeamOut, **ERRORS}, summary="Change a sales team",
                   operation_id="sales_team_update", url_name="sales_team_update")
def sales_team_update(request, team_id: int, payload: SalesTeamIn):
    team = get_object_or_404(SalesTeam, pk=team_id)
    _require(request.auth, TEAM_PERMISSION, _("sales teams"))
    _write_team(team, payload, by=request.auth)
    return _teams().get(pk=team.pk)


@sales_teams.delete("/{int:team_id}", response={204: None, **ERRORS}, summary="Delete a sales team",
                    description="Its accounts and opportunities stay, without a sales team.",
                    operation_id="sales_team_delete", url_name="sales_team_delete")
def sales_team_delete(request, team_id: int):
    team = get_object_or_404(SalesTeam, pk=team_id)
    _require(request.auth, TEAM_PERMISSION, _("sales teams"))
    delete_unless_in_use(team, lambda team: None, by=request.auth)
    return Status(204, None)


# Exchange rates

exchange_rates = Router(tags=["exchange rates"])


class RateOut(Schema):
    id: int
    currency: str
    date: datetime.date
    rate: Decimal = Field(description="Value of one unit in the base currency (CLP).")
    source: str


class RateFilters(FilterSchema):
    currency: Currency | None = None
    date_from: datetime.date | None = Field(None, description="On or after this date.")
    date_to: datetime.date | None = Field(None, description="On or before this date.")
    ordering: Literal["date", "-date"] = "-date"


class RateIn(InputSchema):
    currency: Currency | None = None
    date: datetime.date | None = None
    rate: Decimal | None = Field(None, gt=0, max_digits=20, decimal_places=6)
    source: str | None = Field(None, max_length=60)


class RateCreate(RateIn):
    currency: Currency
    date: datetime.date
    rate: Decimal = Field(gt=0, max_digits=20, decimal_places=6)


class ImportOut(Schema):
    created: int
    updated: int


class ConvertParams(FilterSchema):
    amount: Decimal = Field(max_digits=24, decimal_places=6)
    from_currency: Currency = Field(alias="from")
    to: Currency
    on: datetime.date | None = Field(None, alias="date", description="Today when left out.")


class ConvertOut(Schema):
    amount: Decimal
    from_currency: str = Field(alias="from")
    to: str
    date: datetime.date
    result: Decimal = Field(description="Rounded to the target currency's minor unit (CLP: none, UF: 2).")
    rate: Decimal = Field(description="Units of `to` per unit of `from` on that date.")

    model_config = {"populate_by_name": True}


@exchange_rates.get("", response={200: page_of(RateOut), **ERRORS}, summary="List exchange rates",
                    operation_id="exchange_rate_list", url_name="exchange_rate_list")
def exchange_rate_list(request, filters: Query[RateFilters], params: Query[PageParams]):
    queryset = ExchangeRate.objects.all()
    if filters.currency:
        queryset = queryset.filter(currency=filters.currency)
    if filters.date_from:
        queryset = queryset.filter(date__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(date__lte=filters.date_to)
    return page(queryset.order_by(filters.ordering, "currency", "pk"), params)


@exchange_rates.get("/convert", response={200: ConvertOut, **ERRORS}, summary="Convert an amount",
                    description="With the latest rate on or before `date` (today when left out) of each currency.",
                    operation_id="exchange_rate_convert", url_name="exchange_rate_convert", by_alias=True)
def exchange_rate_convert(request, params: Query[ConvertParams]):
    amount, from_currency, to = params.amount, params.from_currency, params.to
    on = params.on or clock.today()
    try:
        rates = rates_on([from_currency, to], on)
        result = convert(amount, from_currency, to, on)
    except MissingRate as exc:
        field = "from" if exc.currency == from_currency else "to"
        raise ValidationError({field: _("There is no %(currency)s exchange rate on or before %(date)s.")
                               % {"currency": exc.currency, "date": on.isoformat()}}) from None
    return {"amount": amount, "from": from_currency, "to": to, "date": on, "result": result,
            "rate": (rates[from_currency] / rates[to]).quantize(Decimal("0.000001"))}


@exchange_rates.post("/import", response={200: ImportOut, **ERRORS}, summary="Import exchange rates from CSV",
                     description="Columns date, currency, rate (header optional; comma, semicolon or tab "
                                 "separated). Dates 2026-11-23 or 23-11-2026; decimal comma or point; currencies "
                                 "CLP, UF/CLF, USD, EUR. One transaction: if any row is wrong nothing is stored and "
                                 "the 422 lists every bad row. A currency and day already stored is updated.",
                     operation_id="exchange_rate_import", url_name="exchange_rate_import")
def exchange_rate_import(request, file: File[UploadedFile], source: Form[str] = ""):
    _require(request.auth, RATE_PERMISSION, _("exchange rates"))
    if file.size > 2 * 1024 * 1024:
        raise ValidationError({"file": _("The file is larger than 2 MB; split it.")})
    try:
        result = services.import_rates(file.read(), source=source[:60])
    except services.RateImportError as exc:
        # One entry per problem: `field` is the column (date, currency, rate) or "row"/"file", the message
        # names the row.
        errors = {}
        for row, name, message in exc.problems:
            errors.setdefault(name, []).append(exc.describe(row, name, message))
        raise ValidationError(errors) from None
    return vars(result)


@exchange_rates.get("/{int:rate_id}", response={200: RateOut, **ERRORS}, summary="Read an exchange rate",
                    operation_id="exchange_rate_read", url_name="exchange_rate_detail")
def exchange_rate_read(request, rate_id: int):
    return get_object_or_404(ExchangeRate, pk=rate_id)


def _write_rate(rate: ExchangeRate, payload: RateIn) -> ExchangeRate:
    for field, value in payload.dict(exclude_unset=True).items():
        if value is None and field != "source":
            raise ValidationError({field: _("This field cannot be null.")})
        setattr(rate, field, value if value is not None else "")
    if rate.currency == base_currency() and rate.rate != 1:
        raise ValidationError({"currency": _("%(currency)s is the base currency: its rate is always 1.")
                               % {"currency": rate.currency}})
    try:
        rate.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict
        if "__all__" in errors:  # the (currency, date) uniqueness
            errors["date"] = errors.pop("__all__")
        raise ValidationError(errors) from None
    return _save(rate, date=True)


@exchange_rates.post("", response={201: RateOut, **ERRORS}, summary="Enter an exchange rate",
                     operation_id="exchange_rate_create", url_name="exchange_rate_create")
def exchange_rate_create(request, payload: RateCreate):
    _require(request.auth, RATE_PERMISSION, _("exchange rates"))
    return Status(201, _write_rate(ExchangeRate(), payload))


@exchange_rates.patch("/{int:rate_id}", response={200: RateOut, **ERRORS}, summary="Change an exchange rate",
                      operation_id="exchange_rate_update", url_name="exchange_rate_update")
def exchange_rate_update(request, rate_id: int, payload: RateIn):
    rate = get_object_or_404(ExchangeRate, pk=rate_id)
    _require(request.auth, RATE_PERMISSION, _("exchange rates"))
    return _write_rate(rate, payload)


@exchange_rates.delete("/{int:rate_id}", response={204: None, **ERRORS}, summary="Delete an exchange rate",
                       operation_id="exchange_rate_delete", url_name="exchange_rate_delete")
def exchange_rate_delete(request, rate_id: int):
    rate = get_object_or_404(ExchangeRate, pk=rate_id)
    _require(request.auth, RATE_PERMISSION, _("exchange rates"))
    rate.delete()
    return Status(204, None)


# Path prefix → ninja Router, added to the API by vinculo.api.urls.
