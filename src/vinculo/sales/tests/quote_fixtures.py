"""What the quote and catalogue tests share: a deal of vendedor.norte's with a reader, and a quote
with lines built through the services."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from vinculo.accounts.models import AccountTeamMember
from vinculo.sales import quoting

from .factories import OpportunityFactory, PriceListFactory, PriceListItemFactory, ProductFactory

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: timezone.make_aware(datetime.datetime(2026, 3, 10, 12)))


@pytest.fixture
def deal(org):
    """An open deal on the north account, owned by vendedor.norte."""
    return OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Ampliación planta norte")


@pytest.fixture
def reader(org):
    """vendedor.sur on the north account's team with read access only: reads its deals, changes none."""
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur,
                                     access=AccountTeamMember.Access.READ)
    return org.vendedor_sur


@pytest.fixture
def catalogue(db):
    """A CLP price list with two products (19% IVA) and an inactive one."""
    price_list = PriceListFactory(name="Lista general", currency="CLP")
    pump = ProductFactory(code="BOM-100", name="Bomba centrífuga 100", unit="unit", tax_rate=Decimal("19"))
    service = ProductFactory(code="SRV-INST", name="Instalación en faena", unit="hour", tax_rate=Decimal("19"))
    old = ProductFactory(code="OLD-1", name="Modelo discontinuado", is_active=False)
    PriceListItemFactory(price_list=price_list, product=pump, unit_price=Decimal("1250000"))
    PriceListItemFactory(price_list=price_list, product=service, unit_price=Decimal("45000"))
    PriceListItemFactory(price_list=price_list, product=old, unit_price=Decimal("1000"))
    return type("Catalogue", (), {"price_list": price_list, "pump": pump, "service": service, "old": old})


def make_quote(deal, by, catalogue=None, lines=(("pump", 2, 10),), **fields):
    """A draft for `deal` with lines given as (catalogue product name, quantity, discount %)."""
    quote = quoting.create_quote(deal, by, catalogue.price_list if catalogue else None, **fields)
    for product, quantity, discount in lines:
        quoting.add_line(quote, by, product=getattr(catalogue, product), quantity=Decimal(quantity),
                         discount_percent=Decimal(discount))
    quote.refresh_from_db()
    return quote
