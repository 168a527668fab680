"""/api/v1/campaigns: list, create, read, change and delete campaigns (RecordAPI conventions)."""

from datetime import date, datetime

from ninja import Field, Schema

from vinculo.core.api import FilterSchema, InputSchema, RecordAPI, Ref, Versioned, active_users, choice

from .models import Campaign


class CampaignOut(Schema):
    id: int
    version: int
    name: str
    kind: str
    status: str
    start_date: date | None
    end_date: date | None
    owner: Ref
    description: str
    created_at: datetime
    updated_at: datetime


class CampaignIn(InputSchema):
    name: str = ""
    kind: choice(Campaign.Kind) = Campaign.Kind.MAILING
    status: choice(Campaign.Status) = Campaign.Status.PLANNED
    start_date: date | None = None
    end_date: date | None = None
    owner: int | None = Field(None, description="A user id; defaults to you on creation.")
    description: str = ""


class CampaignCreate(CampaignIn):
    name: str


class CampaignPatch(CampaignIn, Versioned):
    pass


class CampaignFilters(FilterSchema):
    kind: choice(Campaign.Kind) | None = None
    status: choice(Campaign.Status) | None = None
    owner: int | None = None


class CampaignAPI(RecordAPI):
    model = Campaign
    name, singular, plural = "campaign", "a campaign", "campaigns"
    Out, Create, Patch, Filters = CampaignOut, CampaignCreate, CampaignPatch, CampaignFilters
    id_name = "campaign_id"
    indexed = True
    related = ("owner",)
    lookups = {"kind": "kind", "status": "status", "owner": "owner_id"}
    ordering = ("id", "name", "kind", "status", "start_date", "end_date", "created_at", "updated_at")

    def references(self, user, record=None):
        return {"owner": active_users()}

    def create(self, data, user):
        data.setdefault("owner", user)
        return super().create(data, user)


router = CampaignAPI().router("campaigns")

# Path prefix → ninja Router, added to the API by vinculo.api.urls.
