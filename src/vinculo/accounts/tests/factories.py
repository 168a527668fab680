import factory
from factory.django import DjangoModelFactory
from stdnum.cl import rut

from vinculo.accounts.models import Account, AccountTeamMember, Address, Industry
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
