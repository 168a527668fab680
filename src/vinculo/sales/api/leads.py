"""/api/v1/leads: list, create, read, change and delete leads, the accounts and contacts a lead may
already be (`/candidates`) and its conversion (`/convert`), through the same service as the page."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Schema

from vinculo.accounts.models import Account, Industry
from vinculo.contacts.models import Contact
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
    keeping_current,
    resolve_references,
    shown_if_visible,
)
from vinculo.core.money import Currency
from vinculo.core.validators import format_tax_id
from vinculo.marketing.models import Campaign
from vinculo.org.models import Territory

from ..conversion import conversion_candidates, convert_lead, refuse_if_converted
from ..models import Lead, PipelineStage, Source

HIDDEN = "Null also when it is not visible to you."
# A lead becomes converted only through POST /leads/{id}/convert.
SettableStatus = Literal[tuple(value for value in Lead.Status.values if value != Lead.Status.CONVERTED)]


class LeadOut(Schema):
    id: int
    version: int
    name: str
    first_name: str
    last_name: str
    title: str
    email: str
    phone: str
    phone_display: str
    company: str
    company_tax_id: str
    company_tax_id_display: str
    country: str
    city: str
    region: str
    website: str
    industry: Ref | None
    source: str
    campaign: Ref | None = Field(description=f"The source campaign. {HIDDEN}")
    status: str
    rating: str
    territory: Ref | None
    owner: Ref
    description: str
    converted_at: datetime | None
    converted_by: Ref | None
    converted_account: Ref | None = Field(description=f"What the lead became. {HIDDEN}")
    converted_contact: Ref | None = Field(description=HIDDEN)
    converted_opportunity: Ref | None = Field(description=HIDDEN)
    created_at: datetime
    updated_at: datetime

    resolve_campaign = shown_if_visible("campaign")
    resolve_converted_account = shown_if_visible("converted_account")
    resolve_converted_contact = shown_if_visible("converted_contact")
    resolve_converted_opportunity = shown_if_visible("converted_opportunity")

    @staticmethod
    def resolve_name(lead):
        return str(lead)

    @staticmethod
    def resolve_company_tax_id_display(lead):
        return format_tax_id(lead.company_tax_id, lead.country)


class LeadIn(InputSchema):
    """Fields a client may write. On PATCH only the keys sent change. Related records are given by id."""

    first_name: str = ""
    last_name: str = ""
    title: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    company_tax_id: str = Field("", description="RUT in Chile, NIF/CIF in Spain; checked and stored in compact form.")
    country: str = Field("CL", description="ISO code, e.g. CL, ES.")
    city: str = ""
    region: str = ""
    website: str = ""
    industry: int | None = None
    source: choice(Source) = Source.WEB
    campaign: int | None = Field(None, description="A campaign id you can see.")
    status: SettableStatus = Field(Lead.Status.NEW, description="“converted” is set by /leads/{id}/convert only.")
    rating: choice(Lead.Rating, blank=True) = ""
    territory: int | None = None
    owner: int | None = Field(None, description="A user id; defaults to you on creation.")
    description: str = ""


class LeadCreate(LeadIn):
    pass


class LeadPatch(LeadIn, Versioned):
    pass


class LeadFilters(FilterSchema):
    status: choice(Lead.Status) | None = None
    source: choice(Source) | None = None
    rating: choice(Lead.Rating) | None = None
    owner: int | None = None
    territory: int | None = Field(None, description="The territory and the ones below it.")
    campaign: int | None = None
    email: str | None = None


class LeadAPI(RecordAPI):
    model = Lead
    name, singular, plural = "lead", "a lead", "leads"
    Out, Create, Patch, Filters = LeadOut, LeadCreate, LeadPatch, LeadFilters
    id_name = "lead_id"
    indexed = True
    related = ("owner", "industry", "territory", "converted_by")
    guarded = ("campaign", "converted_account", "converted_contact", "converted_opportunity")
    lookups = {
        "status": "status", "source": "source", "rating": "rating", "owner": "owner_id", "campaign": "campaign_id",
        "email": "email__iexact",
    }
    ordering = (
        "id", "last_name", "first_name", "company", "email", "status", "rating", "source", "country", "created_at",
        "updated_at", "converted_at",
    )

    def filter(self, queryset, filters):
        queryset = super().filter(queryset, filters)
        if filters.territory is not None:
            territory = Territory.objects.filter(pk=filters.territory).first()
            queryset = queryset.filter(territory__path__startswith=territory.path) if territory else queryset.none()
        return queryset

    def references(self, user, record=None):
        return {
            "campaign": keeping_current(Campaign.objects.visible_to(user), record, "campaign"),
            "owner": active_users(), "industry": Industry.objects.all(), "territory": Territory.objects.all(),
        }

    def create(self, data, user):
        data.setdefault("owner", user)
        return super().create(data, user)

    def update(self, record, data, user, version):
        if record.is_converted and "status" in data:
            raise ValidationError({"status": _("A converted lead stays converted.")})
        super().update(record, data, user, version)


api = LeadAPI()
router = api.router("leads")


class AccountCandidateOut(Schema):
    id: int
    name: str
    tax_id: str
    account_type: str
    owner: Ref
    reasons: list[str] = Field(description="Why it may be the lead's company: tax_id, name, phone, email.")


class ContactCandidateOut(Schema):
    id: int
    name: str
    email: str
    account: Ref | None = Field(description=HIDDEN)
    reasons: list[str] = Field(description="Why it may be the lead's person: email, name, phone, company "
                                           "(works at a matching account).")


class CandidatesOut(Schema):
    accounts: list[AccountCandidateOut]
    contacts: list[ContactCandidateOut]


@router.get("/{int:lead_id}/candidates", response={200: CandidatesOut, **ERRORS},
            summary="Accounts and contacts a lead may already be",
            description="Among the records you can see: accounts with the lead's tax id, company name (ignoring "
                        "case, accents and the legal form), phone or email; contacts with its email or phone, or "
                        "its name at one of those accounts. Best match first.",
            operation_id="lead_candidates", url_name="lead_candidates")
def lead_candidates(request, lead_id: int):
    user = request.auth
    lead = get_for_user(Lead, user, lead_id)
    found = conversion_candidates(lead, user)
    return {
        "accounts": [
            {"id": c.record.pk, "name": str(c.record), "tax_id": c.record.tax_id,
             "account_type": c.record.account_type, "owner": c.record.owner, "reasons": c.reasons}
            for c in found.accounts
        ],
        "contacts": [
            {"id": c.record.pk, "name": str(c.record), "email": c.record.email,
             "account": c.record.account if c.record.account_visible else None, "reasons": c.reasons}
            for c in found.contacts
        ],
    }


class ConvertIn(InputSchema):
    account: int | None = Field(None, description="An existing account you can edit; null creates a prospect "
                                                  "account from the lead.")
    contact: int | None = Field(None, description="An existing contact you can edit; null creates one from the "
                                                  "lead (when it names a person).")
    create_opportunity: bool = True
    opportunity_name: str = Field("", description="Defaults to the account's name.")
    amount: Decimal | None = Field(None, ge=0)
    currency: choice(Currency) | None = Field(None, description="Defaults to your currency.")
    stage: int | None = Field(None, description="A pipeline stage id; defaults to the first active stage.")
    expected_close_date: date | None = None


class ConversionOut(Schema):
    lead: int
    account: int
    contact: int | None
    opportunity: int | None
    account_created: bool
    contact_created: bool


@router.post("/{int:lead_id}/convert", response={200: ConversionOut, **ERRORS}, summary="Convert a lead",
             description="Attaches the lead to an existing account and contact or creates them, optionally "
                         "creates an opportunity (source and campaign from the lead), and moves the lead's "
                         "activities, tasks, notes, files and campaign memberships over. A lead already "
                         "converted answers 422 and nothing changes.",
             operation_id="lead_convert", url_name="lead_convert")
def lead_convert(request, lead_id: int, payload: ConvertIn):
    user = request.auth
    lead = get_for_user(Lead.objects.select_related("converted_by"), user, lead_id, write=True)
    refuse_if_converted(lead)
    data = resolve_references(payload.dict(), {
        "account": Account.objects.visible_to(user), "contact": Contact.objects.visible_to(user),
        "stage": PipelineStage.objects.filter(is_active=True),
    })
    result = convert_lead(lead, by=user, account=data["account"], contact=data["contact"],
                          create_opportunity=data["create_opportunity"], opportunity_name=data["opportunity_name"],
                          amount=data["amount"], currency=data["currency"] or "", stage=data["stage"],
                          expected_close_date=data["expected_close_date"])
    return {
        "lead": lead.pk, "account": result.account.pk, "contact": result.contact.pk if result.contact else None,
        "opportunity": result.opportunity.pk if result.opportunity else None,
        "account_created": result.account_created, "contact_created": result.contact_created,
    }


# Path prefix → ninja Router, added to the API by vinculo.api.urls.
