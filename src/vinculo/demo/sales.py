"""The demo's sales pipeline, built in bulk from the accounts already in the database.

Leads (some converted: their person became a contact of an existing account, with a deal, and their
interactions, notes and campaign attribution moved over), opportunities with contacts, product lines
and competitors, quotes with revisions, campaign members, and the calls, meetings and to-dos around
deals and leads. Everything is decided first (how many deals each account gets, which are won, which
quoted) so the totals match the size, then built a chunk of accounts at a time.

Consistency kept as the services keep it: a deal's amount is its lines' total when it has lines, a
closed deal has its closing day and a probability of 100 (won) or 0 (lost), a won deal's quote is
accepted and a lost one's rejected, earlier revisions are superseded, and a prospect with a won deal
is a customer.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db.models import F

from vinculo.accounts.models import Account, AccountTeamMember, Industry
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact
from vinculo.core import clock, search
from vinculo.core.models import ChangeLog, SearchEntry
from vinculo.core.money import quantize
from vinculo.customer360.models import Note
from vinculo.marketing.models import Campaign, CampaignMember
from vinculo.org.models import Territory
from vinculo.sales.models import (
    Lead,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    Quote,
    QuoteLine,
    Source,
)
from vinculo.sales.pipeline import active_stages
from vinculo.sales.quoting import line_amounts, totals_of

from . import phrases
from .catalogue import LIST_RATES, PRODUCTS, SERVICES, SPANISH_IVA, SPARES, Catalogue, rate_on
from .generators import CITIES, INDUSTRIES, Pools, Weighted, spread, weighted
from .organisation import ZONES, Organisation
from .records import RICH_ACCOUNT, given_timestamps

HORIZON_DAYS = 730
CHUNK = 2000
QUOTE_VALIDITY_DAYS = 30
TIME_ZONES = {"CL": ZoneInfo("America/Santiago"), "ES": ZoneInfo("Europe/Madrid")}
UNIT_NAMES = {"MIN": "Minería", "IND": "Industria", "RET": "Retail"}

_St = Opportunity.Status
STATUSES = Weighted([(_St.OPEN, 60), (_St.WON, 25), (_St.LOST, 15)])
# Open deals by stage (the pipeline narrows), and where lost deals stopped.
OPEN_STAGES = Weighted([(0, 26), (1, 22), (2, 20), (3, 18), (4, 14)])
LOST_STAGES = Weighted([(0, 10), (1, 20), (2, 25), (3, 25), (4, 20)])
_R = Opportunity.CloseReason
LOST_REASONS = Weighted([(_R.PRICE, 30), (_R.COMPETITOR, 25), (_R.TIMING, 15), (_R.NO_DECISION, 15),
                         (_R.PRODUCT_FIT, 8), (_R.RELATIONSHIP, 4), (_R.OTHER, 3)])
WON_REASONS = Weighted([(_R.NONE, 40), (_R.PRODUCT_FIT, 25), (_R.RELATIONSHIP, 20), (_R.PRICE, 15)])
# Deals per account by type; competitors and suppliers buy nothing from us.
DEAL_WEIGHTS = {Account.Type.CUSTOMER: 3.0, Account.Type.PROSPECT: 1.5, Account.Type.PARTNER: 0.8,
                Account.Type.OTHER: 0.3}
CL_CURRENCIES = Weighted([("CLP", 80), ("CLF", 12), ("USD", 8)])
# Median deal in pesos by business unit (log-normal); Spanish deals in euros.
MEDIAN_CLP = {"MIN": 40_000_000, "IND": 15_000_000, "RET": 6_000_000}
MEDIAN_EUR = 30_000
LINE_COUNTS = Weighted([(1, 30), (2, 30), (3, 25), (4, 15)])
DISCOUNTS = Weighted([(0, 50), (5, 25), (10, 15), (15, 10)])
QUANTITIES = {
    "unit": [1, 1, 2, 2, 3, 4, 6], "metre": [120, 250, 400, 800, 1200], "litre": [200, 400, 1000, 2000],
    "kg": [50, 100, 250, 500], "hour": [8, 16, 40, 80, 160], "day": [1, 2, 3, 5, 10], "month": [12, 12, 24, 36],
    "year": [1, 1, 2, 3], "licence": [1, 3, 5, 10, 20, 25], "service": [1],
}
SECONDARY_FAMILIES = {SPARES, SERVICES}
CHEAP_UNIT_PRICE = 200_000  # in pesos: below it, spare parts are bought by the dozen
_A = Activity.Kind
DEAL_KINDS = Weighted([(_A.CALL, 30), (_A.MEETING, 20), (_A.EMAIL, 25), (_A.VISIT, 10)])
DEAL_ACTIVITY_COUNTS = Weighted([(0, 40), (1, 35), (2, 20), (3, 5)])
LEAD_KINDS = Weighted([(_A.CALL, 40), (_A.EMAIL, 35), (_A.MEETING, 10)])
_O = Activity.Outcome
OUTCOMES = {_A.CALL: Weighted([(_O.POSITIVE, 35), (_O.NEUTRAL, 30), (_O.FOLLOW_UP, 20), (_O.NO_ANSWER, 15)]),
            _A.MEETING: Weighted([(_O.POSITIVE, 50), (_O.NEUTRAL, 25), (_O.FOLLOW_UP, 25)]),
            _A.VISIT: Weighted([(_O.POSITIVE, 50), (_O.NEUTRAL, 30), (_O.FOLLOW_UP, 20)]),
            _A.EMAIL: Weighted([(_O.NONE, 60), (_O.POSITIVE, 20), (_O.FOLLOW_UP, 20)])}
DURATIONS = {_A.CALL: [5, 10, 15, 20], _A.MEETING: [30, 45, 60, 90], _A.VISIT: [60, 120, 180]}
_L = Lead.Status
LEAD_STATUSES = Weighted([(_L.NEW, 25), (_L.CONTACTED, 25), (_L.QUALIFIED, 15), (_L.UNQUALIFIED, 20),
                          (_L.CONVERTED, 15)])
LEAD_SOURCES = Weighted([(Source.WEB, 25), (Source.CAMPAIGN, 20), (Source.TRADE_FAIR, 10), (Source.REFERRAL, 15),
                         (Source.COLD_CALL, 15), (Source.PARTNER, 5), (Source.PUBLIC_TENDER, 5), (Source.OTHER, 5)])
DEAL_SOURCES = {
    True: Weighted([(Source.EXISTING_CUSTOMER, 60), (Source.REFERRAL, 10), (Source.CAMPAIGN, 10),
                    (Source.PUBLIC_TENDER, 10), (Source.WEB, 5), ("", 5)]),
    False: Weighted([(Source.COLD_CALL, 25), (Source.WEB, 20), (Source.REFERRAL, 20), (Source.CAMPAIGN, 15),
                     (Source.TRADE_FAIR, 10), (Source.PUBLIC_TENDER, 5), ("", 5)]),
}
CAMPAIGN_KINDS = {Source.CAMPAIGN: {Campaign.Kind.MAILING, Campaign.Kind.WEBINAR, Campaign.Kind.TELEMARKETING,
                                    Campaign.Kind.SOCIAL_ADS, Campaign.Kind.EVENT},
                  Source.TRADE_FAIR: {Campaign.Kind.TRADE_FAIR, Campaign.Kind.EVENT}}
_M = CampaignMember.Response
RESPONSES = {
    Campaign.Kind.TRADE_FAIR: Weighted([(_M.ATTENDED, 70), (_M.RESPONDED, 30)]),
    Campaign.Kind.EVENT: Weighted([(_M.ATTENDED, 60), (_M.RESPONDED, 25), (_M.SENT, 15)]),
    Campaign.Kind.WEBINAR: Weighted([(_M.ATTENDED, 35), (_M.RESPONDED, 20), (_M.SENT, 45)]),
}
DEFAULT_RESPONSES = Weighted([(_M.SENT, 70), (_M.RESPONDED, 22), (_M.UNSUBSCRIBED, 8)])
# A contact's role in the purchase → their role on a deal.
_C = OpportunityContact.Role
DEAL_ROLES = {"decision_maker": _C.DECISION_MAKER, "economic_buyer": _C.ECONOMIC_BUYER, "influencer": _C.INFLUENCER,
              "technical_evaluator": _C.TECHNICAL, "user": _C.USER, "gatekeeper": _C.OTHER}
ACCOUNT_FIELDS = ("pk", "legal_name", "tax_id", "owner_id", "sales_team_id", "business_unit_id",
                  "business_unit__code", "country", "account_type", "territory_id", "employees", "industry_id")
CONTACT_FIELDS = ("account_id", "pk", "first_name", "last_name", "title", "department", "purchase_role")


@dataclass(slots=True)
class Deal:
    """One opportunity as planned, then built."""

    account: tuple
    zone: str
    status: str = _St.OPEN
    stage: int = 0
    owner_id: int | None = None
    created: date | None = None
    expected: date | None = None
    closed: date | None = None
    reason: str = ""
    revisions: int = 0
    with_lines: bool = False
    story: dict | None = None
    lead: "LeadPlan | None" = None
    record: Opportunity | None = None
    lines: list = field(default_factory=list)
    contact_ids: list = field(default_factory=list)


@dataclass(slots=True)
class LeadPlan:
    zone: str
    city: object
    owner_id: int
    status: str
    created: date
    source: str
    campaign: tuple | None = None  # (Campaign, CampaignPlan)
    account: tuple | None = None  # the account a converted lead became part of
    deal: Deal | None = None
    converted: date | None = None
    contact: Contact | None = None
    story: dict | None = None
    person: dict = field(default_factory=dict)
    record: Lead | None = None


@dataclass
class Built:
    records: dict = field(default_factory=lambda: defaultdict(list))
    activity_contacts: list = field(default_factory=list)  # (activity, [contact ids])


class SalesBuilder:
    def __init__(self, size, organisation: Organisation, catalogue: Catalogue, seed: int, progress=None):
        self.size = size
        self.org = organisation
        self.catalogue = catalogue
        self.progress = progress
        self.rng = random.Random(seed)
        self.pools = Pools(seed + 40, 2000)
        self.now = clock.now()
        self.today = clock.today()
        self.horizon = self.today - timedelta(days=HORIZON_DAYS)
        self.stages = active_stages()
        self.counts = defaultdict(int)
        self.quote_numbers = defaultdict(int)
        self.new_contacts: list[Contact] = []
        self.won_prospects: set[int] = set()
        self.winning_prospects: dict[int, bool] = {}
        self.zone_of_territory = self._zones_of_territories()
        self.industries = {industry.name: industry for industry in Industry.objects.all()}
        self.industries_by_pk = {industry.pk: industry for industry in self.industries.values()}
        self.account_team = defaultdict(list)
        for account_id, user_id in AccountTeamMember.objects.order_by("pk").values_list("account_id", "user_id"):
            self.account_team[account_id].append(user_id)
        self.sellers = {user.pk for zone in ZONES for user in (*organisation.reps[zone], organisation.managers[zone])}
        self.managers = {rep.pk: organisation.managers[zone].pk for zone in ZONES for rep in organisation.reps[zone]}
        self.products_by_market = self._products_by_market()

    # Entry point --------------------------------------------------------------------------------------

    def build(self) -> None:
        accounts = list(Account.objects.order_by("pk").values_list(*ACCOUNT_FIELDS, named=True))
        if not accounts or not self.stages:
            return
        leads = self._plan_leads(accounts)
        deals = self._plan_deals(accounts, leads)
        self._build_converted_contacts(leads)
        by_account = defaultdict(list)
        for deal in deals:
            by_account[deal.account.pk].append(deal)
        account_ids = sorted(by_account)
        for start in range(0, len(account_ids), CHUNK):
            self._build_deals(account_ids[start:start + CHUNK], by_account)
            if self.progress and (start // CHUNK) % 10 == 9:
                self.progress(f"  opportunities of {start + CHUNK:,} of {len(account_ids):,} accounts built "
                              f"({self.counts['Opportunity']:,} opportunities, {self.counts['Quote']:,} quotes)")
        self._build_leads(leads)
        self._build_campaign_contacts()
        self._make_customers()
        self._index_new_contacts()

    # Planning -----------------------------------------------------------------------------------------

    def _zones_of_territories(self) -> dict[int, str]:
        zones = {}
        for zone, data in ZONES.items():
            region = self.org.territories[data["region"]]
            for pk in Territory.objects.filter(path__startswith=region.path).values_list("pk", flat=True):
                zones[pk] = zone
        return zones

    def _zone(self, account) -> str:
        return self.zone_of_territory.get(account.territory_id) or ("espana" if account.country == "ES" else "centro")

    def _products_by_market(self) -> dict[str, list[str]]:
        markets = defaultdict(list)
        for code, *_rest, units, _description in PRODUCTS:
            if code in self.catalogue.products:
                for unit in units.split():
                    markets[unit].append(code)
        # Products added by users after the demo: offered everywhere.
        known = {code for code, *_ in PRODUCTS}
        for code in self.catalogue.products:
            if code not in known:
                for unit in ("MIN", "IND", "RET", "ES"):
                    markets[unit].append(code)
        return markets

    def _other_seller(self, account) -> int:
        """Someone else who works the account and may see it: a member of its account team or the owner's
        manager; the owner when there is nobody."""
        candidates = [user_id for user_id in self.account_team.get(account.pk, ()) if user_id in self.sellers]
        manager = self.managers.get(account.owner_id)
        if manager:
            candidates.append(manager)
        return self.rng.choice(candidates) if candidates else account.owner_id

    def _plan_leads(self, accounts) -> list[LeadPlan]:
        rng = self.rng
        by_zone = defaultdict(list)
        for account in accounts:
            if account.account_type in (Account.Type.PROSPECT, Account.Type.CUSTOMER):
                by_zone[self._zone(account)].append(account)
        story = self._minera_lead(accounts)
        plans = [story] if story else []
        for _ in range(self.size.leads - len(plans)):
            zone = weighted(rng, [("norte", 27), ("centro", 27), ("sur", 26), ("espana", 20)])
            status = LEAD_STATUSES.pick(rng)
            age = {_L.NEW: 45, _L.CONTACTED: 150}.get(status, HORIZON_DAYS - 30)
            created = self.today - timedelta(days=1 + int(age * rng.random() ** 1.3))
            owner = self.org.managers[zone] if rng.random() < 0.1 else rng.choice(self.org.reps[zone])
            source = LEAD_SOURCES.pick(rng)
            if source == Source.PUBLIC_TENDER and zone == "espana":
                source = Source.WEB
            plan = LeadPlan(zone=zone, city=rng.choice(CITIES[zone]), owner_id=owner.pk, status=status,
                            created=created, source=source)
            plan.campaign = self._campaign_for(source, zone, created)
            if plan.campaign:
                # A lead from a campaign arrives after it starts.
                plan.created = max(created, plan.campaign[0].start_date)
                if plan.created >= self.today:
                    plan.campaign, plan.source = None, Source.WEB
                    plan.created = created
            if status == _L.CONVERTED:
                candidates = by_zone[zone]
                if not candidates or (self.today - plan.created).days < 3:
                    plan.status = _L.QUALIFIED
                else:
                    plan.account = rng.choice(candidates)
                    plan.owner_id = plan.account.owner_id
                    plan.converted = min(plan.created + timedelta(days=rng.randint(2, 60)),
                                         self.today - timedelta(days=1))
            plans.append(plan)
        return plans

    def _campaign_for(self, source: str, zone: str, created: date):
        kinds = CAMPAIGN_KINDS.get(source)
        if not kinds:
            return None
        country = "ES" if zone == "espana" else "CL"
        unit = ZONES[zone]["unit"]
        fitting = [(campaign, plan) for campaign, plan in self.catalogue.campaigns
                   if campaign.kind in kinds and campaign.start_date and campaign.start_date <= self.today
                   and campaign.status != Campaign.Status.PLANNED
                   and (plan is None or (plan.country == country and (not plan.zones or zone in plan.zones.split())
                                         and (not plan.units or UNIT_NAMES.get(plan.units) == unit
                                              or self.rng.random() < 0.3)))]
        near = [pair for pair in fitting if pair[0].start_date <= created] or fitting
        return self.rng.choice(near) if near else None

    def _minera_lead(self, accounts) -> LeadPlan | None:
        """The story: a maintenance superintendent met at Exponor, converted into a contact and a deal."""
        minera = next((a for a in accounts if a.legal_name == RICH_ACCOUNT), None)
        exponor = next(((c, p) for c, p in self.catalogue.campaigns if c.name.startswith("Exponor")), None)
        if minera is None or exponor is None:
            return None
        fair = exponor[0].start_date
        converted = max(min(fair + timedelta(days=40), self.today - timedelta(days=25)), fair + timedelta(days=1))
        city = next(c for c in CITIES["norte"] if c.name == "Antofagasta")
        return LeadPlan(zone="norte", city=city, owner_id=minera.owner_id, status=_L.CONVERTED,
                        created=min(fair + timedelta(days=1), converted), source=Source.TRADE_FAIR, campaign=exponor,
                        account=minera, converted=converted,
                        story={"first": "Ignacio", "last": "Vergara Rojas", "title": "Superintendente de Mantenimiento",
                               "department": "Mantenimiento", "email": "ignacio.vergara@mineraatacama.cl"})

    def _plan_deals(self, accounts, leads: list[LeadPlan]) -> list[Deal]:
        rng = self.rng
        deals = []
        rich = next((a for a in accounts if a.legal_name == RICH_ACCOUNT), None)
        if rich is not None:
            deals += self._story_deals(rich, leads)
        for plan in leads:
            if plan.account is not None and plan.deal is None:
                deal = Deal(account=plan.account, zone=self._zone(plan.account), lead=plan, owner_id=plan.owner_id)
                self._plan_deal(deal, created=plan.converted)
                plan.deal = deal
                deals.append(deal)
        eligible = [a for a in accounts if a.account_type in DEAL_WEIGHTS and a.pk != getattr(rich, "pk", None)]
        remaining = max(self.size.opportunities - len(deals) - (self.size.rich_account_opportunities if rich else 0), 0)
        weights = [DEAL_WEIGHTS[a.account_type] * (2 if (a.employees or 0) >= 1000 else 1) * rng.uniform(0.3, 1.7)
                   for a in eligible]
        counts = spread(rng, remaining, weights, minimum=0) if eligible else []
        for account, count in [*zip(eligible, counts, strict=True),
                               *([(rich, self.size.rich_account_opportunities)] if rich else [])]:
            zone = self._zone(account)
            for _ in range(count):
                owner = account.owner_id if rng.random() < 0.85 else self._other_seller(account)
                deal = Deal(account=account, zone=zone, owner_id=owner)
                self._plan_deal(deal)
                deals.append(deal)
        self._plan_quotes(deals)
        return deals

    def _plan_deal(self, deal: Deal, created: date | None = None) -> None:
        rng, today = self.rng, self.today
        deal.status = STATUSES.pick(rng)
        prospect = deal.account.account_type == Account.Type.PROSPECT
        if prospect and deal.status == _St.WON and not self._may_win(deal.account):
            deal.status = _St.OPEN
        if deal.status == _St.OPEN:
            deal.created = created or today - timedelta(days=1 + int(300 * rng.random() ** 1.5))
            deal.stage = OPEN_STAGES.pick(rng)
            earliest = deal.created + timedelta(days=14)
            deal.expected = max(today + timedelta(days=rng.randint(-30, 365)), earliest)
            return
        if created is not None:
            latest = (today - created).days - 1
            if latest < 10:
                deal.status, deal.created = _St.OPEN, created
                deal.stage = OPEN_STAGES.pick(rng)
                deal.expected = today + timedelta(days=rng.randint(14, 120))
                return
            deal.closed = created + timedelta(days=rng.randint(10, min(latest, 240)))
            deal.created = created
        else:
            # A prospect becomes a customer by winning: its first deals won are recent ones.
            back = rng.randint(1, 75) if prospect and deal.status == _St.WON else 1 + int(700 * rng.random() ** 1.2)
            deal.closed = today - timedelta(days=back)
            deal.created = max(deal.closed - timedelta(days=rng.randint(15, 240)), self.horizon)
        if prospect and deal.status == _St.WON and (today - deal.closed).days > 75:
            deal.status = _St.LOST
        deal.expected = deal.closed + timedelta(days=rng.randint(-20, 30))
        if deal.status == _St.WON:
            deal.stage = len(self.stages) - 1 if rng.random() < 0.8 else max(len(self.stages) - 2, 0)
            deal.reason = WON_REASONS.pick(rng)
            if prospect:
                self.won_prospects.add(deal.account.pk)
        else:
            deal.stage = LOST_STAGES.pick(rng)
            deal.reason = LOST_REASONS.pick(rng)
        deal.stage = min(deal.stage, len(self.stages) - 1)

    def _may_win(self, account) -> bool:
        """Whether a prospect wins a deal in the demo (and so becomes a customer): one in five."""
        if account.pk not in self.winning_prospects:
            self.winning_prospects[account.pk] = self.rng.random() < 0.2
        return self.winning_prospects[account.pk]

    def _plan_quotes(self, deals: list[Deal]) -> None:
        """Quote the deals that reached a proposal, in random order, until the size's number of quotes."""
        rng = self.rng
        proposal = max(len(self.stages) - 2, 0)
        total = sum(deal.revisions for deal in deals)
        eligible = [deal for deal in deals if deal.stage >= proposal and not deal.story]
        rng.shuffle(eligible)
        for deal in eligible:
            if total >= self.size.quotes:
                break
            if deal.status == _St.LOST:
                deal.revisions = weighted(rng, [(1, 80), (2, 20)])
            elif deal.status == _St.WON or deal.stage > proposal:
                deal.revisions = weighted(rng, [(1, 60), (2, 35), (3, 5)])
            else:
                deal.revisions = weighted(rng, [(1, 90), (2, 10)])
            total += deal.revisions
        for deal in deals:
            if not deal.story:
                deal.with_lines = deal.revisions > 0 or rng.random() < 0.4

    def _story_deals(self, minera, leads: list[LeadPlan]) -> list[Deal]:
        """Minera Atacama's open deals, one per stage, the one in negotiation quoted twice with competitors."""
        today = self.today
        lead = next((plan for plan in leads if plan.account is minera and plan.story), None)
        stories = [
            dict(name="Cambio de revestimientos del molino SAG 36'", stage=4, currency="CLF", revisions=2,
                 lines=[("REP-003", 1, 5), ("SRV-004", 1, 0), ("SRV-005", 1, 0)], close_in=25,
                 competitors=["Tecnomin SpA", "Andes Industrial S.A."],
                 next_step="Esperar la orden de compra; negociar pago a 60 días"),
            dict(name="Bombas de pulpa para la planta concentradora", stage=3, currency="CLP", revisions=1,
                 lines=[("EQM-001", 3, 5), ("REP-001", 6, 0), ("SRV-004", 1, 0)], close_in=50,
                 competitors=["Andes Industrial S.A."], next_step="Presentar la propuesta al comité de compras"),
            dict(name="Licencias Vigía para monitoreo de la planta", stage=2, currency="USD", revisions=0,
                 lines=[("SW-001", 20, 10), ("SW-002", 1, 0), ("SW-006", 1, 0)], close_in=90, lead=True,
                 competitors=["Minerotec Chile SpA"], next_step="Visita técnica a la planta concentradora"),
            dict(name="Sistema de supresión de polvo en chancado primario", stage=1, currency="CLP", revisions=0,
                 amount=Decimal("67500000"), close_in=150, next_step="Confirmar presupuesto disponible"),
            dict(name="Servicio técnico 24/7 en faena", stage=0, currency="CLF", revisions=0,
                 amount=Decimal("2800"), close_in=210, next_step="Identificar quién decide la compra"),
        ]
        deals = []
        for story in stories:
            stage = min(story["stage"], len(self.stages) - 1)
            deal = Deal(account=minera, zone="norte", owner_id=minera.owner_id, status=_St.OPEN, stage=stage,
                        created=today - timedelta(days=20 + 25 * (5 - stage)),
                        expected=today + timedelta(days=story["close_in"]), revisions=story["revisions"],
                        with_lines="lines" in story, story=story)
            if story.get("lead") and lead is not None:
                deal.lead, lead.deal = lead, deal
                deal.created = lead.converted
            deals.append(deal)
        return deals

    # Building: contacts of converted leads ------------------------------------------------------------

    def _person(self, plan: LeadPlan) -> dict:
        """Name, title and details of a lead's person (drawn once, kept on the plan)."""
        if plan.story:
            return plan.story
        country = "ES" if plan.zone == "espana" else "CL"
        first, last = self.pools.person(country)
        title, _level, purchase_role, department = self.pools.title(country)
        return {"first": first, "last": last, "title": title, "department": department, "role": purchase_role}

    def _build_converted_contacts(self, leads: list[LeadPlan]) -> None:
        rng, contacts = self.rng, []
        for plan in leads:
            person = plan.person = self._person(plan)
            if plan.account is None:
                continue
            account = plan.account
            domain = _domain_of(account, self.pools)
            email = person.get("email") or self.pools.email(person["first"], person["last"], domain)
            moment = self._moment(account.country, plan.converted)
            contact = Contact(
                owner_id=plan.owner_id, account_id=account.pk, first_name=person["first"], last_name=person["last"],
                title=person["title"], department=person["department"], email=email,
                mobile=self.pools.mobile(account.country if account.country == "ES" else "CL"),
                purchase_role=person.get("role", Contact.PurchaseRole.INFLUENCER), country=account.country,
                city=plan.city.name, created_by_id=plan.owner_id, updated_by_id=plan.owner_id,
                created_at=moment, updated_at=moment,
                description=rng.choice(["", "Convertido desde un lead."]),
            )
            plan.contact = contact
            contacts.append(contact)
        with given_timestamps(Contact):
            Contact.objects.bulk_create(contacts, batch_size=1000)
        self.new_contacts = contacts
        self.counts["Contact"] += len(contacts)
        if self.size.history:
            _history(contacts)

    # Building: deals ----------------------------------------------------------------------------------

    def _contacts_of(self, account_ids: list[int]) -> dict[int, list]:
        wanted = set(account_ids)
        found = defaultdict(list)
        rows = (Contact.objects.filter(account_id__gte=min(account_ids), account_id__lte=max(account_ids))
                .order_by("pk").values_list(*CONTACT_FIELDS, named=True))
        for row in rows:
            if row.account_id in wanted:
                found[row.account_id].append(row)
        return found

    def _build_deals(self, account_ids: list[int], by_account: dict) -> None:
        contacts = self._contacts_of(account_ids)
        built = Built()
        for account_id in account_ids:
            for deal in by_account[account_id]:
                self._deal(deal, contacts.get(account_id, []), built)
        records = built.records
        with given_timestamps(Opportunity, Quote, Activity):
            Opportunity.objects.bulk_create(records[Opportunity], batch_size=1000)
            for model, rows in ((OpportunityLine, records[OpportunityLine]),
                                (OpportunityContact, records[OpportunityContact]),
                                (OpportunityCompetitor, records[OpportunityCompetitor])):
                for row in rows:
                    row.opportunity_id = row.opportunity.pk
                model.objects.bulk_create(rows, batch_size=2000)
            for quote in records[Quote]:
                quote.opportunity_id = quote.opportunity.pk
            Quote.objects.bulk_create(records[Quote], batch_size=1000)
            for line in records[QuoteLine]:
                line.quote_id = line.quote.pk
            QuoteLine.objects.bulk_create(records[QuoteLine], batch_size=2000)
            for activity in records[Activity]:
                activity.opportunity_id = activity.deal.pk
            Activity.objects.bulk_create(records[Activity], batch_size=1000)
        Activity.contacts.through.objects.bulk_create(
            [Activity.contacts.through(activity_id=activity.pk, contact_id=contact_id)
             for activity, contact_ids in built.activity_contacts for contact_id in contact_ids],
            batch_size=2000,
        )
        for model in (Opportunity, Quote, Activity):
            self.counts[model.__name__] += len(records[model])
        if self.size.history:
            for model in (Opportunity, Quote, Activity):
                _history(records[model])
        # Keep memory flat on the large set: only a converted lead still needs its deal's record.
        for account_id in account_ids:
            for deal in by_account.pop(account_id):
                if deal.lead is None:
                    deal.record, deal.lines = None, []

    def _deal(self, deal: Deal, contacts: list, built: Built) -> None:
        rng, account, story = self.rng, deal.account, deal.story or {}
        spain = account.country == "ES"
        unit = "ES" if spain else (account.business_unit__code or "IND")
        currency = story.get("currency") or ("EUR" if spain else CL_CURRENCIES.pick(rng))
        if currency not in self.catalogue.price_lists:
            currency = "EUR" if spain else "CLP"
        stage = self.stages[deal.stage]
        names = phrases.OPPORTUNITY_NAMES.get(UNIT_NAMES.get(account.business_unit__code, "Industria"),
                                              phrases.OPPORTUNITY_NAMES["Industria"])
        words = _Words(self, account, deal)
        chosen = self._choose_contacts(deal, contacts)
        if chosen:
            words.values["first"] = chosen[0][2]
        if deal.with_lines:
            deal.lines = self._lines(story, unit, currency)
        name = story.get("name") or self._name(deal, names, words)
        won, lost = deal.status == _St.WON, deal.status == _St.LOST
        probability = 100 if won else 0 if lost else stage.probability
        if deal.status == _St.OPEN and not story and rng.random() < 0.15:
            probability = max(5, min(95, probability + rng.choice([-10, -5, 5, 10])))
        created_at = self._moment(account.country, deal.created)
        source, campaign = self._deal_source(deal, account)
        opportunity = Opportunity(
            name=name[:200], account_id=account.pk, owner_id=deal.owner_id, sales_team_id=account.sales_team_id,
            business_unit_id=account.business_unit_id, stage=stage, probability=probability, currency=currency,
            status=deal.status, close_reason=deal.reason, expected_close_date=deal.expected, closed_on=deal.closed,
            source=source, campaign_id=campaign.pk if campaign else None,
            next_step=(story.get("next_step") or words.fill(rng.choice(phrases.NEXT_STEPS[min(deal.stage, 4)])))
            if deal.status == _St.OPEN else "",
            description=rng.choice(["", "", "Proyecto incluido en el presupuesto de inversiones del año.",
                                    "Reemplazo de equipos con más de 15 años de uso.",
                                    "Compra recurrente; el cliente pide precio por volumen."]),
            created_by_id=deal.owner_id, updated_by_id=deal.owner_id, created_at=created_at,
            updated_at=self._moment(account.country, deal.closed) if deal.closed else created_at,
        )
        if deal.closed:
            notes = phrases.WON_NOTES if won else phrases.LOST_NOTES.get(deal.reason, [""])
            opportunity.close_note = rng.choice(notes)
        deal.record = opportunity
        built.records[Opportunity].append(opportunity)
        if deal.lines:
            opportunity.amount = quantize(sum((_net(q, p, d) for _c, q, p, d in deal.lines), Decimal(0)), currency)
            built.records[OpportunityLine] += [
                OpportunityLine(opportunity=opportunity, product=self.catalogue.products[code],
                                description=self.catalogue.products[code].name, quantity=Decimal(quantity),
                                unit_price=price, discount_percent=Decimal(discount))
                for code, quantity, price, discount in deal.lines
            ]
        else:
            opportunity.amount = story.get("amount") or self._amount(account, unit, currency, deal.created)
        deal.contact_ids = [pk for pk, _role, _first in chosen]
        built.records[OpportunityContact] += [
            OpportunityContact(opportunity=opportunity, contact_id=pk, role=role, is_primary=index == 0)
            for index, (pk, role, _first) in enumerate(chosen)
        ]
        self._deal_competitors(deal, unit, story, built)
        if deal.revisions:
            self._quotes(deal, currency, built)
        self._deal_activities(deal, contacts, built, words)

    def _name(self, deal: Deal, names: list[str], words: "_Words") -> str:
        """A deal with an estimated order is named after its first product; the others after what the
        account's business unit sells."""
        if not deal.lines:
            return words.fill(self.rng.choice(names))
        product = self.catalogue.products[deal.lines[0][0]]
        templates = phrases.NAMES_BY_FAMILY.get(product.family)
        if not templates:
            return words.fill(self.rng.choice(names))
        item = product.name
        if item.startswith("Vigía"):
            templates = phrases.VIGIA_NAMES
        elif item[1:2].islower():
            item = item[0].lower() + item[1:]
        words.values.update(item=item, item_upper=item[0].upper() + item[1:])
        return words.fill(self.rng.choice(templates))

    def _deal_source(self, deal: Deal, account):
        rng = self.rng
        if deal.lead is not None:
            return deal.lead.source, deal.lead.campaign[0] if deal.lead.campaign else None
        source = DEAL_SOURCES[account.account_type == Account.Type.CUSTOMER].pick(rng)
        if source == Source.PUBLIC_TENDER and account.country == "ES":
            source = Source.WEB
        campaign = None
        if source in CAMPAIGN_KINDS:
            pair = self._campaign_for(source, deal.zone, deal.created)
            if pair and pair[0].start_date <= deal.created:
                campaign = pair[0]
            elif source == Source.TRADE_FAIR:
                source = Source.REFERRAL
        return source, campaign

    def _lines(self, story: dict, unit: str, currency: str) -> list[tuple]:
        """(product code, quantity, unit price, discount %) of the deal's estimated order."""
        rng, prices = self.rng, self.catalogue.prices
        if story.get("lines"):
            return [(code, quantity, prices[currency, code], discount) for code, quantity, discount in story["lines"]
                    if (currency, code) in prices]
        candidates = [code for code in self.products_by_market[unit] if (currency, code) in prices]
        if not candidates:
            return []
        # The first line is what the deal is about (a machine, a contract, software); the others go with it.
        main = [code for code in candidates if self.catalogue.products[code].family not in SECONDARY_FAMILIES]
        first = rng.choice(main or candidates)
        others = [code for code in candidates if code != first]
        lines = []
        for code in [first, *rng.sample(others, min(LINE_COUNTS.pick(rng) - 1, len(others)))]:
            product = self.catalogue.products[code]
            quantity = rng.choice(QUANTITIES.get(product.unit, [1]))
            if product.unit == "unit":
                pesos = prices.get(("CLP", code)) or prices[currency, code] * LIST_RATES.get(currency, 1)
                if pesos < CHEAP_UNIT_PRICE:
                    quantity *= rng.choice([6, 12, 24])
                elif pesos >= 50_000_000:
                    quantity = rng.choice([1, 1, 1, 2])
            lines.append((code, quantity, prices[currency, code], DISCOUNTS.pick(self.rng)))
        return lines

    def _amount(self, account, unit: str, currency: str, day: date) -> Decimal:
        rng = self.rng
        large = 2 if (account.employees or 0) >= 1000 else 1
        if currency == "EUR":
            amount = min(max(MEDIAN_EUR * large * rng.lognormvariate(0, 1.0), 1500), 2_500_000)
            return Decimal(round(amount, -2))
        pesos = min(max(MEDIAN_CLP.get(unit, 15_000_000) * large * rng.lognormvariate(0, 1.0), 500_000),
                    2_500_000_000)
        if currency == "CLP":
            return Decimal(round(pesos, -5 if pesos > 10_000_000 else -4))
        value = Decimal(pesos) / rate_on(currency, day)
        step = 10 if currency == "CLF" else 100
        return max(Decimal(step), (value / step).quantize(Decimal(1)) * step)

    def _choose_contacts(self, deal: Deal, contacts: list) -> list[tuple]:
        """(contact id, role on the deal, first name) of 1-3 of the account's people, the primary one first;
        a deal from a converted lead starts with the lead's person, its champion."""
        rng = self.rng
        chosen = []
        if deal.lead is not None and deal.lead.contact is not None:
            contact = deal.lead.contact
            chosen.append((contact.pk, _C.CHAMPION, contact.first_name))
        if contacts:
            for row in rng.sample(contacts, min(len(contacts), rng.choice([1, 1, 2, 2, 3]))):
                if row.pk not in {pk for pk, *_ in chosen}:
                    chosen.append((row.pk, DEAL_ROLES.get(row.purchase_role, _C.INFLUENCER), row.first_name))
        return chosen[:3]

    def _deal_competitors(self, deal: Deal, unit: str, story: dict, built: Built) -> None:
        rng = self.rng
        fitting = [competitor for competitor, units in self.catalogue.competitors if unit in units.split()]
        if story.get("competitors"):
            chosen = [c for c in fitting if c.name in story["competitors"]]
        elif fitting and (deal.reason == _R.COMPETITOR or rng.random() < 0.3):
            chosen = rng.sample(fitting, min(len(fitting), weighted(rng, [(1, 70), (2, 30)])))
        else:
            return
        _Res = OpportunityCompetitor.Result
        for index, competitor in enumerate(chosen):
            if deal.status == _St.OPEN:
                result = _Res.PENDING
            elif deal.status == _St.WON:
                result = _Res.WE_WON
            else:
                result = _Res.THEY_WON if deal.reason == _R.COMPETITOR and index == 0 else _Res.NO_DECISION
            built.records[OpportunityCompetitor].append(OpportunityCompetitor(
                opportunity=deal.record, competitor=competitor, result=result,
                strengths=rng.choice(phrases.COMPETITOR_STRENGTHS), weaknesses=rng.choice(phrases.COMPETITOR_WEAKNESSES),
            ))

    def _quotes(self, deal: Deal, currency: str, built: Built) -> None:
        """The deal's quote and its revisions: the last one carries the deal's lines, earlier ones less discount."""
        rng, account, opportunity = self.rng, deal.account, deal.record
        if not deal.lines:
            return
        end = deal.closed or self.today
        start = max(deal.created, end - timedelta(days=60))
        span = max((end - start).days, 0)
        days = sorted(start + timedelta(days=rng.randint(0, span)) for _ in range(deal.revisions))
        if deal.story and deal.status == _St.OPEN:
            # A story's open deal is being negotiated now: its last revision is still valid, whatever the draw.
            days[-1] = max(days[-1], self.today - timedelta(days=QUOTE_VALIDITY_DAYS // 2))
            days = sorted(days)
        number = self._quote_number(days[0])
        spain = account.country == "ES"
        contact_id = deal.contact_ids[0] if deal.contact_ids else None
        price_list = self.catalogue.price_lists.get(currency)
        for revision, issued in enumerate(days, start=1):
            last = revision == deal.revisions
            less = 5 * (deal.revisions - revision)
            lines = [(code, quantity, price, max(discount - less, 0)) for code, quantity, price, discount in deal.lines]
            if not last and lines == deal.lines:
                code, quantity, price, discount = lines[0]
                lines[0] = (code, quantity + 1, price, discount)
            status, sent_at, decided_at, decision = Quote.Status.SENT, self._moment(account.country, issued), None, ""
            if not last:
                status = Quote.Status.SUPERSEDED
            elif deal.status == _St.WON:
                status, decided_at = Quote.Status.ACCEPTED, self._moment(account.country, deal.closed)
                decision = rng.choice(phrases.ACCEPTANCE_NOTES)
            elif deal.status == _St.LOST:
                status, decided_at = Quote.Status.REJECTED, self._moment(account.country, deal.closed)
                decision = rng.choice(phrases.REJECTION_NOTES)
            elif not deal.story and deal.revisions == 1 and rng.random() < 0.15:
                status, sent_at = Quote.Status.DRAFT, None
            if status == Quote.Status.SENT and issued + timedelta(days=QUOTE_VALIDITY_DAYS) < self.today:
                status = Quote.Status.EXPIRED  # what the scheduled job (sales.quoting.expire_quotes) makes of it
            issued_at = self._moment(account.country, issued)
            quote = Quote(
                opportunity=opportunity, number=number, revision=revision, status=status, contact_id=contact_id,
                owner_id=deal.owner_id, price_list=price_list, currency=currency, issued_on=issued,
                valid_until=issued + timedelta(days=QUOTE_VALIDITY_DAYS), terms=self.catalogue.profile.quote_terms,
                notes=rng.choice(phrases.QUOTE_NOTES), sent_at=sent_at, decided_at=decided_at,
                decision_note=decision, created_by_id=deal.owner_id, updated_by_id=deal.owner_id,
                created_at=issued_at, updated_at=decided_at or sent_at or issued_at,
            )
            quote_lines = []
            for position, (code, quantity, price, discount) in enumerate(lines, start=1):
                product = self.catalogue.products[code]
                quote_lines.append(QuoteLine(
                    quote=quote, position=position, product=product, description=product.name,
                    quantity=Decimal(quantity), unit=product.unit, unit_price=price,
                    discount_percent=Decimal(discount),
                    tax_rate=SPANISH_IVA if spain and product.tax_rate else product.tax_rate,
                ))
            compute_totals(quote, quote_lines)
            built.records[Quote].append(quote)
            built.records[QuoteLine] += quote_lines

    def _quote_number(self, day: date) -> str:
        self.quote_numbers[day.year] += 1
        return f"COT-{day.year}-{self.quote_numbers[day.year]:05d}"

    def _deal_activities(self, deal: Deal, contacts: list, built: Built, words: "_Words") -> None:
        rng, account = self.rng, deal.account
        end = deal.closed or self.today
        count = DEAL_ACTIVITY_COUNTS.pick(rng) + (4 if deal.story else 0)
        for _ in range(count):
            kind = DEAL_KINDS.pick(rng)
            span = max((end - deal.created).days, 0)
            day = deal.created + timedelta(days=rng.randint(0, span))
            moment = min(self._moment(account.country, day), self.now - timedelta(minutes=5))
            activity = self._activity(kind, Activity.Status.DONE, moment, moment, deal.owner_id, account_id=account.pk,
                                      subject=words.fill(rng.choice(phrases.DEAL_SUBJECTS[kind])))
            activity.deal = deal.record  # saved below: its id is set then
            built.records[Activity].append(activity)
            if deal.contact_ids and rng.random() < 0.7:
                built.activity_contacts.append((activity, [rng.choice(deal.contact_ids)]))
        if deal.status == _St.OPEN and (deal.story or rng.random() < 0.35):
            due = self._moment(account.country, self.today + timedelta(days=rng.randint(1, 30)), future=True)
            created = max(self._moment(account.country, deal.created), self.now - timedelta(days=rng.randint(1, 10)))
            activity = self._activity(_A.CALL, Activity.Status.PLANNED, due, min(created, self.now), deal.owner_id,
                                      account_id=account.pk, subject=deal.record.next_step or deal.record.name)
            activity.deal = deal.record  # saved below: its id is set then
            built.records[Activity].append(activity)

    def _activity(self, kind, status, occurred_at, created_at, owner_id, subject, **links) -> Activity:
        rng = self.rng
        done = status == Activity.Status.DONE
        activity = Activity(
            kind=kind, status=status, subject=subject[:200], occurred_at=occurred_at, owner_id=owner_id,
            outcome=OUTCOMES[kind].pick(rng) if done and kind in OUTCOMES else "",
            duration_minutes=rng.choice(DURATIONS[kind]) if kind in DURATIONS else None,
            direction=rng.choice([Activity.Direction.OUTBOUND, Activity.Direction.OUTBOUND, Activity.Direction.INBOUND])
            if kind in (_A.CALL, _A.EMAIL) else "",
            created_by_id=owner_id, updated_by_id=owner_id, created_at=created_at, updated_at=created_at, **links,
        )
        return activity

    # Building: leads ----------------------------------------------------------------------------------

    def _build_leads(self, plans: list[LeadPlan]) -> None:
        rng = self.rng
        built = Built()
        notes, members = [], []
        for plan in plans:
            lead = self._lead(plan)
            plan.record = lead
            built.records[Lead].append(lead)
        with given_timestamps(Lead):
            Lead.objects.bulk_create(built.records[Lead], batch_size=1000)
        for plan in plans:
            lead, person = plan.record, plan.person
            company = lead.company or "la empresa"
            words = {"first": person["first"], "company": company, "short": self._short(plan.zone),
                     "sitio": "su planta"}
            converted = plan.account is not None
            end = plan.converted or self.today
            count = {_L.NEW: rng.choice([0, 0, 1]), _L.UNQUALIFIED: rng.randint(1, 2)}.get(plan.status,
                                                                                            rng.randint(1, 4))
            if plan.story:
                count = 3
            for _ in range(count):
                kind = LEAD_KINDS.pick(rng)
                day = plan.created + timedelta(days=rng.randint(0, max((end - plan.created).days, 0)))
                moment = min(self._moment(plan.city.country, day), self.now - timedelta(minutes=5))
                if converted:
                    moment = min(moment, self._moment(plan.city.country, plan.converted))
                subject = rng.choice(phrases.LEAD_SUBJECTS[kind]).format_map(words)
                links = ({"account_id": plan.account.pk} if converted else {"lead_id": lead.pk})
                activity = self._activity(kind, Activity.Status.DONE, moment, moment, plan.owner_id, subject, **links)
                if converted:
                    activity.opportunity_id = plan.deal.record.pk if plan.deal and plan.deal.record else None
                    built.activity_contacts.append((activity, [plan.contact.pk]))
                built.records[Activity].append(activity)
            if not converted and plan.status in (_L.NEW, _L.CONTACTED, _L.QUALIFIED) and rng.random() < 0.3:
                due = self._moment(plan.city.country, self.today + timedelta(days=rng.randint(1, 20)), future=True)
                subject = rng.choice(phrases.LEAD_SUBJECTS["task"]).format_map(words)
                built.records[Activity].append(self._activity(
                    _A.CALL, Activity.Status.PLANNED, due, self.now - timedelta(hours=rng.randint(1, 48)),
                    plan.owner_id, subject, lead_id=lead.pk))
            if plan.story or rng.random() < 0.25:
                moment = self._moment(plan.city.country, plan.converted or plan.created)
                body = rng.choice(phrases.LEAD_NOTES).format_map(words)
                note = Note(title=rng.choice(["", "", "Calificación", "Ojo"]), body=body, created_at=moment,
                            updated_at=moment, created_by_id=plan.owner_id, updated_by_id=plan.owner_id)
                if converted:
                    note.account_id, note.contact_id = plan.account.pk, plan.contact.pk
                else:
                    note.lead_id = lead.pk
                notes.append(note)
            if plan.campaign:
                campaign = plan.campaign[0]
                response = RESPONSES.get(campaign.kind, DEFAULT_RESPONSES).pick(rng)
                if response == _M.UNSUBSCRIBED:
                    response = _M.RESPONDED
                member = CampaignMember(campaign=campaign, response=response,
                                        added_at=self._moment(plan.city.country, plan.created))
                if converted:
                    member.contact_id = plan.contact.pk
                else:
                    member.member = lead
                members.append(member)
        with given_timestamps(Activity, Note):
            Activity.objects.bulk_create(built.records[Activity], batch_size=1000)
            Note.objects.bulk_create(notes, batch_size=1000)
        Activity.contacts.through.objects.bulk_create(
            [Activity.contacts.through(activity_id=activity.pk, contact_id=contact_id)
             for activity, contact_ids in built.activity_contacts for contact_id in contact_ids],
            batch_size=2000,
        )
        with _added_at_kept():
            CampaignMember.objects.bulk_create(members, batch_size=2000)
        converted = [plan.record for plan in plans if plan.account is not None]
        for plan in plans:
            if plan.account is not None and plan.deal is not None and plan.deal.record is not None:
                plan.record.converted_opportunity_id = plan.deal.record.pk
        Lead.objects.bulk_update(converted, ["converted_opportunity"], batch_size=1000)
        self.counts["Lead"] += len(plans)
        self.counts["Activity"] += len(built.records[Activity])
        if self.size.history:
            _history(built.records[Lead])
            _history(built.records[Activity])
            _history(notes)

    def _short(self, zone: str) -> str:
        unit = ZONES[zone]["unit"]
        return self.rng.choice(phrases.PRODUCTS.get(unit, phrases.PRODUCTS["Industria"]))[2]

    def _lead(self, plan: LeadPlan) -> Lead:
        rng, pools, person = self.rng, self.pools, plan.person
        country = plan.city.country
        if plan.account is not None:
            company, tax_id = plan.account.legal_name, plan.account.tax_id
            domain = _domain_of(plan.account, pools)
            industry = self.industries_by_pk.get(plan.account.industry_id)
        else:
            _name, _sic, unit, words = rng.choice([row for row in INDUSTRIES
                                                   if row[2] == ZONES[plan.zone]["unit"] or rng.random() < 0.3])
            company, _trade, legal_form = pools.company(country, words)
            tax_id = self._tax_id(country, legal_form) if rng.random() < 0.35 else ""
            domain = pools.domain(company, country)
            industry = self.industries.get(_name)
        email = person.get("email") or pools.email(person["first"], person["last"], domain)
        if rng.random() < 0.15 and not plan.story:
            email = ""
        moment = self._moment(country, plan.created)
        lead = Lead(
            first_name=person["first"], last_name=person["last"], title=person["title"], email=email,
            phone=pools.mobile(country) if rng.random() < 0.6 else pools.landline(plan.city),
            company=company, company_tax_id=tax_id, country=country, city=plan.city.name, region=plan.city.region,
            website=f"https://www.{domain}" if rng.random() < 0.5 else "", industry=industry, source=plan.source,
            campaign=plan.campaign[0] if plan.campaign else None, status=plan.status,
            rating=weighted(rng, [(Lead.Rating.HOT, 2), (Lead.Rating.WARM, 4), (Lead.Rating.COLD, 3), ("", 2)]),
            territory=self.org.territories[plan.city.territory], owner_id=plan.owner_id,
            description=rng.choice(phrases.LEAD_DESCRIPTIONS).format(short=self._short(plan.zone), sitio="su planta"),
            created_by_id=plan.owner_id, updated_by_id=plan.owner_id, created_at=moment, updated_at=moment,
        )
        if plan.status == _L.UNQUALIFIED:
            reason = rng.choice(phrases.UNQUALIFIED_REASONS)
            lead.description = " ".join(filter(None, [lead.description, reason]))
        if plan.account is not None:
            converted_at = self._moment(country, plan.converted)
            lead.converted_at = lead.updated_at = converted_at
            lead.converted_by_id = plan.owner_id
            lead.converted_account_id = plan.account.pk
            lead.converted_contact_id = plan.contact.pk
            lead.territory_id = plan.account.territory_id or lead.territory_id
        return lead

    def _tax_id(self, country: str, legal_form: str) -> str:
        from stdnum.cl import rut
        from stdnum.es import cif

        # Newer companies than the accounts' (76-78 million): no lead shares an account's RUT by chance.
        if country == "CL":
            body = str(self.rng.randint(78_000_000, 79_999_999))
            return body + rut.calc_check_digit(body)
        number = ("A" if legal_form == "S.A." else "B") + f"{self.rng.randint(0, 9_999_999):07d}"
        return number + cif.calc_check_digits(number)[0]

    # Campaign members: contacts reached by the campaigns ------------------------------------------------

    def _build_campaign_contacts(self) -> None:
        rng = self.rng
        taken = set(CampaignMember.objects.filter(contact__isnull=False).values_list("campaign_id", "contact_id"))
        pool = defaultdict(list)
        for pk, unit, country in (Contact.objects.filter(account__isnull=False)
                                  .values_list("pk", "account__business_unit__code", "account__country")):
            pool["ES" if country == "ES" else "CL"].append(pk)
            if country != "ES":
                pool[unit].append(pk)
        members = []
        for campaign, plan in self.catalogue.campaigns:
            if plan is None:
                continue
            candidates = pool[plan.units] if plan.units and plan.country == "CL" else pool[plan.country]
            if not candidates:
                continue
            wanted = max(3, int(self.size.campaign_contacts * rng.uniform(0.5, 1.5)))
            responses = RESPONSES.get(campaign.kind, DEFAULT_RESPONSES)
            added = datetime.combine(campaign.start_date, time(10), tzinfo=TIME_ZONES[plan.country])
            for contact_id in rng.sample(candidates, min(wanted, len(candidates))):
                if (campaign.pk, contact_id) in taken:
                    continue
                response = _M.PLANNED if campaign.status == Campaign.Status.PLANNED else responses.pick(rng)
                members.append(CampaignMember(campaign=campaign, contact_id=contact_id, response=response,
                                              added_at=min(added, self.now)))
        with _added_at_kept():
            CampaignMember.objects.bulk_create(members, batch_size=2000)

    # Finishing ----------------------------------------------------------------------------------------

    def _make_customers(self) -> None:
        """Prospects that won a deal are customers now, recorded in their history as `make_customer` does."""
        prospects = list(Account.objects.filter(pk__in=self.won_prospects, account_type=Account.Type.PROSPECT)
                         .values_list("pk", "legal_name", "relationship_status", "owner_id"))
        if not prospects:
            return
        Account.objects.filter(pk__in=[row[0] for row in prospects]).update(
            account_type=Account.Type.CUSTOMER, relationship_status=Account.Relationship.ACTIVE,
            version=F("version") + 1,
        )
        if self.size.history:
            content_type = ContentType.objects.get_for_model(Account)
            type_field = Account._meta.get_field("account_type")
            status_field = Account._meta.get_field("relationship_status")
            labels_type, labels_status = dict(type_field.flatchoices), dict(status_field.flatchoices)
            ChangeLog.objects.bulk_create([
                ChangeLog(content_type=content_type, object_id=pk, action=ChangeLog.Action.UPDATE, user_id=owner_id,
                          at=self.now, record_label=name[:300], changes=[
                              {"field": "account_type", "label": str(type_field.verbose_name),
                               "old": str(labels_type[Account.Type.PROSPECT]),
                               "new": str(labels_type[Account.Type.CUSTOMER])},
                              {"field": "relationship_status", "label": str(status_field.verbose_name),
                               "old": str(labels_status.get(status, status)),
                               "new": str(labels_status[Account.Relationship.ACTIVE])},
                          ])
                for pk, name, status, owner_id in prospects
            ])

    def _index_new_contacts(self) -> None:
        kind = search.kind_of(Contact)
        contacts = Contact.objects.filter(pk__in=[c.pk for c in self.new_contacts]).select_related("account")
        SearchEntry.objects.bulk_create(
            [SearchEntry(kind=kind, object_id=c.pk, body=search.fold(c.search_text())) for c in contacts],
            batch_size=2000, ignore_conflicts=True,
        )

    # Helpers ------------------------------------------------------------------------------------------

    def _moment(self, country: str, day: date, future: bool = False) -> datetime:
        """A working-hours moment of `day` (weekends moved to Monday: never before the day asked for), not
        after now unless `future`."""
        if day.weekday() >= 5:
            day += timedelta(days=7 - day.weekday())
        minute = self.rng.randint(8 * 60 + 30, 18 * 60 + 30)
        moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=TIME_ZONES.get(country, TIME_ZONES["CL"]))
        if future:
            return max(moment, self.now + timedelta(hours=1))
        return min(moment, self.now)


def _domain_of(account, pools: Pools) -> str:
    return pools.domain(account.legal_name, "ES" if account.country == "ES" else "CL")


def _net(quantity, price: Decimal, discount) -> Decimal:
    return Decimal(quantity) * price * (100 - Decimal(discount)) / 100


def compute_totals(quote: Quote, lines: list[QuoteLine]) -> None:
    """Line amounts and quote totals exactly as `sales.quoting` keeps them (without its queries)."""
    for line in lines:
        line.net_amount, line.tax_amount, line.total_amount = line_amounts(
            line.quantity, line.unit_price, line.discount_percent, line.tax_rate, quote.currency)
    totals = totals_of(((line.quantity, line.unit_price, line.discount_percent, line.tax_rate) for line in lines),
                       quote.currency)
    quote.subtotal, quote.discount_total = totals.subtotal, totals.discount_total
    quote.tax_total, quote.total = totals.tax_total, totals.total


class _Words:
    """The {slots} of the sales phrases for one deal, each drawn only when a template names it."""

    def __init__(self, builder: SalesBuilder, account, deal: Deal):
        self.builder, self.account, self.deal = builder, account, deal
        self.values = {}

    def fill(self, template: str) -> str:
        return template.format_map(_Slots(self))


class _Slots(dict):
    def __init__(self, words: _Words):
        super().__init__(words.values)
        self.words = words

    def __missing__(self, key):
        words, rng = self.words, self.words.builder.rng
        spain = words.account.country == "ES"
        vocabulary = phrases.VOCABULARY["ES" if spain else "CL"]
        unit = UNIT_NAMES.get(words.account.business_unit__code, "Industria")
        if key in vocabulary:
            value = vocabulary[key]
        elif key == "short":
            value = rng.choice(phrases.PRODUCTS[unit])[2]
        elif key == "sitio":
            value = rng.choice(phrases.SITES[unit])
        elif key == "year":
            value = (words.deal.expected or words.builder.today).year
        elif key == "name":
            value = words.deal.record.name if words.deal.record else ""
        elif key == "first":
            value = "el cliente"
        else:
            raise KeyError(key)
        words.values[key] = self[key] = value
        return value


class _added_at_kept:
    """Let bulk_create keep the `added_at` we set on campaign members."""

    def __enter__(self):
        self.field = CampaignMember._meta.get_field("added_at")
        self.saved = self.field.auto_now_add
        self.field.auto_now_add = False

    def __exit__(self, *exc):
        self.field.auto_now_add = self.saved


def _history(records: list) -> None:
    if not records:
        return
    content_type = ContentType.objects.get_for_model(type(records[0]))
    ChangeLog.objects.bulk_create(
        [ChangeLog(content_type=content_type, object_id=record.pk, action=ChangeLog.Action.CREATE,
                   user_id=record.created_by_id, at=record.created_at, record_label=str(record)[:300])
         for record in records],
        batch_size=1000,
    )

