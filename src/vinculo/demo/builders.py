"""`vinculo demo`: the demo organisation, its companies and their Customer 360 records, built in bulk.

Records go in with `bulk_create` in batches (no per-row signals), then the search index is rebuilt
once. Loading happens in three stages, each one transaction: the companies (accounts, addresses,
contacts), then what hangs from them (assets, contracts, invoices, payments, notes, content
deliveries, files, activities), then sales (the catalogue, campaigns and exchange rates; leads,
opportunities, quotes). A stage runs when the database has none of its records, so a second run
changes nothing and a database loaded before a stage existed gets it on the next run.
"""

import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import connection, transaction

from vinculo.accounts.models import Account, AccountTeamMember, Address, Industry, Invoice
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact, ContactAccountLink
from vinculo.core import clock, search
from vinculo.core.models import ChangeLog, SearchEntry, TrackedModel
from vinculo.customer360.models import DocumentVersion
from vinculo.marketing.models import Campaign, CampaignMember
from vinculo.org.models import User
from vinculo.plans.models import BusinessPlan, Notification, Objective, PlanTransition
from vinculo.sales.models import (
    Competitor,
    Lead,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    Product,
    Quote,
    QuoteLine,
)
from vinculo.work.models import Project, Task, TimeEntry

from .bulk_plans import top_up_plans
from .catalogue import load_catalogue
from .generators import (
    CITIES,
    COMMERCIAL_REPORTS,
    CREDIT_BEHAVIOUR,
    DESCRIPTIONS,
    INDUSTRIES,
    OTHER_SUPPLIERS,
    RISK_ANALYSIS,
    Pools,
    spread,
    weighted,
)
from .organisation import ZONES, Organisation, load_organisation
from .plans import build_plans
from .records import MODELS as RECORD_MODELS
from .records import RecordBuilder
from .sales import SalesBuilder
from .work import load_work

# Sales records hanging from the accounts, children first (what `--reset` empties).
SALES_MODELS = [QuoteLine, Quote, OpportunityLine, OpportunityCompetitor, OpportunityContact, CampaignMember,
                Opportunity, Lead]
# Types the sales stage makes searchable.
SEARCHABLE_SALES = [Lead, Opportunity, Quote, Product, Competitor, Campaign]


@dataclass(frozen=True)
class Size:
    accounts: int
    contacts: int
    # Activities and invoices in all; Minera Atacama, the account demos open first, gets the most activities.
    activities: int
    invoices: int
    rich_account_activities: int
    extra_reps_per_zone: int = 0
    # Contacts on each named account: the account page benchmark needs one with many.
    named_account_contacts: int = 6
    # Share of accounts with files (each file is written to the storage).
    document_share: float = 1.0
    # A "created" history entry per record; skipped for the benchmark set to keep it quick to build.
    history: bool = True
    # Sales: quotes count revisions; Minera Atacama gets its story's deals plus this many.
    leads: int = 150
    opportunities: int = 400
    quotes: int = 150
    rich_account_opportunities: int = 12
    # Contacts each campaign reached, on average (leads from campaigns come on top).
    campaign_contacts: int = 15
    # Business plans in all: the story's (demo/plans.py), then generated ones up to this number.
    plans: int = 0
    # Work: tasks and time entries in all, beyond each rep's few (0: those only).
    tasks: int = 0
    time_entries: int = 0


SIZES = {
    "small": Size(accounts=60, contacts=250, activities=2_500, invoices=700, rich_account_activities=400),
    "large": Size(accounts=50_000, contacts=250_000, activities=2_000_000, invoices=520_000,
                  rich_account_activities=6_000, extra_reps_per_zone=6, named_account_contacts=120,
                  document_share=0.02, history=False, leads=20_000, opportunities=210_000, quotes=30_000,
                  rich_account_opportunities=60, campaign_contacts=1_500, plans=20_000, tasks=500_000,
                  time_entries=1_000_000),
}
ZONE_WEIGHTS = [("norte", 27), ("centro", 27), ("sur", 26), ("espana", 20)]
CHUNK = 2000

_T, _RT = Account.Type, Account.Rating
# Accounts that are easy to find in a demo or a browser test: (legal name, trade name, zone, owner,
# industry, type, rating, city, parent's legal name)
NAMED_ACCOUNTS = [
    ("Grupo Atacama S.A.", "Grupo Atacama", "norte", "vendedor.norte", "Minería del cobre", _T.CUSTOMER, _RT.HOT,
     "Antofagasta", None),
    ("Minera Atacama SpA", "Minera Atacama", "norte", "vendedor.norte", "Minería del cobre", _T.CUSTOMER, _RT.HOT,
     "Antofagasta", "Grupo Atacama S.A."),
    ("Atacama Servicios Mineros Ltda.", "", "norte", "vendedor.norte", "Servicios a la minería", _T.CUSTOMER,
     _RT.WARM, "Calama", "Grupo Atacama S.A."),
    ("Perforaciones El Loa SpA", "", "norte", "gerente.norte", "Servicios a la minería", _T.PROSPECT, _RT.WARM,
     "Calama", None),
    ("Supermercados del Maipo S.A.", "Súper Maipo", "centro", "vendedora.centro", "Supermercados", _T.CUSTOMER,
     _RT.WARM, "Santiago", None),
    ("Pesquera Austral Ltda.", "Pesquera Austral", "sur", "vendedor.sur", "Pesca y acuicultura", _T.CUSTOMER,
     _RT.HOT, "Puerto Montt", None),
    ("Constructora Biobío S.A.", "", "sur", "gerente.sur", "Construcción", _T.CUSTOMER, _RT.COLD, "Concepción",
     None),
    ("Distribuciones Ibéricas S.L.", "", "espana", "comercial.madrid", "Distribución mayorista de alimentos",
     _T.CUSTOMER, _RT.WARM, "Madrid", None),
    ("Bodegas Montes de Toledo S.L.", "", "espana", "gerente.espana", "Vinos", _T.PROSPECT, _RT.WARM, "Madrid",
     None),
]


@dataclass
class Result:
    size: Size
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    users: int = 0
    seconds: float = 0

    def summary(self, size_name: str) -> str:
        counts = ", ".join(f"{count:,} {name}" for name, count in self.counts.items())
        counts += f", {self.users} users"
        if self.created:
            return f"Demo data ({size_name}) loaded in {self.seconds:.1f} s: {counts}."
        smaller = self.counts["accounts"] < self.size.accounts
        hint = f" Use --reset to replace them with the {size_name} set." if smaller else ""
        return f"Demo data already present ({counts}); nothing changed.{hint}"


def load_demo(size: Size, reset: bool = False, seed: int = 2, progress=None) -> Result:
    """Load what the database lacks of the demo; `progress` receives a line of text now and then."""
    started = time.monotonic()
    with transaction.atomic():
        if reset:
            delete_records()
        build_companies = not Account.all_objects.exists()
        organisation = load_organisation(size.extra_reps_per_zone if build_companies else 0)
        if build_companies:
            _Builder(size, organisation, seed).build()
            search.rebuild(Account)
            search.rebuild(Contact)
    with transaction.atomic():
        # Invoices or activities in the database, even in the recycle bin, mean this stage already ran.
        build_records = not (Invoice.all_objects.exists() or Activity.all_objects.exists())
        if build_records:
            RecordBuilder(size, seed, progress).build()
            for model in RECORD_MODELS:
                if model.search_text is not TrackedModel.search_text:
                    search.rebuild(model)
    with transaction.atomic():
        catalogue = load_catalogue(organisation.users, clock.today(), size.history)
        # Leads or opportunities in the database, even in the recycle bin, mean this stage already ran.
        build_sales = Account.objects.exists() and not (
            Opportunity.all_objects.exists() or Lead.all_objects.exists())
        if build_sales:
            SalesBuilder(size, organisation, catalogue, seed, progress).build()
        if build_sales or catalogue.created:
            for model in SEARCHABLE_SALES:
                search.rebuild(model)
    with transaction.atomic():
        # Plans in the database, even in the recycle bin, mean this stage already ran.
        build_plans_stage = Account.objects.exists() and not BusinessPlan.all_objects.exists()
        if build_plans_stage:
            build_plans(organisation.users)
            search.rebuild(BusinessPlan)
    with transaction.atomic():
        # The benchmark's volume of plans, topped up to the size's number (none on the small set).
        topped_up = top_up_plans(size.plans, seed, progress) if size.plans and Account.objects.exists() else 0
    with transaction.atomic():
        # Projects, tasks and time: once, after the accounts exist.
        built_work = (load_work(seed, size.tasks, size.time_entries, progress)
                      if Account.objects.exists() else 0)
        if built_work:
            # Written in bulk (no events reach the search index): indexed here, like the other stages' records.
            for model in (Project, Task):
                indexed = search.rebuild(model)
                if progress:
                    progress(f"  {indexed:,} {model._meta.verbose_name_plural} indexed for search")
    if build_companies or build_records or build_sales or build_plans_stage or topped_up or built_work:
        with connection.cursor() as cursor:
            # Fresh planner statistics: without them SQLite takes `deleted_at IS NULL` for a selective
            # index condition and reads all contacts to show one account's page (measured by bench/).
            cursor.execute("ANALYZE")
    return Result(
        size=size, created=build_companies or build_records or build_sales or build_plans_stage or bool(topped_up)
        or bool(built_work) or bool(catalogue.created),
        users=User.objects.count(),
        counts={"accounts": Account.all_objects.count(), "contacts": Contact.all_objects.count(),
                "activities": Activity.all_objects.count(), "invoices": Invoice.all_objects.count(),
                "leads": Lead.all_objects.count(), "opportunities": Opportunity.all_objects.count(),
                "quotes": Quote.all_objects.count(), "plans": BusinessPlan.all_objects.count(),
                "tasks": Task.all_objects.count()},
        seconds=time.monotonic() - started,
    )


def delete_records() -> None:
    """Remove every account and contact with everything that hangs from them, leads, deals and business
    plans included (global objectives too: the plans stage makes them again) (for `--reset`); the catalogue,
    campaigns and exchange rates stay."""
    models = (Account, Address, Contact, *RECORD_MODELS, Lead, Opportunity, Quote, BusinessPlan, Objective)
    ChangeLog.objects.filter(content_type__in=ContentType.objects.get_for_models(*models).values()).delete()
    SearchEntry.objects.filter(kind__in=[search.kind_of(m) for m in models]).delete()
    stored = list(DocumentVersion.objects.values_list("file", flat=True))
    # Plain DELETEs, children first: the ORM would load millions of activities to cascade by hand.
    for model in [TimeEntry, Task, Project, Activity.contacts.through, Activity.participants.through,
                  DocumentVersion, *reversed(RECORD_MODELS), *SALES_MODELS, Notification, PlanTransition, Objective,
                  BusinessPlan]:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    transaction.on_commit(lambda: [default_storage.delete(name) for name in stored])
    ContactAccountLink.objects.all().delete()
    Contact.all_objects.all().delete()
    AccountTeamMember.objects.all().delete()
    Address.all_objects.all().delete()
    Account.all_objects.update(parent=None)
    Account.all_objects.all().delete()


class _Builder:
    def __init__(self, size: Size, organisation: Organisation, seed: int):
        self.size = size
        self.org = organisation
        self.pools = Pools(seed, size.accounts)
        self.rng = self.pools.rng
        self.industries = {}
        for name, sic, unit, words in INDUSTRIES:
            industry, _ = Industry.objects.get_or_create(name=name, defaults={"sic_code": sic})
            self.industries[name] = (industry, unit, words)
        self.cities = {city.name: (zone, city) for zone, cities in CITIES.items() for city in cities}
        self.now = clock.now()

    def build(self) -> None:
        plans = [self._named_plan(entry) for entry in NAMED_ACCOUNTS]
        plans += [self._random_plan() for _ in range(self.size.accounts - len(plans))]
        for plan, count in zip(plans, self._contact_counts(len(NAMED_ACCOUNTS)), strict=True):
            plan["contacts"] = count
        for start in range(0, len(plans), CHUNK):
            self._build_chunk(plans[start:start + CHUNK])

    # Planning: who owns what, where -------------------------------------------------------------------

    def _contact_counts(self, named: int) -> list[int]:
        """Contacts per account, summing to the size's total: the named accounts get a fixed number."""
        others = self.size.accounts - named
        remaining = self.size.contacts - named * self.size.named_account_contacts
        weights = [self.rng.randint(1, 8) for _ in range(others)]
        return [self.size.named_account_contacts] * named + spread(self.rng, remaining, weights)

    def _named_plan(self, entry) -> dict:
        legal_name, trade_name, zone, owner, industry, account_type, rating, city, parent = entry
        self.pools.used_names.add(legal_name)
        legal_form = legal_name.rsplit(" ", 1)[-1]
        return {
            "zone": zone, "city": self.cities[city][1], "owner": self.org.users[owner], "industry": industry,
            "legal_name": legal_name, "trade_name": trade_name, "legal_form": legal_form, "type": account_type,
            "rating": rating, "parent": parent, "financial": True, "large": True,
        }

    def _random_plan(self) -> dict:
        rng = self.rng
        zone = weighted(rng, ZONE_WEIGHTS)
        country = "ES" if zone == "espana" else "CL"
        city = rng.choice(CITIES[zone])
        # Reps own most accounts; their manager keeps a few key ones.
        owner = self.org.managers[zone] if rng.random() < 0.08 else rng.choice(self.org.reps[zone])
        industry = rng.choice(INDUSTRIES)[0]
        legal_name, trade_name, legal_form = self.pools.company(country, self.industries[industry][2])
        account_type = weighted(rng, [(_T.CUSTOMER, 50), (_T.PROSPECT, 35), (_T.PARTNER, 5), (_T.SUPPLIER, 5),
                                      (_T.COMPETITOR, 3), (_T.OTHER, 2)])
        return {
            "zone": zone, "city": city, "owner": owner, "industry": industry, "legal_name": legal_name,
            "trade_name": trade_name, "legal_form": legal_form, "type": account_type,
            "rating": weighted(rng, [(_RT.HOT, 2), (_RT.WARM, 4), (_RT.COLD, 3), ("", 1)]),
            "parent": None, "financial": rng.random() < 0.4, "large": False,
        }

    # Building -----------------------------------------------------------------------------------------

    def _build_chunk(self, plans: list[dict]) -> None:
        accounts = Account.objects.bulk_create([self._account(plan) for plan in plans], batch_size=500)
        self._link_parents(plans, accounts)
        Address.objects.bulk_create(
            [address for plan, account in zip(plans, accounts, strict=True)
             for address in self._addresses(plan, account)],
            batch_size=1000,
        )
        AccountTeamMember.objects.bulk_create(
            [member for plan, account in zip(plans, accounts, strict=True)
             for member in self._team(plan, account)],
            batch_size=1000,
        )
        contacts = Contact.objects.bulk_create(
            [contact for plan, account in zip(plans, accounts, strict=True)
             for contact in self._contacts(plan, account)],
            batch_size=1000,
        )
        ContactAccountLink.objects.bulk_create(self._cross_links(contacts, accounts), batch_size=1000)
        if self.size.history:
            self._history(accounts)
            self._history(contacts)

    def _account(self, plan: dict) -> Account:
        rng, pools = self.rng, self.pools
        zone, city = plan["zone"], plan["city"]
        country = city.country
        industry, unit, _ = self.industries[plan["industry"]]
        employees, revenue = pools.size(country, large=plan["large"])
        account_type = plan["type"]
        is_customer = account_type == _T.CUSTOMER
        domain = pools.domain(plan["legal_name"], country)
        support = rng.choice(self.org.reps[zone]) if rng.random() < 0.3 else None
        account = Account(
            owner=plan["owner"], created_by=plan["owner"], updated_by=plan["owner"],
            business_unit=self.org.units[unit], office=self.org.offices[ZONES[zone]["office"]],
            supervisor=self.org.managers[zone], support_user=support,
            sales_team=self.org.teams[zone] if rng.random() < 0.4 else None,
            legal_name=plan["legal_name"], trade_name=plan["trade_name"], country=country,
            tax_id=pools.tax_id(country, plan["legal_form"]), phone=pools.landline(city),
            email=f"contacto@{domain}", website=f"https://www.{domain}",
            industry=industry, account_type=account_type, employees=employees, annual_revenue=revenue,
            rating=plan["rating"], territory=self.org.territories[city.territory],
            purchase_methods=pools.purchase_methods(country),
            buying_frequency=rng.choice(Account.Frequency.values) if is_customer else "",
            preferred_channel=rng.choice(Account.Channel.values),
            currency="EUR" if country == "ES" else "CLP",
            relationship_status=(
                weighted(rng, [(Account.Relationship.ACTIVE, 7), (Account.Relationship.AT_RISK, 2),
                               (Account.Relationship.DORMANT, 1)])
                if is_customer else Account.Relationship.NEW
            ),
            description=rng.choice(DESCRIPTIONS) if rng.random() < 0.3 else "",
        )
        if is_customer:
            account.credit_limit = (revenue * rng.randint(1, 5) / 100).quantize(Decimal("1"))
            account.discount_level = Decimal(rng.choice([0, 0, 2, 3, 5, 8, 10, 12, 15]))
            account.payment_behaviour = weighted(
                rng, zip(Account.PaymentBehaviour.values, (6, 3, 1, 0.2), strict=True)
            )
            account.sales_target = (revenue * rng.randint(2, 20) / 1000).quantize(Decimal("1"))
            account.potential = account.sales_target * rng.randint(2, 4)
        if plan["financial"]:
            account.credit_behaviour = rng.choice(CREDIT_BEHAVIOUR)
            account.commercial_reports = rng.choice(COMMERCIAL_REPORTS[country])
            account.credit_bureau_status = weighted(rng, [(Account.BureauStatus.CLEAN, 9),
                                                          (Account.BureauStatus.FLAGGED, 1)])
            account.risk_analysis = rng.choice(RISK_ANALYSIS)
            account.bank_details = pools.bank_details(country)
            account.other_suppliers = rng.choice(OTHER_SUPPLIERS)
            account.credit_grade = weighted(rng, zip(Account.CreditGrade.values, (3, 4, 2, 1, 0.5), strict=True))
        return account

    def _link_parents(self, plans: list[dict], accounts: list[Account]) -> None:
        """The named groups, plus a few subsidiaries of an earlier company in the same zone (one level deep)."""
        by_name = {account.legal_name: account for account in accounts}
        holdings = {zone: [] for zone in ZONES}
        children = []
        for plan, account in zip(plans, accounts, strict=True):
            parent = by_name.get(plan["parent"]) if plan["parent"] else None
            if parent is None and holdings[plan["zone"]] and self.rng.random() < 0.05:
                parent = self.rng.choice(holdings[plan["zone"]])
            if parent is not None:
                account.parent = parent
                children.append(account)
            else:
                holdings[plan["zone"]].append(account)
        Account.objects.bulk_update(children, ["parent"], batch_size=500)

    def _addresses(self, plan: dict, account: Account) -> list[Address]:
        city = plan["city"]
        kinds = [Address.Kind.BILLING] + ([Address.Kind.SHIPPING] if self.rng.random() < 0.6 else [])
        return [
            Address(
                account=account, kind=kind, street=self.pools.street(city.country), city=city.name,
                municipality=city.name, province=city.province, region=city.region, postal_code=self.pools.postal_code(city), country=city.country,
                created_by=account.owner, updated_by=account.owner,
            )
            for kind in kinds
        ]

    def _team(self, plan: dict, account: Account) -> list[AccountTeamMember]:
        zone = plan["zone"]
        members = {}
        if self.rng.random() < 0.4:
            members[self.org.managers[zone]] = (AccountTeamMember.Role.ACCOUNT_MANAGER, AccountTeamMember.Access.EDIT)
        if self.rng.random() < 0.3:
            colleague = self.rng.choice(self.org.reps[zone])
            members[colleague] = (AccountTeamMember.Role.PRESALES, AccountTeamMember.Access.READ)
        if plan["financial"] and self.rng.random() < 0.3:
            members[self.org.users["finanzas"]] = (AccountTeamMember.Role.FINANCE, AccountTeamMember.Access.READ)
        members.pop(account.owner, None)
        return [AccountTeamMember(account=account, user=user, role=role, access=access)
                for user, (role, access) in members.items()]

    def _contacts(self, plan: dict, account: Account) -> list[Contact]:
        rng, pools, city = self.rng, self.pools, plan["city"]
        country = city.country
        domain = account.email.split("@", 1)[1]
        emails, contacts = set(), []
        for _ in range(plan["contacts"]):
            first, last = pools.person(country)
            title, level, purchase_role, department = pools.title(country)
            email = pools.email(first, last, domain)
            if email in emails:
                email = email.replace("@", f"{len(emails)}@")
            emails.add(email)
            owner = account.owner if rng.random() < 0.9 else rng.choice(self.org.reps[plan["zone"]])
            contacts.append(Contact(
                owner=owner, created_by=owner, updated_by=owner, account=account,
                first_name=first, last_name=last, title=title, department=department, email=email,
                phone=pools.landline(city) if rng.random() < 0.7 else "",
                mobile=pools.mobile(country) if rng.random() < 0.8 else "",
                executive_level=level, purchase_role=purchase_role, country=country, city=city.name,
                email_opt_out=rng.random() < 0.05, do_not_call=rng.random() < 0.03,
            ))
        return contacts

    def _cross_links(self, contacts: list[Contact], accounts: list[Account]) -> list[ContactAccountLink]:
        """A few contacts (advisers, consultants) also work with a second account."""
        links = []
        for contact in contacts:
            if self.rng.random() < 0.02:
                other = self.rng.choice(accounts)
                if other.pk != contact.account_id and other.country == contact.country:
                    role = self.rng.choice(["Asesor externo", "Consultor", "Directorio"])
                    links.append(ContactAccountLink(contact=contact, account=other, role=role))
        return links

    def _history(self, records: list) -> None:
        if not records:
            return
        content_type = ContentType.objects.get_for_model(type(records[0]))
        ChangeLog.objects.bulk_create(
            [
                ChangeLog(content_type=content_type, object_id=record.pk, action=ChangeLog.Action.CREATE,
                          user=record.created_by, at=self.now, record_label=str(record)[:300])
                for record in records
            ],
            batch_size=1000,
        )
