import factory
from factory.django import DjangoModelFactory

from vinculo.org.models import BusinessUnit, Office, Role, SalesTeam, Territory, User


class RoleFactory(DjangoModelFactory):
    class Meta:
        model = Role

    name = factory.Sequence(lambda n: f"Role {n}")


class BusinessUnitFactory(DjangoModelFactory):
    class Meta:
        model = BusinessUnit
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Unit {n}")


class OfficeFactory(DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Office {n}")


class TerritoryFactory(DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"Territory {n}")


class SalesTeamFactory(DjangoModelFactory):
    class Meta:
        model = SalesTeam

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    # Names from the username, never Faker's: tests assert that a contact's surname is absent from a page.
    first_name = "Usuario"
    last_name = factory.LazyAttribute(lambda u: u.username.replace(".", " ").title())
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    language = "en"
    password = factory.django.Password("demo")
