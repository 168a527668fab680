"""Writes on the Customer 360 records that touch several rows or files: file versions, and the notes a
converted lead hands over."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from vinculo.core import clock, subjects
from vinculo.core.services import create_record

from .filetypes import detect_content_type
from .models import Document, DocumentVersion


def max_upload_bytes() -> int:
    return settings.VINCULO["MAX_UPLOAD_MB"] * 1024 * 1024


def _check_upload(upload) -> str:
    """The content type of an acceptable upload, or ValidationError naming the `file` field."""
    if upload is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    if upload.size > max_upload_bytes():
        raise ValidationError({"file": _("The file is %(size).1f MB; the limit is %(limit)d MB.") % {
            "size": upload.size / 1024 / 1024, "limit": settings.VINCULO["MAX_UPLOAD_MB"]}})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    content_type = detect_content_type(upload)
    if content_type is None:
        raise ValidationError({"file": _(
            "This kind of file is not accepted. Upload PDF, office documents, images, text, CSV or ZIP files."
        )})
    return content_type


@transaction.atomic
def add_document_version(document: Document, upload, by, comment: str = "") -> DocumentVersion:
    """Store `upload` as the next version of `document` (creating the document if it is new).
    Nothing is written when the file is refused."""
    content_type = _check_upload(upload)
    if document.pk is None:
        create_record(document, by=by)
    else:
        document = Document.all_objects.select_for_update().get(pk=document.pk)
    last = document.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = DocumentVersion(
        document=document, number=last + 1, original_name=upload.name[:255], size=upload.size,
        content_type=content_type, comment=comment, uploaded_by=by, uploaded_at=clock.now(),
    )
    version.file.save(upload.name, upload, save=False)
    try:
        version.save()
    except Exception:  # the row could not be written: the stored file must not stay behind

        version.file.delete(save=False)
        raise
    document.save(update_fields=["updated_at"])
    return version


def move_notes(handover: subjects.Handover, model) -> None:
    """Mover (core.subjects): when a subject is handed over (a lead converted), its notes go to the account,
    about the contact unless they were about another one already."""
    contact = handover.targets.get("contact")
    extra = {"contact": Coalesce("contact", Value(contact.pk))} if contact is not None else None
    subjects.move(model, handover.source, handover.account, handover, extra=extra)
