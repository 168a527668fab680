"""Factories of an account's related records. Invoices start unpaid (balance = amount), as
`services.create_invoice` leaves them; payments and file versions go through the services."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from vinculo.accounts.models import ContentDelivery, Contract, CustomerAsset, Document, Invoice, Note

from .factories import AccountFactory


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


class InvoiceFactory(DjangoModelFactory):
    class Meta:
        model = Invoice

    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: f"F-{50000 + n}")
    issue_date = datetime.date(2025, 1, 10)
    due_date = datetime.date(2025, 2, 10)
    amount = Decimal("1000000")
    balance = factory.SelfAttribute("amount")
    currency = "CLP"


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
