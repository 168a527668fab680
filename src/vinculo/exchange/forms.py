from django import forms
from django.utils.translation import gettext_lazy as _

from . import readers
from .mapping import SYNONYMS
from .models import ImportJob, OnDuplicate

# The largest file an import takes.
MAX_UPLOAD = 50 * 1024 * 1024

KIND_LABELS = dict(ImportJob.Kind.choices)


class UploadForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("Import"), choices=list(KIND_LABELS.items()))
    encoding = forms.ChoiceField(
        label=_("Encoding"), required=False,
        choices=[("", _("Detect")), ("utf-8", "UTF-8"), ("utf-16", "UTF-16"), ("cp1252", "Windows-1252"),
                 ("latin-1", "Latin-1 (ISO-8859-1)")])
    delimiter = forms.ChoiceField(
        label=_("Delimiter"), required=False,
        choices=[("", _("Detect")), (",", _("Comma")), (";", _("Semicolon")), ("\t", _("Tab")), ("|", "|")])

    class Meta:
        model = ImportJob
        fields = ["kind", "file", "format", "encoding", "delimiter", "on_duplicate"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than %(size)s MB.") % {"size": MAX_UPLOAD // 2**20})
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload and not self.errors:
            # Its headers are read from the upload as a stream; it is then stored a chunk at a time.
            try:
                table = readers.read(upload, upload.name, cleaned.get("format") or "auto",
                                     cleaned.get("encoding", ""), cleaned.get("delimiter", ""))
            except readers.UnreadableFile as exc:
                raise forms.ValidationError({"file": str(exc)}) from exc
            finally:
                upload.seek(0)
            self.headers = table.headers
        return cleaned


class MappingForm(forms.Form):
    """One choice per column of the file: the field it fills, or nothing."""

    on_duplicate = forms.ChoiceField(label=_("When a row matches a record"), choices=OnDuplicate.choices)
    template_name = forms.CharField(label=_("Save this mapping as"), max_length=120, required=False,
                                    help_text=_("Optional: a name to reuse the mapping with files like this one."))

    def __init__(self, *args, headers: list[str], kind: str, initial_mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [("", _("— not imported —")), *[(name, FIELD_LABELS.get(name, name)) for name in SYNONYMS[kind]]]
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=initial_mapping.get(header, ""))

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data[f"column_{index}"] for index, header in enumerate(self.headers)
                if self.cleaned_data.get(f"column_{index}")}

    def clean(self):
        cleaned = super().clean()
        chosen = [cleaned.get(f"column_{index}") for index in range(len(self.headers))]
        chosen = [name for name in chosen if name]
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError(_("Each field can be filled from one column only."))
        if not chosen:
            raise forms.ValidationError(_("Choose at least one column to import."))
        return cleaned

    def column_fields(self):
        return [self[f"column_{index}"] for index in range(len(self.headers))]


FIELD_LABELS = {
    "first_name": _("First name"), "middle_name": _("Middle name"), "last_name": _("Last name"),
    "full_name": _("Full name"), "email": _("Email"), "mobile": _("Mobile"), "phone": _("Phone"),
    "account": _("Account"), "title": _("Job title"), "department": _("Department"), "city": _("City"),
    "country": _("Country"), "description": _("Notes"), "legal_name": _("Legal name"), "trade_name": _("Trade name"),
    "tax_id": _("Tax id"), "website": _("Website"), "account_type": _("Account type"), "employees": _("Employees"),
    "company": _("Company"), "company_tax_id": _("Company tax id"), "region": _("Region"),
}

