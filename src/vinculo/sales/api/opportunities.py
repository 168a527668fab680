"""/api/v1/opportunities (with /move, /close and /reopen) and /api/v1/stages: the same permissions, locking
and pipeline rules as the pages (see vinculo.core.api.RecordAPI and vinculo.sales.pipeline)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core import money, search
from vinculo.core.access import get_for_user
from vinculo.core.api import (
    ERRORS,
    FilterSchema,
    InputSchema,
    RecordAPI,
    Ref,
    Versioned,
    active_users,
    choice,
    etag,
    expected_version,
    keeping_current,
    shown_if_visible,
)
from vinculo.core.services import create_record
from vinculo.org import people
from vinculo.org.models import BusinessUnit, SalesTeam, Territory
from vinculo.org.settings_pages import delete_unless_in_use
from vinculo.org.twofactor import is_admin as administers_organisation

from .. import pipeline
from .. import services_opportunities as services
from ..forms_opportunities import accounts_in
from ..models import (
    Competitor,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    PipelineStage,
    Product,
    Source,
)
from ..stage_settings import StageForm, stage_in_use

Currency = Literal[tuple(money.Currency.values)]


class StageRef(Ref):
    probability: int


class ContactRoleOut(Schema):
    contact: Ref
    role: str
    is_primary: bool


class OpportunityLineOut(Schema):
    id: int
    product: Ref | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    net_amount: Decimal


class CompetitorEntryOut(Schema):
    id: int
    competitor: Ref
    strengths: str
    weaknesses: str
    result: str


class OpportunityOut(Schema):
    id: int
    version: int
    name: str
    account: Ref | None = Field(description="Null when the account is not visible to you.")
    owner: Ref
    sales_team: Ref | None
    business_unit: Ref | None
    stage: StageRef
    probability: int
    amount: Decimal = Field(description="In `currency`. While the deal has lines, their total.")
    currency: str
    weighted_amount: Decimal
    status: str
    close_reason: str
    close_note: str
    expected_close_date: date | None
    closed_on: date | None
    source: str
    campaign: Ref | None = Field(description="Null also when the campaign is not visible to you.")
    next_step: str
    description: str
    contacts: list[ContactRoleOut] = Field(description="The contacts on the deal that you can see, with their role.")
    lines: list[OpportunityLineOut]
    competitors: list[CompetitorEntryOut]
    plan: Ref | None = Field(description="The business plan it counts towards. Null also when not visible to you.")
    objective: Ref | None = Field(description="The plan's objective it counts towards. Null also when not visible "
                                              "to you.")
    created_at: datetime
    updated_at: datetime

    resolve_account = shown_if_visible("account")
    resolve_campaign = shown_if_visible("campaign")
    resolve_plan = shown_if_visible("plan")
    resolve_objective = shown_if_visible("objective")

    @staticmethod
    def resolve_contacts(opportunity):
        return opportunity.visible_roles

    @staticmethod
    def resolve_lines(opportunity):
        return opportunity.lines.all()

    @staticmethod
    def resolve_competitors(opportunity):
        return opportunity.competitor_entries.all()


class ContactRoleIn(InputSchema):
    contact: int = Field(description="A contact id you can see.")
    role: choice(OpportunityContact.Role) = OpportunityContact.Role.INFLUENCER
    is_primary: bool = False


class OpportunityLineIn(InputSchema):
    product: int | None = Field(None, description="A product id of the catalogue.")
    description: str = Field("", description="Defaults to the product's name.")
    quantity: Decimal = Field(Decimal("1"), ge=0)
    unit_price: Decimal | None = Field(None, ge=0, description="Defaults to the product's price in an active price "
                                                               "list of the deal's currency.")
    discount_percent: Decimal = Field(Decimal("0"), ge=0, le=100)


class CompetitorEntryIn(InputSchema):
    competitor: int = Field(description="A competitor id.")
    strengths: str = ""
    weaknesses: str = ""
    result: choice(OpportunityCompetitor.Result) = OpportunityCompetitor.Result.PENDING


NESTED = ("contacts", "lines", "competitors")


class OpportunityIn(InputSchema):
    """Fields a client may write; on PATCH only the keys sent change. Status changes go through /close and
    /reopen. `contacts`, `lines` and `competitors`, when sent, replace the deal's list."""

    name: str = ""
    account: int | None = Field(None, description="An account id you can see.")
    owner: int | None = Field(None, description="A user id; defaults to you on creation.")
    sales_team: int | None = None
    business_unit: int | None = None
    stage: int | None = Field(None, description="An active stage id; defaults to the first one. A change of stage "
                                                "takes the stage's probability unless `probability` is sent.")
    probability: int | None = Field(None, ge=0, le=100)
    amount: Decimal | None = Field(None, ge=0, description="Ignored while the deal has product lines.")
    currency: Currency = "CLP"
    expected_close_date: date | None = None
    source: choice(Source, blank=True) = ""
    campaign: int | None = None
    next_step: str = ""
    description: str = ""
    contacts: list[ContactRoleIn] | None = Field(None, description="Replaces the contacts you can see.")
    lines: list[OpportunityLineIn] | None = Field(None, description="Replaces the product lines; the amount becomes their total.")
    competitors: list[CompetitorEntryIn] | None = Field(None, description="Replaces the competitors on the deal.")
    plan: int | None = Field(None, description="A business plan of the deal's account.")
    objective: int | None = Field(None, description="An objective of a plan of the deal's account (the plan follows).")


class OpportunityCreate(OpportunityIn):
    name: str
    account: int = Field(description="An account id you can see.")


class OpportunityPatch(OpportunityIn, Versioned):
    pass


class OpportunityFilters(FilterSchema):
    plan: int | None = None
    objective: int | None = None
    stage: int | None = None
    status: choice(Opportunity.Status) | None = None
    owner: int | None = None
    account: int | None = None
    sales_team: int | None = None
    business_unit: int | None = None
    campaign: int | None = None
    territory: int | None = Field(None, description="Deals of accounts in this territory or below it.")
    close_from: date | None = Field(None, description="Expected to close on or after this date.")
    close_to: date | None = Field(None, description="Expected to close on or before this date.")


class MoveIn(Versioned):
    stage: int = Field(description="An active stage id.")


class CloseIn(Versioned):
    status: choice(Opportunity.Status) = Field(description="won or lost.")
    reason: choice(Opportunity.CloseReason, blank=True) = ""
    note: str = ""
    amount: Decimal | None = Field(None, ge=0, description="The final amount; the deal's is kept if absent.")


class OpportunityAPI(RecordAPI):
    model = Opportunity
    name, singular, plural = "opportunity", "an opportunity", "opportunities"
    Out, Create, Patch, Filters = OpportunityOut, OpportunityCreate, OpportunityPatch, OpportunityFilters
    id_name = "opportunity_id"
    indexed = True
    related = ("owner", "sales_team", "business_unit", "stage")
    guarded = ("account", "campaign", "plan", "objective")
    lookups = {
        "plan": "plan_id", "objective": "objective_id",
        "stage": "stage_id", "status": "status", "owner": "owner_id", "account": "account_id",
        "sales_team": "sales_team_id", "business_unit": "business_unit_id", "campaign": "campaign_id",
        "close_from": "expected_close_date__gte", "close_to": "expected_close_date__lte",
    }
    ordering = ("id", "name", "stage", "amount", "probability", "expected_close_date", "closed_on", "status",
                "created_at", "updated_at")
    routes = (*RecordAPI.routes, "move", "close", "reopen")

    def sortable(self, user):
        return {**super().sortable(user), "stage": "stage__order"}

    def filter(self, queryset, filters):
        queryset = super().filter(queryset, filters)
        if filters.territory is not None:
            territory = Territory.objects.filter(pk=filters.territory).first()
            queryset = queryset.filter(account_id__in=accounts_in(territory)) if territory else queryset.none()
        return queryset

    def search(self, queryset, query):
        """The deal's name or its account's name."""
        return queryset.filter(Q(pk__in=search.matching_ids(Opportunity, query))
                               | Q(account_id__in=search.matching_ids(Account, query)))

    def readable(self, queryset, user):
        roles = OpportunityContact.objects.select_related("contact").filter(
            Exists(Contact.objects.visible_to(user, per_row=True).filter(pk=OuterRef("contact_id")))
        )
        return super().readable(queryset, user).prefetch_related(
            Prefetch("contact_roles", queryset=roles, to_attr="visible_roles"),
            Prefetch("lines", queryset=OpportunityLine.objects.select_related("product")),
            Prefetch("competitor_entries", queryset=OpportunityCompetitor.objects.select_related("competitor")),
        )

    def references(self, user, record=None):
        stages = PipelineStage.objects.filter(is_active=True)
        return {
            **super().references(user, record),
            "owner": active_users(), "sales_team": SalesTeam.objects.all(), "business_unit": BusinessUnit.objects.all(),
            "stage": keeping_current(stages, record, "stage"),
        }

    def writable_data(self, payload, user, record=None):
        nested = {name: getattr(payload, name) for name in NESTED if name in payload.model_fields_set}
        data = super().writable_data(payload, user, record)
        for name in NESTED:
            data.pop(name, None)
        data["_nested"] = {name: value for name, value in nested.items() if value is not None}
        return data

    # The nested lists: ids checked against what the caller may link to, like the deal's own references.

    def _parts(self, opportunity, nested: dict, user) -> dict:
        parts, errors = {}, {}
        if "contacts" in nested:
            ids = [item.contact for item in nested["contacts"]]
            found = Contact.objects.visible_to(user).in_bulk(ids)
            if missing := [pk for pk in ids if pk not in found]:
                errors["contacts"] = _("There is no contact with id %(id)s.") % {"id": ", ".join(map(str, missing))}
            parts["contacts"] = [OpportunityContact(contact=found.get(item.contact), role=item.role,
                                                    is_primary=item.is_primary) for item in nested["contacts"]]
        if "lines" in nested:
            ids = [item.product for item in nested["lines"] if item.product is not None]
            found = Product.objects.all().in_bulk(ids)
            if missing := [pk for pk in ids if pk not in found]:
                errors["lines"] = _("There is no product with id %(id)s.") % {"id": ", ".join(map(str, missing))}
            lines = []
            for index, item in enumerate(nested["lines"], start=1):
                product = found.get(item.product)
                price = item.unit_price
                if price is None and product is not None:
                    price = services.default_unit_price(product, opportunity.currency)
                if price is None:
                    errors.setdefault("lines", _("Line %(n)d: give a unit price (the product has none in %(currency)s).")
                                      % {"n": index, "currency": opportunity.currency})
                if product is None and not item.description:
                    errors.setdefault("lines", _("Line %(n)d: give a product or a description.") % {"n": index})
                lines.append(OpportunityLine(product=product, description=item.description, quantity=item.quantity,
                                             unit_price=price or Decimal(0), discount_percent=item.discount_percent))
            parts["lines"] = lines
        if "competitors" in nested:
            ids = [item.competitor for item in nested["competitors"]]
            found = Competitor.objects.all().in_bulk(ids)
            if missing := [pk for pk in ids if pk not in found]:
                errors["competitors"] = _("There is no competitor with id %(id)s.") % {
                    "id": ", ".join(map(str, missing))}
            parts["competitors"] = [
                OpportunityCompetitor(competitor=found.get(item.competitor), strengths=item.strengths,
                                      weaknesses=item.weaknesses, result=item.result)
                for item in nested["competitors"]
            ]
        if errors:
            raise ValidationError(errors)
        return parts

    def _write_parts(self, opportunity, nested: dict, user) -> None:
        parts = self._parts(opportunity, nested, user)
        if "contacts" in parts:
            hidden = opportunity.contact_roles.exclude(
                contact_id__in=Contact.objects.visible_to(user).values("pk")).values_list("contact_id", flat=True)
            services.replace_contacts(opportunity, parts["contacts"], by=user, keep=list(hidden))
        if "lines" in parts:
            services.replace_lines(opportunity, parts["lines"], by=user)
        if "competitors" in parts:
            services.replace_competitors(opportunity, parts["competitors"], by=user)

    @transaction.atomic
    def create(self, data, user):
        nested = data.pop("_nested")
        stage = data.get("stage") or PipelineStage.objects.filter(is_active=True).first()
        if stage is None:
            raise ValidationError({"stage": _("No pipeline stage is in use; an administrator sets them up.")})
        data["stage"] = stage
        data.setdefault("owner", user)
        if data.get("probability") is None:
            data["probability"] = stage.probability
        if data.get("amount") is None:
            data.pop("amount", None)
        opportunity = create_record(Opportunity(**data), by=user)
        self._write_parts(opportunity, nested, user)
        return opportunity

    @transaction.atomic
    def update(self, record, data, user, version):
        nested = data.pop("_nested")
        stage = data.get("stage")
        if stage is not None and stage.pk != record.stage_id:
            if not record.is_open:
                raise ValidationError({"stage": _("This deal is closed; reopen it before moving it.")})
            if data.get("probability") is None:
                data["probability"] = stage.probability
        for field in ("probability", "amount", "stage", "owner"):
            if field in data and data[field] is None:
                raise ValidationError({field: _("This field cannot be empty.")})
        if "amount" in data and record.lines.exists():
            data.pop("amount")
        super().update(record, data, user, version)
        self._write_parts(record, nested, user)

    # /move, /close, /reopen

    def _answer(self, response, user, pk):
        record = self.read(user, pk)
        response["ETag"] = etag(record)
        return record

    def add_move_route(self, router: Router) -> None:
        api = self

        @router.post("/{int:opportunity_id}/move", response={200: OpportunityOut, **ERRORS},
                     summary="Move an open deal to another stage",
                     description="The deal takes the stage's probability. Send the `version` you read: 409 if "
                                 "someone changed the deal since; 403 if you may only read it.",
                     operation_id="opportunity_move", url_name="opportunity_move")
        def move(request, opportunity_id: int, payload: MoveIn, response: HttpResponse):
            user = request.auth
            opportunity = get_for_user(Opportunity, user, opportunity_id)
            stage = PipelineStage.objects.filter(pk=payload.stage).first()
            if stage is None:
                raise ValidationError({"stage": _("There is no stage with id %(id)s.") % {"id": payload.stage}})
            pipeline.move_to_stage(opportunity, stage, by=user, expected_version=expected_version(request,
                                                                                                 payload.version))
            return api._answer(response, user, opportunity.pk)

    def add_close_route(self, router: Router) -> None:
        api = self

        @router.post("/{int:opportunity_id}/close", response={200: OpportunityOut, **ERRORS},
                     summary="Mark a deal won or lost",
                     description="Winning a deal on a prospect account makes the account a customer.",
                     operation_id="opportunity_close", url_name="opportunity_close")
        def close(request, opportunity_id: int, payload: CloseIn, response: HttpResponse):
            user = request.auth
            opportunity = get_for_user(Opportunity, user, opportunity_id)
            pipeline.close_opportunity(opportunity, payload.status, by=user, reason=payload.reason, note=payload.note,
                                       amount=payload.amount,
                                       expected_version=expected_version(request, payload.version))
            return api._answer(response, user, opportunity.pk)

    def add_reopen_route(self, router: Router) -> None:
        api = self

        @router.post("/{int:opportunity_id}/reopen", response={200: OpportunityOut, **ERRORS},
                     summary="Reopen a won or lost deal", operation_id="opportunity_reopen",
                     url_name="opportunity_reopen")
        def reopen(request, opportunity_id: int, payload: Versioned, response: HttpResponse):
            user = request.auth
            opportunity = get_for_user(Opportunity.objects.select_related("stage"), user, opportunity_id)
            pipeline.reopen_opportunity(opportunity, by=user,
                                        expected_version=expected_version(request, payload.version))
            return api._answer(response, user, opportunity.pk)


router = OpportunityAPI().router("opportunities")


# ---------- Pipeline stages ----------

class StageOut(Schema):
    id: int
    name: str
    order: int
    probability: int
    is_active: bool


class StageIn(InputSchema):
    name: str | None = None
    order: int | None = Field(None, ge=0)
    probability: int | None = Field(None, ge=0, le=100)
    is_active: bool | None = None


class StageCreate(StageIn):
    name: str


stages_router = Router(tags=["stages"])


def _check_admin(user) -> None:
    if not administers_organisation(user):
        raise PermissionDenied


def _save_stage(stage: PipelineStage, payload: StageIn, *, by) -> PipelineStage:
    """Through the stages page's form (the same checks), recorded in the stage's history."""
    changes = payload.dict(exclude_unset=True)
    for field, value in changes.items():
        if value is None:
            raise ValidationError({field: _("This field cannot be empty.")})
    data = {name: getattr(stage, name) for name in StageForm.Meta.fields} if stage.pk else {"is_active": True}
    form = StageForm({**data, **changes}, instance=stage)
    if not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    return people.save_structure(form, by=by)


@stages_router.get("", response={200: list[StageOut], **ERRORS}, summary="List the pipeline stages",
                   description="In pipeline order; `active=true` for the stages in use (the board's columns).",
                   operation_id="stage_list", url_name="stage_list")
def list_stages(request, active: bool | None = None):
    stages = PipelineStage.objects.all()
    return stages.filter(is_active=active) if active is not None else stages


@stages_router.post("", response={201: StageOut, **ERRORS}, summary="Create a pipeline stage (administrators)",
                    description="Recorded in the stage's history. Administrators of the organisation only (403).",
                    operation_id="stage_create", url_name="stage_create")
def create_stage(request, payload: StageCreate):
    _check_admin(request.auth)
    return Status(201, _save_stage(PipelineStage(), payload, by=request.auth))


@stages_router.patch("/{int:stage_id}", response={200: StageOut, **ERRORS},
                     summary="Change a pipeline stage (administrators)",
                     description="Renaming, reordering or re-weighting a stage does not change the deals in it; "
                                 "a stage taken out of use (`is_active: false`) leaves the board. Recorded in the "
                                 "stage's history. Administrators of the organisation only (403).",
                     operation_id="stage_update", url_name="stage_update")
def update_stage(request, stage_id: int, payload: StageIn):
    _check_admin(request.auth)
    stage = PipelineStage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise Http404
    return _save_stage(stage, payload, by=request.auth)



@stages_router.delete("/{int:stage_id}", response={204: None, **ERRORS},
                      summary="Delete a pipeline stage (administrators)",
                      description="Refused with 409 while deals are in the stage (those in the recycle bin too): "
                                  "move them, or take the stage out of use instead. Recorded in history. "
                                  "Administrators of the organisation only (403).",
                      operation_id="stage_delete", url_name="stage_delete")
def delete_stage(request, stage_id: int):
    _check_admin(request.auth)
    stage = PipelineStage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise Http404
    refused = delete_unless_in_use(stage, stage_in_use, by=request.auth)
    if refused:
        raise HttpError(409, refused)
    return Status(204, None)


# Path prefix → ninja Router, added to the API by vinculo.api.urls.
