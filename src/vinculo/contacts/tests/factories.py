import factory
from factory.django import DjangoModelFactory

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    owner = factory.LazyAttribute(lambda c: c.account.owner if c.account else None)
    first_name = factory.Faker("first_name", locale="es_CL")
    # Not Faker's surnames: tests assert that a particular contact's surname is absent from a page.
    last_name = factory.Sequence(lambda n: f"Contacto{n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.cl")
    title = "Gerente de compras"
