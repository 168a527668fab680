"""Factories of the Customer 360 records (invoices: accounts.tests.factories). File versions go through
`services.add_document_version`."""

import datetime

import factory
from factory.django import DjangoModelFactory

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.customer360.models import ContentDelivery, Contract, CustomerAsset, Document, Note


class CustomerAssetFactory(DjangoModelFactory):
    class Meta:
        model = CustomerAsset

    account = factory.SubFactory(AccountFactory)
    product_name = factory.Sequence(lambda n: f"Compresor {n}")
    serial_number = factory.Sequence(lambda n: f"SN-{10000 + n}")
    sale_date = datetime.date(2024, 3, 1)


class ContractFactory(DjangoModelFactory):
    class Meta:
        model = Contract

    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: f"CT-{1000 + n}")
    start_date = datetime.date(2024, 1, 1)
    end_date = datetime.date(2026, 12, 31)


class NoteFactory(DjangoModelFactory):
    class Meta:
        model = Note

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Nota {n}")
    body = "Pidió cotizar la mantención anual."


class ContentDeliveryFactory(DjangoModelFactory):
    class Meta:
        model = ContentDelivery

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Catálogo {n}")
    delivered_on = datetime.date(2025, 5, 2)


class DocumentFactory(DjangoModelFactory):
    """A file without versions; add them with services.add_document_version."""

    class Meta:
        model = Document

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Documento {n}")
