import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.marketing.models import Campaign
from vinculo.org.tests.factories import UserFactory
from vinculo.sales.models import (
    Competitor,
    Lead,
    Opportunity,
    PipelineStage,
    PriceList,
    PriceListItem,
    Product,
    Quote,
)
from vinculo.sales.pipeline import active_stages


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaña {n}")
    owner = factory.SubFactory(UserFactory)
    kind = Campaign.Kind.MAILING
    status = Campaign.Status.ACTIVE
    start_date = datetime.date(2026, 1, 1)


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = "Lead"
    last_name = factory.Sequence(lambda n: f"Interesado{n}")
    company = factory.Sequence(lambda n: f"Prospecto {n} Ltda")
    email = factory.Sequence(lambda n: f"lead{n}@example.cl")
    owner = factory.SubFactory(UserFactory)


def default_pipeline() -> list[PipelineStage]:
    """The active stages; a transactional test before this one may have emptied the table."""
    return active_stages()


def first_stage() -> PipelineStage:
    return default_pipeline()[0]


class OpportunityFactory(DjangoModelFactory):
    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"Negocio {n}")
    account = factory.SubFactory(AccountFactory)
    owner = factory.LazyAttribute(lambda o: o.account.owner)
    stage = factory.LazyFunction(first_stage)
    probability = factory.LazyAttribute(lambda o: o.stage.probability)
    amount = Decimal("1000000")
    currency = "CLP"
    expected_close_date = datetime.date(2026, 12, 31)


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P-{n:04d}")
    name = factory.Sequence(lambda n: f"Producto {n}")
    tax_rate = Decimal("19")


class PriceListFactory(DjangoModelFactory):
    class Meta:
        model = PriceList

    name = factory.Sequence(lambda n: f"Lista {n}")
    currency = "CLP"


class PriceListItemFactory(DjangoModelFactory):
    class Meta:
        model = PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    unit_price = Decimal("10000")


class CompetitorFactory(DjangoModelFactory):
    class Meta:
        model = Competitor

    name = factory.Sequence(lambda n: f"Competidor {n} SA")


class QuoteFactory(DjangoModelFactory):
    class Meta:
        model = Quote

    opportunity = factory.SubFactory(OpportunityFactory)
    owner = factory.LazyAttribute(lambda q: q.opportunity.owner)
    number = factory.Sequence(lambda n: f"COT-2026-{n:05d}")
    currency = "CLP"
    issued_on = datetime.date(2026, 11, 1)
    valid_until = datetime.date(2026, 11, 30)
