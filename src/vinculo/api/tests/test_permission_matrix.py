"""The permission matrix: for every record type with an access policy, every demo role and every channel
(the record's page, the API list and detail, global search, the account timeline, and the inverse
"who may see this record" query), the channel shows the record exactly to the roles the rule says.

The expectations are written by hand from the rule, for an organisation shaped like the demo's (accounts,
contacts, leads, deals and quotes private; campaigns public read-only; the catalogue read by all). One
account in a territory that grants access, owned by the North rep, with one record of every type on it;
its deal has a sales team; the lead is in the same territory.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from vinculo.accounts.models import Payment
from vinculo.accounts.tests.factories import AccountFactory, AddressFactory, InvoiceFactory
from vinculo.activities.models import Activity
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core import search
from vinculo.core.access import AccessLevel
from vinculo.core.policy import registry
from vinculo.core.records import record_types
from vinculo.core.tests.api_client import ApiClient
from vinculo.customer360.tests.factories import (
    ContentDeliveryFactory,
    ContractFactory,
    CustomerAssetFactory,
    DocumentFactory,
    NoteFactory,
)
from vinculo.org.models import OrgDefault, Territory
from vinculo.org.tests.factories import SalesTeamFactory, UserFactory
from vinculo.plans.tests.factories import ObjectiveFactory, PlanFactory
from vinculo.sales.tests.factories import (
    CampaignFactory,
    CompetitorFactory,
    LeadFactory,
    OpportunityFactory,
    PriceListFactory,
    ProductFactory,
    QuoteFactory,
)
from vinculo.work.tests.factories import log, make_project, make_task

ROLES = ("owner", "manager", "director", "other_rep", "sales_team_member", "territory_user", "finance", "outsider")

# Who sees what, from the rule. The account's line: its owner, the users above the owner, the users of a
# territory that grants access to it (and finance, who sits beside the director).
ACCOUNT_LINE = {"owner", "manager", "director", "territory_user", "finance"}
# A deal adds its sales team's members; its quotes and its activities inherit that.
DEAL_LINE = ACCOUNT_LINE | {"sales_team_member"}
EVERYONE = set(ROLES)

EXPECTED = {
    "accounts.account": ACCOUNT_LINE,
    "contacts.contact": ACCOUNT_LINE,
    "accounts.address": ACCOUNT_LINE,
    "customer360.customerasset": ACCOUNT_LINE,
    "customer360.contract": ACCOUNT_LINE,
    "accounts.invoice": ACCOUNT_LINE,
    "accounts.payment": ACCOUNT_LINE,
    "customer360.note": ACCOUNT_LINE,
    "customer360.contentdelivery": ACCOUNT_LINE,
    "customer360.document": ACCOUNT_LINE,
    "sales.lead": ACCOUNT_LINE,  # owner's line and the territory
    "sales.opportunity": DEAL_LINE,
    "sales.quote": DEAL_LINE,
    "activities.activity": DEAL_LINE,  # an activity on the deal
    "marketing.campaign": EVERYONE,  # public read only
    "sales.product": EVERYONE,
    "sales.pricelist": EVERYONE,
    "sales.competitor": EVERYONE,
    "plans.businessplan": ACCOUNT_LINE,  # the owner's line and the account's
    "plans.objective": ACCOUNT_LINE,  # an objective under the plan
    "work.project": ACCOUNT_LINE,  # a project of the account, owned by the account's owner
    # A task about the deal, done by the owner and checked by the manager: the deal's readers and the people's
    # line; its time entries follow the task.
    "work.task": DEAL_LINE,
    "work.timeentry": DEAL_LINE,
}

API = {
    "accounts.account": "/accounts", "contacts.contact": "/contacts", "customer360.customerasset": "/assets",
    "customer360.contract": "/contracts", "accounts.invoice": "/invoices", "accounts.payment": "/payments",
    "customer360.note": "/notes", "customer360.document": "/files", "customer360.contentdelivery": "/content-deliveries",
    "activities.activity": "/activities", "sales.lead": "/leads", "sales.opportunity": "/opportunities",
    "sales.quote": "/quotes", "marketing.campaign": "/campaigns", "sales.product": "/products",
    "sales.pricelist": "/price-lists", "sales.competitor": "/competitors", "plans.businessplan": "/plans",
    "plans.objective": "/objectives", "work.project": "/projects", "work.task": "/tasks",
    "work.timeentry": "/time-entries",
}
TIMELINE = {"activities.activity": "activity", "customer360.note": "note"}  # the timeline entry's type
# Record type → its group in the global search's page context.
SEARCHABLE = {record_type.model._meta.label_lower: record_type.search.name for record_type in record_types.searchable()}


@pytest.fixture
def matrix(org):
    for record_type, level in {
        "accounts.account": AccessLevel.PRIVATE, "contacts.contact": AccessLevel.PRIVATE,
        "marketing.campaign": AccessLevel.PUBLIC_READ, "sales.lead": AccessLevel.PRIVATE,
        "sales.opportunity": AccessLevel.PRIVATE, "sales.quote": AccessLevel.PRIVATE,
    }.items():
        OrgDefault.objects.update_or_create(record_type=record_type, defaults={"access": level})
    rep_south_role = org.vendedor_sur.role
    users = SimpleNamespace(
        owner=org.vendedor_norte, manager=org.gerente_norte, director=org.director, other_rep=org.vendedor_sur,
        sales_team_member=UserFactory(username="equipo.sur", role=rep_south_role),
        territory_user=UserFactory(username="territorio.sur", role=rep_south_role),
        finance=org.finance, outsider=UserFactory(username="externo"),
    )
    chile = Territory.objects.create(name="Chile", kind="country", grants_access=True)
    antofagasta = Territory.objects.create(name="Antofagasta", kind="region", parent=chile)
    users.territory_user.territories.add(chile)
    team = SalesTeamFactory()
    team.memberships.create(user=users.sales_team_member)

    owner = users.owner
    account = AccountFactory(owner=owner, legal_name="Zafiro Minera SpA", territory=antofagasta)
    deal = OpportunityFactory(account=account, owner=owner, sales_team=team, name="Zafiro ampliación")
    invoice = InvoiceFactory(account=account)
    plan = PlanFactory(account=account, owner=owner, name="Zafiro plan 2026")
    records = {
        "accounts.account": account,
        "contacts.contact": ContactFactory(account=account, owner=owner, last_name="Zafirova"),
        "accounts.address": AddressFactory(account=account),
        "customer360.customerasset": CustomerAssetFactory(account=account),
        "customer360.contract": ContractFactory(account=account),
        "accounts.invoice": invoice,
        "accounts.payment": Payment.objects.create(account=account, invoice=invoice, paid_on=datetime.date(2025, 2, 1),
                                                   amount=Decimal("1000")),
        "customer360.note": NoteFactory(account=account),
        "customer360.contentdelivery": ContentDeliveryFactory(account=account),
        "customer360.document": DocumentFactory(account=account),
        "sales.lead": LeadFactory(owner=owner, territory=antofagasta, company="Zafiro Norte Ltda"),
        "sales.opportunity": deal,
        "sales.quote": QuoteFactory(opportunity=deal, owner=owner),
        "activities.activity": Activity.objects.create(
            kind=Activity.Kind.CALL, subject="Zafiro: call about the extension", owner=owner, account=account,
            opportunity=deal, occurred_at=datetime.datetime(2026, 11, 2, 10, tzinfo=datetime.timezone.utc),
        ),
        "marketing.campaign": CampaignFactory(owner=owner, name="Zafiro feria"),
        "sales.product": ProductFactory(),
        "sales.pricelist": PriceListFactory(),
        "sales.competitor": CompetitorFactory(name="Zafiro Rival SA"),
        "plans.businessplan": plan,
        "plans.objective": ObjectiveFactory(plan=plan, name="Zafiro: 4 visits"),
    }
    task = make_task(owner, deal, title="Zafiro: presentar la ampliación", controller=users.manager)
    records.update({
        "work.project": make_project(account, owner, name="Zafiro seguimiento 2026"),
        "work.task": task,
        "work.timeentry": log(task, owner, date=datetime.date(2025, 1, 15)),
    })
    for record_type, record in records.items():
        if record_type in SEARCHABLE:  # indexed here, whenever the app reindexes (on save, or after commit)
            search.index_record(record)
    return SimpleNamespace(users=users, records=records, account=account)


def label(record) -> str:
    return record._meta.label_lower


def page_shows(client, user, record) -> bool:
    client.force_login(user)
    response = client.get(record.get_absolute_url())
    assert response.status_code in (200, 404), (label(record), user.username, response.status_code)
    return response.status_code == 200


def api_list_shows(user, record) -> bool:
    response = ApiClient(user).get(API[label(record)], limit=200)
    assert response.status_code == 200, response.content
    return record.pk in {item["id"] for item in response.json()["items"]}


def api_detail_shows(user, record) -> bool:
    response = ApiClient(user).get(f"{API[label(record)]}/{record.pk}")
    assert response.status_code in (200, 404), (label(record), user.username, response.status_code)
    return response.status_code == 200


def search_shows(client, user, record) -> bool:
    client.force_login(user)
    response = client.get(reverse("search"), {"q": record.search_text().split()[0]})
    assert response.status_code == 200
    return record in response.context[SEARCHABLE[label(record)]]


def timeline_shows(user, record) -> bool:
    response = ApiClient(user).get(f"/accounts/{record.account_id}/timeline", limit=200)
    if response.status_code == 404:  # the account is not theirs to see, so neither is its timeline
        return False
    assert response.status_code == 200, response.content
    return (TIMELINE[label(record)], record.pk) in {(item["type"], item["id"]) for item in response.json()["items"]}


def visible_to(user, record) -> bool:
    return type(record).objects.visible_to(user).filter(pk=record.pk).exists()


def who_may_see(user, record) -> bool:
    return type(record).policy.users_who_may_see(record).filter(pk=user.pk).exists()


CHANNELS = {
    "visible_to": (lambda record: True, lambda client, user, record: visible_to(user, record)),
    "who_may_see": (lambda record: True, lambda client, user, record: who_may_see(user, record)),
    "page": (lambda record: True, page_shows),
    "api_list": (lambda record: label(record) in API, lambda client, user, record: api_list_shows(user, record)),
    "api_detail": (lambda record: label(record) in API, lambda client, user, record: api_detail_shows(user, record)),
    "search": (lambda record: label(record) in SEARCHABLE, search_shows),
    "timeline": (lambda record: label(record) in TIMELINE, lambda client, user, record: timeline_shows(user, record)),
}


def expected(record_type: str, role: str, channel: str) -> bool:
    sees = role in EXPECTED[record_type]
    if channel == "timeline":  # shown on the account's timeline, to those who may open the account
        sees = sees and role in EXPECTED["accounts.account"]
    return sees


def test_every_record_type_with_a_policy_is_in_the_matrix():
    assert {model._meta.label_lower for model in registry} == set(EXPECTED)


@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_shows_each_record_to_exactly_the_roles_the_policy_names(client, matrix, channel):
    applies, shows = CHANNELS[channel]
    disagreements = {}
    for record_type, record in matrix.records.items():
        if not applies(record):
            continue
        for role in ROLES:
            got = shows(client, getattr(matrix.users, role), record)
            if got != expected(record_type, role, channel):
                disagreements[(record_type, role)] = got
    assert disagreements == {}


def test_the_inverse_query_returns_a_user_exactly_when_visible_to_includes_the_record(matrix):
    for record_type, record in matrix.records.items():
        may_see = set(type(record).policy.users_who_may_see(record))
        for role in ROLES:
            user = getattr(matrix.users, role)
            assert (user in may_see) is visible_to(user, record), (record_type, role)
