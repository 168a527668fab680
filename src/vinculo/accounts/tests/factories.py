import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory
from stdnum.cl import rut

from vinculo.accounts.models import Account, AccountTeamMember, Address, Industry, Invoice
from vinculo.org.tests.factories import UserFactory


def valid_rut(n: int) -> str:
    body = str(76_000_000 + n)
    return body + rut.calc_check_digit(body)


class IndustryFactory(DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Industry {n}")
    sic_code = factory.Sequence(lambda n: f"{1000 + n}")


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    owner = factory.SubFactory(UserFactory)
    legal_name = factory.Sequence(lambda n: f"Empresa {n} SpA")
    country = "CL"
    tax_id = factory.Sequence(valid_rut)
    account_type = Account.Type.CUSTOMER


class AddressFactory(DjangoModelFactory):
    class Meta:
        model = Address

    account = factory.SubFactory(AccountFactory)
    street = factory.Faker("street_address", locale="es_CL")
    city = "Santiago"


class AccountTeamMemberFactory(DjangoModelFactory):
    class Meta:
        model = AccountTeamMember

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)


class InvoiceFactory(DjangoModelFactory):
    """Invoices start unpaid (balance = amount), as `services.create_invoice` leaves them; payments go
    through the services."""

    class Meta:
        model = Invoice

    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: f"F-{50000 + n}")
    issue_date = datetime.date(2025, 1, 10)
    due_date = datetime.date(2025, 2, 10)
    amount = Decimal("1000000")
    balance = factory.SelfAttribute("amount")
    currency = "CLP"
