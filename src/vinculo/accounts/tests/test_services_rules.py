"""The rules of invoices, payments and file versions, as the finance team and the account's reps read them.

- An invoice starts owing its whole amount; payments reduce what is owed, never below zero; its status
  follows: nothing paid → issued, something paid → partially paid, nothing owed → paid. A draft or a
  cancelled invoice keeps its status and takes no payments.
- A payment larger than what is still owed is refused, naming both amounts.
- A file version is accepted up to the size limit (MAX_UPLOAD_MB × 1,048,576 bytes, that byte included),
  never empty, and numbered after the last version; a version whose row cannot be written leaves no
  stored file behind.
Every amount below is written out by hand.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from vinculo.accounts import services
from vinculo.accounts.models import Invoice, Payment
from vinculo.core.models import ChangeLog
from vinculo.core.services import ConflictError
from vinculo.customer360 import services as customer360_services
from vinculo.customer360.models import Document, DocumentVersion
from vinculo.customer360.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 16)
NOW = datetime.datetime(2025, 6, 16, 12, tzinfo=datetime.timezone.utc)
MB = 1024 * 1024  # 1,048,576 bytes


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: NOW)


def new_invoice(org, amount="1000", status=Invoice.Status.ISSUED, number="F-3000"):
    invoice = Invoice(account=org.north_account, number=number, issue_date=TODAY,
                      due_date=TODAY + datetime.timedelta(days=30), amount=Decimal(amount), currency="CLP",
                      status=status)
    return services.create_invoice(invoice, by=org.vendedor_norte)


def pay(org, invoice, amount, by=None):
    payment = Payment(invoice_id=invoice.pk, paid_on=TODAY, amount=None if amount is None else Decimal(amount))
    return services.register_payment(payment, by=by or org.vendedor_norte)


def stored(invoice):
    invoice.refresh_from_db()
    return invoice.balance, invoice.status


def history(record, action=ChangeLog.Action.UPDATE):
    return ChangeLog.objects.filter(object_id=record.pk, content_type__model=type(record)._meta.model_name,
                                    action=action)


# ---------- Balance and status ----------

def test_a_new_invoice_owes_its_whole_amount(org):
    invoice = new_invoice(org, "1000")
    assert stored(invoice) == (Decimal("1000"), Invoice.Status.ISSUED)


def test_a_zero_amount_invoice_owes_nothing(org):
    invoice = new_invoice(org, "0")
    assert invoice.balance == Decimal("0")
    assert not Invoice.objects.filter(pk=invoice.pk, balance__gt=0).exists()


def test_paying_one_peso_makes_the_invoice_partially_paid(org):
    invoice = new_invoice(org, "1000")
    pay(org, invoice, "1")
    assert stored(invoice) == (Decimal("999"), Invoice.Status.PARTIALLY_PAID)


def test_two_payments_add_up_and_the_last_peso_makes_it_paid(org):
    invoice = new_invoice(org, "1000")
    pay(org, invoice, "600")
    assert stored(invoice) == (Decimal("400"), Invoice.Status.PARTIALLY_PAID)
    pay(org, invoice, "399")
    assert stored(invoice) == (Decimal("1"), Invoice.Status.PARTIALLY_PAID)
    pay(org, invoice, "1")
    assert stored(invoice) == (Decimal("0"), Invoice.Status.PAID)


def test_paying_exactly_the_balance_is_accepted_and_one_peso_more_is_refused(org):
    invoice = new_invoice(org, "1000")
    pay(org, invoice, "400")
    with pytest.raises(ValidationError) as refused:
        pay(org, invoice, "601")
    assert list(refused.value.message_dict) == ["amount"]
    assert refused.value.message_dict["amount"] == [
        "The payment (601) is larger than the unpaid balance (600.00)."]
    assert stored(invoice) == (Decimal("600"), Invoice.Status.PARTIALLY_PAID)
    assert Payment.all_objects.count() == 1
    pay(org, invoice, "600")
    assert stored(invoice) == (Decimal("0"), Invoice.Status.PAID)


def test_a_payment_without_an_amount_is_refused_on_the_amount(org):
    invoice = new_invoice(org, "1000")
    with pytest.raises(ValidationError) as refused:
        pay(org, invoice, None)
    assert "amount" in refused.value.message_dict
    assert stored(invoice) == (Decimal("1000"), Invoice.Status.ISSUED)


def test_a_payment_belongs_to_the_invoices_account_and_is_returned_saved(org):
    invoice = new_invoice(org, "1000")
    payment = pay(org, invoice, "250")
    assert payment.pk is not None and payment.account == org.north_account
    assert Payment.objects.get().amount == Decimal("250")


@pytest.mark.parametrize("status", [Invoice.Status.DRAFT, Invoice.Status.CANCELLED])
def test_draft_and_cancelled_invoices_take_no_payment(org, status):
    invoice = new_invoice(org, "1000", status=status)
    with pytest.raises(ValidationError) as refused:
        pay(org, invoice, "100")
    assert refused.value.message_dict == {"invoice": ["Payments can only be registered on issued invoices."]}
    assert stored(invoice) == (Decimal("1000"), status)
    assert not Payment.all_objects.exists()


def test_removing_one_of_two_payments_gives_back_only_its_amount(org):
    invoice = new_invoice(org, "1000")
    first = pay(org, invoice, "300")
    pay(org, invoice, "700")
    assert stored(invoice) == (Decimal("0"), Invoice.Status.PAID)
    services.remove_payment(first, by=org.vendedor_norte)
    assert stored(invoice) == (Decimal("300"), Invoice.Status.PARTIALLY_PAID)
    assert Payment.objects.count() == 1 and Payment.all_objects.count() == 2


def test_removing_the_only_payment_makes_the_invoice_issued_again(org):
    invoice = new_invoice(org, "1000")
    payment = pay(org, invoice, "1")
    services.remove_payment(payment, by=org.vendedor_norte)
    assert stored(invoice) == (Decimal("1000"), Invoice.Status.ISSUED)


def test_lowering_the_amount_below_what_was_paid_leaves_nothing_owed_not_a_negative_balance(org):
    invoice = new_invoice(org, "1000")
    pay(org, invoice, "600")
    invoice.refresh_from_db()
    invoice.amount = Decimal("500")
    services.update_invoice(invoice, by=org.vendedor_norte)
    assert stored(invoice) == (Decimal("0"), Invoice.Status.PAID)


def test_raising_the_amount_of_a_paid_invoice_reopens_the_difference(org):
    invoice = new_invoice(org, "1000")
    pay(org, invoice, "1000")
    invoice.refresh_from_db()
    invoice.amount = Decimal("1500")
    services.update_invoice(invoice, by=org.vendedor_norte)
    assert stored(invoice) == (Decimal("500"), Invoice.Status.PARTIALLY_PAID)


def test_editing_an_unpaid_invoice_owes_the_new_amount_and_stays_issued(org):
    invoice = new_invoice(org, "1000")
    invoice.amount = Decimal("1200")
    services.update_invoice(invoice, by=org.vendedor_norte)
    assert stored(invoice) == (Decimal("1200"), Invoice.Status.ISSUED)


def test_issuing_a_draft_makes_it_owed(org):
    invoice = new_invoice(org, "1000", status=Invoice.Status.DRAFT)
    invoice.amount = Decimal("800")
    services.update_invoice(invoice, by=org.vendedor_norte)
    assert stored(invoice) == (Decimal("800"), Invoice.Status.DRAFT)  # a draft stays a draft
    invoice.status = Invoice.Status.ISSUED
    services.update_invoice(invoice, by=org.vendedor_norte)
    assert stored(invoice) == (Decimal("800"), Invoice.Status.ISSUED)


def test_cancelling_a_partly_paid_invoice_keeps_it_cancelled(org):
    invoice = new_invoice(org, "1000")
    pay(org, invoice, "300")
    invoice.refresh_from_db()
    invoice.status = Invoice.Status.CANCELLED
    services.update_invoice(invoice, by=org.vendedor_norte)
    assert stored(invoice) == (Decimal("700"), Invoice.Status.CANCELLED)


def test_a_stale_invoice_edit_is_refused_and_changes_nothing(org):
    invoice = new_invoice(org, "1000")
    invoice.amount = Decimal("900")
    with pytest.raises(ConflictError):
        services.update_invoice(invoice, by=org.vendedor_norte, expected_version=7)
    assert stored(invoice) == (Decimal("1000"), Invoice.Status.ISSUED)


def test_history_names_who_registered_and_removed_the_payment(org):
    invoice = new_invoice(org, "1000")
    payment = pay(org, invoice, "400", by=org.gerente_norte)
    assert history(payment, ChangeLog.Action.CREATE).get().user == org.gerente_norte
    balance_change = history(invoice).get()
    assert balance_change.user == org.gerente_norte
    assert {change["field"]: change["new"] for change in balance_change.changes} == {
        "balance": "600.00", "status": "Partially paid"}
    services.remove_payment(payment, by=org.finance)
    assert history(payment, ChangeLog.Action.DELETE).get().user == org.finance
    assert history(invoice).first().user == org.finance
    assert stored(invoice) == (Decimal("1000"), Invoice.Status.ISSUED)


def test_history_names_who_edited_the_invoice(org):
    invoice = new_invoice(org, "1000")
    invoice.amount = Decimal("1100")
    services.update_invoice(invoice, by=org.finance)
    assert {entry.user for entry in history(invoice)} == {org.finance}


# ---------- File versions ----------

PDF = b"%PDF-1.4\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.VINCULO = {**settings.VINCULO, "MAX_UPLOAD_MB": 1}
    return tmp_path


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()]


def pdf_of_size(size, name="plano.pdf"):
    return SimpleUploadedFile(name, PDF + b"0" * (size - len(PDF)), content_type="application/pdf")


def upload(org, upload_file, document=None, comment=""):
    document = document or Document(account=org.north_account, title="Planos")
    return customer360_services.add_document_version(document, upload_file, by=org.vendedor_norte, comment=comment)


def test_the_upload_limit_is_one_mebibyte_per_mb_that_byte_included(org, media):
    version = upload(org, pdf_of_size(1_048_576))
    assert version.size == 1_048_576
    with pytest.raises(ValidationError) as refused:
        upload(org, pdf_of_size(1_048_577), document=version.document)
    assert list(refused.value.message_dict) == ["file"]
    assert "the limit is 1 MB" in refused.value.message_dict["file"][0]
    assert version.document.versions.count() == 1 and len(stored_files(media)) == 1


def test_the_size_refusal_says_how_big_the_file_is_and_what_the_limit_is(org, media, settings):
    settings.VINCULO = {**settings.VINCULO, "MAX_UPLOAD_MB": 20}
    with pytest.raises(ValidationError) as refused:
        upload(org, pdf_of_size(60 * MB, "video.pdf"))
    assert refused.value.message_dict == {"file": ["The file is 60.0 MB; the limit is 20 MB."]}
    assert not Document.all_objects.exists() and stored_files(media) == []


def test_an_empty_file_is_refused_and_a_one_byte_file_is_accepted(org, media):
    with pytest.raises(ValidationError) as refused:
        upload(org, SimpleUploadedFile("vacio.txt", b"", content_type="text/plain"))
    assert refused.value.message_dict == {"file": ["The file is empty."]}
    assert not Document.all_objects.exists()
    version = upload(org, SimpleUploadedFile("nota.txt", b"x", content_type="text/plain"))
    assert (version.size, version.content_type) == (1, "text/plain")


def test_no_file_is_refused_naming_the_file_field(org, media):
    with pytest.raises(ValidationError) as refused:
        upload(org, None)
    assert refused.value.message_dict == {"file": ["Choose a file to upload."]}
    assert not Document.all_objects.exists()


def test_a_file_of_a_refused_kind_is_told_which_kinds_are_accepted(org, media):
    with pytest.raises(ValidationError) as refused:
        upload(org, SimpleUploadedFile("instalador.exe", b"MZ" + b"\x00" * 62))
    assert refused.value.message_dict == {"file": [
        "This kind of file is not accepted. Upload PDF, office documents, images, text, CSV or ZIP files."]}
    assert not Document.all_objects.exists() and stored_files(media) == []


def test_a_version_records_its_name_size_type_comment_uploader_and_time(org, media):
    version = upload(org, pdf_of_size(2_000, "oferta.pdf"), comment="Primera oferta")
    version = DocumentVersion.objects.get(pk=version.pk)
    assert (version.number, version.original_name, version.size, version.content_type, version.comment) == (
        1, "oferta.pdf", 2_000, "application/pdf", "Primera oferta")
    assert version.uploaded_by == org.vendedor_norte and version.uploaded_at == NOW
    assert version.document.title == "Planos" and version.document.account == org.north_account
    assert history(version.document, ChangeLog.Action.CREATE).get().user == org.vendedor_norte
    with version.file.open("rb") as stored_file:
        assert stored_file.read() == PDF + b"0" * (2_000 - len(PDF))


def test_versions_are_numbered_after_the_last_one_even_when_older_ones_were_removed(org, media):
    document = DocumentFactory(account=org.north_account, title="Contrato")
    assert [upload(org, pdf_of_size(100), document).number for _ in range(3)] == [1, 2, 3]
    DocumentVersion.objects.filter(document=document, number__in=[1, 2]).delete()
    assert upload(org, pdf_of_size(100), document).number == 4
    assert Document.objects.count() == 1


def test_a_new_version_brings_the_file_to_the_top_of_the_accounts_files(org, media):
    older = DocumentFactory(account=org.north_account, title="Antiguo")
    upload(org, pdf_of_size(100), older)
    newer = DocumentFactory(account=org.north_account, title="Reciente")
    upload(org, pdf_of_size(100), newer)
    assert list(Document.objects.values_list("title", flat=True)) == ["Reciente", "Antiguo"]
    upload(org, pdf_of_size(200), older)
    assert list(Document.objects.values_list("title", flat=True)) == ["Antiguo", "Reciente"]


def test_a_version_whose_row_cannot_be_written_leaves_no_stored_file(org, media, monkeypatch):
    document = DocumentFactory(account=org.north_account, title="Contrato")
    upload(org, pdf_of_size(100), document)
    before = stored_files(media)

    def refuse(self, *args, **kwargs):
        raise IntegrityError("disk full")

    monkeypatch.setattr(DocumentVersion, "save", refuse)
    with pytest.raises(IntegrityError):
        upload(org, pdf_of_size(200), document)
    assert stored_files(media) == before
    assert document.versions.count() == 1
