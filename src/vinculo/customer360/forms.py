"""Forms of an account's related records (assets, contracts, invoices, payments, notes, content
deliveries, files) and the filters of their lists."""

from datetime import timedelta

from django import forms
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.accounts import services as account_services
from vinculo.accounts.models import Account, Invoice, Payment, amounts_hidden_from
from vinculo.contacts.models import Contact
from vinculo.core import clock
from vinculo.core.forms import DateInput, RecordForm, active_users, label_unseen_choice
from vinculo.core.lists import ListFilterForm
from vinculo.core.money import CurrencyFormField

from . import services
from .models import ContentDelivery, Contract, CustomerAsset, Document, Note


def _formfield(model_field, **kwargs):
    # Dates typed as the interface's language writes them.
    if type(model_field) is models.DateField:
        kwargs.setdefault("widget", DateInput)
    return model_field.formfield(**kwargs)


def account_contacts(account, user, keep=None):
    """The contacts `user` may see on `account` (its own and those linked to it): the choices of a
    record's contact. `keep` (an id) stays choosable so an edit does not force a change."""
    linked = account.contact_links.values("contact_id")
    contacts = Contact.objects.visible_to(user).filter(Q(account=account) | Q(pk__in=linked))
    if keep:
        contacts = contacts | Contact.objects.filter(pk=keep)
    return contacts.order_by("last_name", "first_name")


def _names(fieldsets) -> list[str]:
    return [name for _legend, names in fieldsets for name in names]


class AccountRecordForm(RecordForm):
    """The form of a record that belongs to an account: the account is given by the page (the
    instance has it), and the contact fields offer that account's contacts."""

    contact_fields: tuple[str, ...] = ("contact",)

    class Meta:
        formfield_callback = _formfield
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        for name in self.contact_fields:
            if name in self.fields and self.instance.account_id is None:
                del self.fields[name]  # a lead's record (note, file): a lead has no contacts yet
            elif name in self.fields:
                keep = getattr(self.instance, f"{name}_id")
                self.fields[name].queryset = account_contacts(self.instance.account, user, keep=keep)
                label_unseen_choice(self.fields[name], user, keep)


ASSET_FIELDSETS = (
    (_("Asset"), ("product_name", "serial_number", "sale_date", "status", "contact")),
    (_("Notes"), ("notes",)),
)


class AssetForm(AccountRecordForm):
    fieldsets = ASSET_FIELDSETS

    class Meta(AccountRecordForm.Meta):
        model = CustomerAsset
        fields = _names(ASSET_FIELDSETS)


CONTRACT_FIELDSETS = (
    (_("Contract"), ("number", "contract_type", "description", "contact", "status")),
    (_("Term and renewal"), ("start_date", "end_date", "renewal_type", "notice_days")),
    (_("Value"), ("value", "currency")),
)


class ContractForm(AccountRecordForm):
    fieldsets = CONTRACT_FIELDSETS
    currency = CurrencyFormField(label=capfirst(_("currency")), preset_by_form=True)

    class Meta(AccountRecordForm.Meta):
        model = Contract
        fields = _names(CONTRACT_FIELDSETS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk:
            self.initial.update(currency=self.instance.account.currency, start_date=clock.today())


INVOICE_FIELDSETS = (
    (_("Invoice"), ("number", "external_ref", "issue_date", "due_date", "status")),
    (_("Amount"), ("amount", "currency")),
)


class InvoiceForm(AccountRecordForm):
    """Saved through accounts.services, which keeps the balance. Paid and partially paid follow from
    the payments, so the form only offers draft, issued and cancelled (and the current status)."""

    fieldsets = INVOICE_FIELDSETS
    currency = CurrencyFormField(label=capfirst(_("currency")), preset_by_form=True)

    class Meta(AccountRecordForm.Meta):
        model = Invoice
        fields = _names(INVOICE_FIELDSETS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        settable = {Invoice.Status.DRAFT, Invoice.Status.ISSUED, Invoice.Status.CANCELLED, self.instance.status}
        self.fields["status"].choices = [(value, label) for value, label in Invoice.Status.choices if value in settable]
        if self.instance.pk and amounts_hidden_from(user):
            # Who may not see the amount may not change it either; the stored one is kept.
            del self.fields["amount"]
            del self.fields["currency"]
        if not self.instance.pk:
            today = clock.today()
            self.initial.update(currency=self.instance.account.currency, issue_date=today,
                                due_date=today + timedelta(days=30))

    def write(self) -> None:
        if self.instance.pk is None:
            account_services.create_invoice(self.instance, by=self.user)
        else:
            account_services.update_invoice(self.instance, by=self.user, expected_version=self.cleaned_data["version"])


class PaymentForm(AccountRecordForm):
    """A payment on the invoice of the instance, registered through accounts.services."""

    fieldsets = ((_("Register a payment"), ("paid_on", "amount", "method", "reference")),)

    class Meta(AccountRecordForm.Meta):
        model = Payment
        fields = ["paid_on", "amount", "method", "reference"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.initial.update(paid_on=clock.today(), amount=self.instance.invoice.balance)

    def write(self) -> None:
        account_services.register_payment(self.instance, by=self.user)


NOTE_FIELDSETS = ((_("Note"), ("title", "contact", "body")),)


class NoteForm(AccountRecordForm):
    fieldsets = NOTE_FIELDSETS

    class Meta(AccountRecordForm.Meta):
        model = Note
        fields = _names(NOTE_FIELDSETS)
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}


DELIVERY_FIELDSETS = (
    (_("What was delivered"), ("title", "kind", "reference")),
    (_("To whom and when"), ("contact", "delivered_on", "delivered_by", "channel")),
    (_("Notes"), ("notes",)),
)


class DeliveryForm(AccountRecordForm):
    fieldsets = DELIVERY_FIELDSETS

    class Meta(AccountRecordForm.Meta):
        model = ContentDelivery
        fields = _names(DELIVERY_FIELDSETS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["delivered_by"].queryset = active_users(keep=self.instance.delivered_by_id)
        if not self.instance.pk:
            self.initial.update(delivered_on=clock.today(), delivered_by=user.pk)


class DocumentForm(AccountRecordForm):
    """Title and description; a new file also takes the upload of its first version, stored through
    customer360.services (size and content checked, nothing kept on refusal)."""

    fieldsets = (
        (_("File"), ("title", "description")),
        (_("First version"), ("file", "comment")),
    )
    file = forms.FileField(label=capfirst(_("file")))
    comment = forms.CharField(label=capfirst(_("comment")), max_length=300, required=False)

    class Meta(AccountRecordForm.Meta):
        model = Document
        fields = ["title", "description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk:
            del self.fields["file"]
            del self.fields["comment"]

    def write(self) -> None:
        if self.instance.pk is None:
            services.add_document_version(self.instance, self.cleaned_data["file"], by=self.user,
                                          comment=self.cleaned_data["comment"])
        else:
            super().write()


class VersionForm(forms.Form):
    """A new version of an existing file."""

    file = forms.FileField(label=capfirst(_("file")))
    comment = forms.CharField(label=capfirst(_("comment")), max_length=300, required=False, widget=forms.TextInput(
        attrs={"placeholder": _("What changed in this version?")}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# ---------- List filters ----------

class AccountRecordFilterForm(ListFilterForm):
    """Filters every list of account records shares: the account (set from its page, shown as a
    chip) and a quick search on a few text fields."""

    account = forms.ModelChoiceField(label=capfirst(_("account")), required=False, queryset=Account.objects.none(),
                                     widget=forms.HiddenInput)
    # Fields the quick search looks in (these types are not in the global search index).
    search_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.visible_to(self.user)

    def filter_q(self, queryset, value):
        condition = Q()
        for name in self.search_fields:
            condition |= Q(**{f"{name}__icontains": value})
        return queryset.filter(condition)


def _any(label, choices):
    return [("", label), *choices]


class AssetFilterForm(AccountRecordFilterForm):
    search_fields = ("product_name", "serial_number")
    status = forms.ChoiceField(label=capfirst(_("status")), required=False,
                               choices=_any(_("Any status"), CustomerAsset.Status.choices))


class ContractFilterForm(AccountRecordFilterForm):
    EXPIRY_WINDOWS = (30, 60, 90, 180)

    search_fields = ("number", "description")
    status = forms.ChoiceField(label=capfirst(_("status")), required=False,
                               choices=_any(_("Any status"), Contract.Status.choices))
    contract_type = forms.ChoiceField(label=capfirst(_("type")), required=False,
                                      choices=_any(_("Any type"), Contract.Type.choices))
    expiring = forms.TypedChoiceField(
        label=_("Expiring"), required=False, coerce=int, empty_value=None,
        choices=_any(_("Any time"), [(days, _("Within %(days)d days") % {"days": days}) for days in EXPIRY_WINDOWS]),
    )

    def filter_expiring(self, queryset, days):
        return queryset.expiring_within(clock.today(), days)


class InvoiceFilterForm(AccountRecordFilterForm):
    search_fields = ("number", "external_ref")
    status = forms.ChoiceField(label=capfirst(_("status")), required=False,
                               choices=_any(_("Any status"), Invoice.Status.choices))
    balance = forms.ChoiceField(label=_("Payment"), required=False, choices=[
        ("", _("Paid or not")), ("unpaid", _("Unpaid")), ("overdue", _("Overdue only")),
    ])

    def filter_balance(self, queryset, value):
        if value == "overdue":
            return queryset.overdue(clock.today())
        return queryset.billed().filter(balance__gt=0)


class NoteFilterForm(AccountRecordFilterForm):
    search_fields = ("title", "body")


class DeliveryFilterForm(AccountRecordFilterForm):
    search_fields = ("title", "reference")
    kind = forms.ChoiceField(label=capfirst(_("kind")), required=False,
                             choices=_any(_("Any kind"), ContentDelivery.Kind.choices))
    channel = forms.ChoiceField(label=capfirst(_("channel")), required=False,
                                choices=_any(_("Any channel"), ContentDelivery.Channel.choices))


class DocumentFilterForm(AccountRecordFilterForm):
    search_fields = ("title", "description")
