"""/api/v1/competitors: every caller reads them; catalogue managers (permission `sales.manage_catalogue`)
create, change and delete them, else 403. `GET /competitors/{id}/deals` gives the win/loss record against
one, counted over the deals the caller may see."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from vinculo.core.access import get_for_user
from vinculo.core.api import ERRORS, FilterSchema, InputSchema, RecordAPI, Ref, Versioned
from vinculo.core.validators import normalize_phone

from ..models import Competitor, CompetitorContact
from ..totals import competitor_record
from .catalogue import CatalogueAPI


class CompetitorContactOut(Schema):
    id: int
    name: str
    title: str
    email: str
    phone: str


class CompetitorOut(Schema):
    id: int
    version: int
    name: str
    tax_id: str
    country: str
    website: str
    phone: str
    email: str
    products: str
    strengths: str
    weaknesses: str
    notes: str
    contacts: list[CompetitorContactOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_contacts(competitor):
        return competitor.contacts.all()


class CompetitorContactIn(InputSchema):
    name: str
    title: str = ""
    email: str = ""
    phone: str = ""


class CompetitorIn(InputSchema):
    name: str = ""
    tax_id: str = ""
    country: str = Field("CL", description="ISO code, e.g. CL, ES.")
    website: str = ""
    phone: str = ""
    email: str = ""
    products: str = ""
    strengths: str = ""
    weaknesses: str = ""
    notes: str = ""
    contacts: list[CompetitorContactIn] | None = Field(None, description="Replaces the competitor's contacts.")


class CompetitorCreate(CompetitorIn):
    name: str


class CompetitorPatch(CompetitorIn, Versioned):
    pass


class CompetitorFilters(FilterSchema):
    country: str | None = None


class DealRecordOut(Schema):
    won: int
    lost: int
    open: int
    win_rate: int | None = Field(description="Percent of the closed deals we won; null without closed deals.")
    latest: list[Ref] = Field(description="The most recently changed deals, at most 25.")

    @staticmethod
    def resolve_latest(record):
        return [entry.opportunity for entry in record["latest"]]


def _contacts(data: dict) -> list[CompetitorContact] | None:
    items = data.pop("contacts", None)
    if items is None:
        return None
    contacts = []
    for index, item in enumerate(items, start=1):
        contact = CompetitorContact(**item)
        try:
            contact.phone = normalize_phone(contact.phone, data.get("country") or "CL") if contact.phone else ""
            contact.full_clean(exclude=["competitor"])
        except ValidationError as exc:
            raise ValidationError({"contacts": _("Contact %(n)d: %(error)s") % {
                "n": index, "error": " ".join(exc.messages)}}) from exc
        contacts.append(contact)
    return contacts


def _set_contacts(competitor: Competitor, contacts: list[CompetitorContact] | None) -> None:
    if contacts is None:
        return
    competitor.contacts.all().delete()
    for contact in contacts:
        contact.competitor = competitor
    CompetitorContact.objects.bulk_create(contacts)


def _phone(data: dict, record=None) -> None:
    if data.get("phone"):
        country = data.get("country") or (record.country if record else "CL")
        try:
            data["phone"] = normalize_phone(data["phone"], country)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc


class CompetitorAPI(CatalogueAPI):
    model = Competitor
    name, singular, plural = "competitor", "a competitor", "competitors"
    Out, Create, Patch, Filters = CompetitorOut, CompetitorCreate, CompetitorPatch, CompetitorFilters
    id_name = "competitor_id"
    indexed = True
    lookups = {"country": "country__iexact"}
    ordering = ("id", "name", "country", "created_at", "updated_at")
    routes = (*RecordAPI.routes, "deals")

    def readable(self, queryset, user):
        return super().readable(queryset, user).prefetch_related("contacts")

    @transaction.atomic
    def create(self, data, user):
        contacts = _contacts(data)
        _phone(data)
        competitor = super().create(data, user)
        _set_contacts(competitor, contacts)
        return competitor

    @transaction.atomic
    def update(self, record, data, user, version):
        contacts = _contacts(data)
        _phone(data, record)
        super().update(record, data, user, version)
        _set_contacts(record, contacts)

    def add_deals_route(self, router: Router) -> None:
        @router.get("/{int:competitor_id}/deals", response={200: DealRecordOut, **ERRORS},
                    summary="Deals won and lost against a competitor",
                    description="Counted over the deals you can see.", operation_id="competitor_deals",
                    url_name="competitor_deals")
        def deals(request, competitor_id: int):
            user = request.auth
            return competitor_record(get_for_user(Competitor, user, competitor_id), user)


router = CompetitorAPI().router("competitors")

# Path prefix → ninja Router, added to the API by vinculo.api.urls.
