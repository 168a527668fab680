"""Pages of an account's related records: assets, contracts, invoices (with payments), notes, content
deliveries and files (with versions).

Every type has the same five pages — list, detail, create under its account, edit, delete — made by
one `RecordPages` per type; invoices and files add their own few views. A record is visible and
editable exactly when its account is (`AccountRecord.policy`: the account is its parent).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.accounts import services as account_services
from vinculo.accounts.models import Account, Invoice, Payment, amounts_hidden_from
from vinculo.core import clock, subjects
from vinculo.core.access import get_for_user
from vinculo.core.lists import Column, RecordListView, mark_visible, with_visibility
from vinculo.core.subjects import Regarding
from vinculo.core.views import move_to_recycle_bin, visible_history

from . import forms, services
from .models import ContentDelivery, Contract, CustomerAsset, Document, DocumentVersion, Note


def _label(model, name):
    return capfirst(model._meta.get_field(name).verbose_name)


class AccountRecordListView(RecordListView):
    """A list of one type of account record; `?account=<pk>` narrows it to one account (a chip)."""

    template_name = "customer360/records/record_list.html"
    select_related = ("account",)
    pages = None  # the type's RecordPages, given by RecordPages.urls()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.filter_form.cleaned_data.get("account")
        context.update(
            pages=self.pages,
            target=f"{self.pages.name}-results",
            account=account,
            can_add=bool(account) and Account.objects.editable_by(self.request.user).filter(pk=account.pk).exists(),
            object_list=self.decorate(list(context["object_list"])),
        )
        return context

    def decorate(self, records: list) -> list:
        """Set what the rows show beyond the record's fields (one query for the whole page at most). A
        record about another subject (a note about a deal shared through a sales team) may be visible
        while its account is not: its account is named only when visible."""
        if issubclass(self.model, Regarding):
            return mark_visible(records, self.request.user, "account", "account_visible")
        return records


class NamesContactMixin:
    """For lists whose rows name a contact: name it only where the viewer may open it."""

    def decorate(self, records):
        return mark_visible(super().decorate(records), self.request.user, "contact", "contact_visible")


class RecordPages:
    """List, detail, create, edit and delete pages of one type of account record.

    A subclass names the model, its form, list view and detail template, and the few labels that
    cannot be composed in every language ("New invoice" / "Nueva factura")."""

    model = None
    form_class = None
    list_view = None
    segment = ""  # the URL path segment: "invoices"
    detail_template = ""
    detail_related: tuple[str, ...] = ("account",)
    contact_field = "contact"  # named on the page only when the user may see that contact ("" for none)
    new_label = ""
    edit_label = ""

    @property
    def name(self) -> str:
        return self.model.page_name

    @property
    def title(self) -> str:
        return capfirst(self.model._meta.verbose_name_plural)

    def url_name(self, page: str) -> str:
        return f"accounts:{self.name}_{page}"

    @property
    def url_names(self) -> dict[str, str]:
        """For templates: {% url pages.url_names.edit record.pk %}."""
        return {page: self.url_name(page) for page in ("list", "detail", "create", "edit", "delete")}

    def urls(self):
        segment, name = self.segment, self.name
        return [
            path(f"{segment}/", self.list_view.as_view(pages=self), name=f"{name}_list"),
            path(f"{segment}/<int:pk>/", login_required(self.detail), name=f"{name}_detail"),
            path(f"<int:account_pk>/{segment}/new/", login_required(self.create), name=f"{name}_create"),
            path(f"{segment}/<int:pk>/edit/", login_required(self.edit), name=f"{name}_edit"),
            path(f"{segment}/<int:pk>/delete/", login_required(require_POST(self.delete)), name=f"{name}_delete"),
            # Types a lead may have (notes, files) are also created under a lead: new/?lead=<pk>.
            *([path(f"{segment}/new/", login_required(self.create), name=f"{name}_create")]
              if self.for_leads else []),
        ]

    @property
    def for_leads(self) -> bool:
        return issubclass(self.model, Regarding)

    # ---- detail ----

    def get_record(self, user, pk):
        """The record with what its page shows, whether `user` may edit it, and whether they may
        open its contact; 404 if they may not see it."""
        queryset = self.model.objects.select_related(*self.detail_related).annotate(
            editable=Exists(self.model.objects.editable_by(user).filter(pk=OuterRef("pk"))),
        )
        if self.for_leads:  # about any subject (a deal shared through a team): its account may be out of sight
            queryset = with_visibility(queryset, user, "account", "account_visible")
        record = get_for_user(queryset, user, pk)
        if self.contact_field:
            mark_visible([record], user, self.contact_field, "contact_visible")
        if not self.for_leads:
            record.account_visible = record.account_id is not None
        return record

    def hidden_fields(self, user) -> tuple[str, ...]:
        """Fields whose values the user may not see (left out of the history too): the field groups of
        the type's access policy that the user may not read."""
        return self.model.policy.hidden_fields(user)

    def detail_context(self, request, record) -> dict:
        """What the type's page shows besides the record's fields."""
        return {}

    def detail(self, request, pk, **refused):
        """The record's page; `refused` re-shows a form of the page (e.g. a payment) with its errors."""
        user = request.user
        record = self.get_record(user, pk)
        context = {
            "record": record,
            "account": record.account if record.account_visible else None,
            "lead": getattr(record, "lead", None),
            "pages": self,
            "history": visible_history(record, user, self.hidden_fields(user)),
            **self.detail_context(request, record, **refused),
        }
        return render(request, self.detail_template, context)

    # ---- writes ----

    def _form(self, request, instance):
        post = request.method == "POST"
        # A new record started from a contact's page (?contact=<pk>) names that contact; the field's choices
        # are the account's contacts the user may see, so another id selects nothing.
        contact = request.GET.get("contact", "")
        initial = {"contact": int(contact)} if instance.pk is None and contact.isdigit() else {}
        return self.form_class(request.POST if post else None, request.FILES if post else None,
                               instance=instance, user=request.user, initial=initial)

    def create(self, request, account_pk=None):
        if account_pk is None:  # under a lead (?lead=<pk>), which the user must be able to change
            leads = subjects.registry.model_named("lead")
            account, lead = None, get_for_user(leads, request.user, request.GET.get("lead"), write=True)
            instance = self.model(lead=lead)
        else:
            account, lead = get_for_user(Account, request.user, account_pk, write=True), None
            instance = self.model(account=account)
        form = self._form(request, instance)
        if request.method == "POST" and form.save_record():
            messages.success(request, _("“%(name)s” was created.") % {"name": form.instance})
            return redirect(form.instance)
        return render(request, "customer360/records/record_form.html", {
            "form": form, "pages": self, "account": account, "lead": lead, "heading": self.new_label,
            "cancel_url": (account or lead).get_absolute_url(),
        })

    def edit(self, request, pk):
        record = get_for_user(self.model.objects.select_related("account"), request.user, pk, write=True)
        form = self._form(request, record)
        if request.method == "POST" and form.save_record():
            messages.success(request, _("Changes to “%(name)s” saved.") % {"name": record})
            return redirect(record)
        return render(request, "customer360/records/record_form.html", {
            "form": form, "pages": self, "account": record.account, "lead": getattr(record, "lead", None),
            "record": record, "heading": self.edit_label,
            "cancel_url": record.get_absolute_url(), "reload_url": reverse(self.url_name("edit"), args=[record.pk]),
        })

    def delete(self, request, pk):
        record = get_for_user(self.model.objects.select_related("account"), request.user, pk, write=True)
        move_to_recycle_bin(request, record)
        return redirect(record.account if record.account_id else record.regarding)


# ---------- Customer assets ----------

class AssetListView(NamesContactMixin, AccountRecordListView):
    model = CustomerAsset
    fragment_template_name = "customer360/records/_asset_table.html"
    filter_form_class = forms.AssetFilterForm
    list_key = "assets"
    select_related = ("account", "contact")
    default_sort = "-sale_date"
    search_placeholder = gettext_lazy("Product or serial number…")
    columns = (
        Column("product_name", _label(CustomerAsset, "product_name"), ("product_name",), always=True),
        Column("account", _label(CustomerAsset, "account"), ("account__legal_name",)),
        Column("serial_number", _label(CustomerAsset, "serial_number"), ("serial_number",)),
        Column("sale_date", _label(CustomerAsset, "sale_date"), ("sale_date",)),
        Column("status", _label(CustomerAsset, "status"), ("status",)),
        Column("contact", _label(CustomerAsset, "contact"), default=False),
        Column("updated_at", gettext_lazy("Updated"), ("updated_at",), default=False),
    )


class AssetPages(RecordPages):
    model = CustomerAsset
    form_class = forms.AssetForm
    list_view = AssetListView
    segment = "assets"
    detail_template = "customer360/records/asset_detail.html"
    detail_related = ("account", "contact")
    new_label = gettext_lazy("New customer asset")
    edit_label = gettext_lazy("Edit customer asset")


assets = AssetPages()


# ---------- Contracts ----------

def _flag_renewals(contracts, today):
    for contract in contracts:
        days = contract.days_to_expiry(today)
        contract.days_left = days
        contract.renewal_due = contract.renewal_due_on(today)
    return contracts


class ContractListView(AccountRecordListView):
    model = Contract
    fragment_template_name = "customer360/records/_contract_table.html"
    filter_form_class = forms.ContractFilterForm
    list_key = "contracts"
    default_sort = "end_date"
    search_placeholder = gettext_lazy("Number or description…")
    columns = (
        Column("number", gettext_lazy("Number"), ("number",), always=True),
        Column("account", _label(Contract, "account"), ("account__legal_name",)),
        Column("contract_type", _label(Contract, "contract_type"), ("contract_type",)),
        Column("start_date", _label(Contract, "start_date"), ("start_date",), default=False),
        Column("end_date", _label(Contract, "end_date"), ("end_date",)),
        Column("renewal_type", _label(Contract, "renewal_type"), ("renewal_type",)),
        Column("status", _label(Contract, "status"), ("status",)),
        Column("value", _label(Contract, "value"), ("value",), default=False),
    )

    def decorate(self, records):
        return _flag_renewals(records, clock.today())


class ContractPages(RecordPages):
    model = Contract
    form_class = forms.ContractForm
    list_view = ContractListView
    segment = "contracts"
    detail_template = "customer360/records/contract_detail.html"
    detail_related = ("account", "contact")
    new_label = gettext_lazy("New contract")
    edit_label = gettext_lazy("Edit contract")

    def detail_context(self, request, record):
        _flag_renewals([record], clock.today())
        return {}


contracts = ContractPages()


# ---------- Invoices and payments ----------

class InvoiceListView(AccountRecordListView):
    model = Invoice
    fragment_template_name = "customer360/records/_invoice_table.html"
    filter_form_class = forms.InvoiceFilterForm
    list_key = "invoices"
    default_sort = "-issue_date"
    search_placeholder = gettext_lazy("Invoice number or ERP reference…")
    AMOUNT_COLUMNS = ("amount", "balance")
    columns = (
        Column("number", gettext_lazy("Number"), ("number",), always=True),
        Column("account", _label(Invoice, "account"), ("account__legal_name",)),
        # Short headers: the table must fit with the status and overdue badges.
        Column("issue_date", gettext_lazy("Date"), ("issue_date",)),
        Column("due_date", gettext_lazy("Due"), ("due_date",)),
        Column("amount", _label(Invoice, "amount"), ("amount",)),
        Column("balance", gettext_lazy("Balance"), ("balance",)),
        Column("status", _label(Invoice, "status"), ("status",)),
        Column("external_ref", _label(Invoice, "external_ref"), ("external_ref",), default=False),
    )

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if request.user.is_authenticated and amounts_hidden_from(request.user):
            self.columns = tuple(column for column in self.columns if column.name not in self.AMOUNT_COLUMNS)

    def decorate(self, records):
        today = clock.today()
        for invoice in records:
            invoice.overdue = invoice.is_overdue(today)
        return records


class InvoicePages(RecordPages):
    model = Invoice
    form_class = forms.InvoiceForm
    list_view = InvoiceListView
    segment = "invoices"
    detail_template = "customer360/records/invoice_detail.html"
    contact_field = ""
    new_label = gettext_lazy("New invoice")
    edit_label = gettext_lazy("Edit invoice")

    def detail_context(self, request, record, payment_form=None):
        user = request.user
        record.overdue = record.is_overdue(clock.today())
        hidden = amounts_hidden_from(user)
        payable = record.editable and not hidden and record.balance > 0 and record.status in (
            Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
        if payable and payment_form is None:
            payment_form = forms.PaymentForm(instance=Payment(invoice=record, account=record.account), user=user)
        return {
            "amounts_hidden": hidden,
            "payments": list(record.payments.select_related("created_by")),
            # A refused payment is shown with its errors even if the invoice has changed meanwhile.
            "payment_form": payment_form if payable or (payment_form and payment_form.is_bound) else None,
        }


invoices = InvoicePages()


@login_required
@require_POST
def payment_create(request, invoice_pk):
    invoice = get_for_user(Invoice.objects.select_related("account"), request.user, invoice_pk, write=True)
    if amounts_hidden_from(request.user):
        raise PermissionDenied
    form = forms.PaymentForm(request.POST, instance=Payment(invoice=invoice, account=invoice.account),
                             user=request.user)
    if form.save_record():
        messages.success(request, _("Payment registered."))
        return redirect(invoice)
    return invoices.detail(request, invoice.pk, payment_form=form)


@login_required
@require_POST
def payment_delete(request, pk):
    payment = get_for_user(Payment, request.user, pk, write=True)
    if amounts_hidden_from(request.user):
        raise PermissionDenied
    account_services.remove_payment(payment, by=request.user)
    messages.success(request, _("Payment removed; the invoice's balance was restored."))
    return redirect(payment)


# ---------- Notes ----------

class NoteListView(NamesContactMixin, AccountRecordListView):
    model = Note
    fragment_template_name = "customer360/records/_note_table.html"
    filter_form_class = forms.NoteFilterForm
    list_key = "notes"
    select_related = ("account", "contact", "created_by")
    default_sort = "-created_at"
    search_placeholder = gettext_lazy("Words in the title or the note…")
    columns = (
        Column("title", _label(Note, "title"), ("title",), always=True),
        Column("account", _label(Note, "account"), ("account__legal_name",)),
        Column("contact", _label(Note, "contact")),
        Column("created_by", gettext_lazy("Written by")),
        Column("created_at", gettext_lazy("Written"), ("created_at",)),
    )


class NotePages(RecordPages):
    model = Note
    form_class = forms.NoteForm
    list_view = NoteListView
    segment = "notes"
    detail_template = "customer360/records/note_detail.html"
    detail_related = ("account", "lead", "contact", "created_by")
    new_label = gettext_lazy("New note")
    edit_label = gettext_lazy("Edit note")


notes = NotePages()


# ---------- Content deliveries ----------

class DeliveryListView(NamesContactMixin, AccountRecordListView):
    model = ContentDelivery
    fragment_template_name = "customer360/records/_delivery_table.html"
    filter_form_class = forms.DeliveryFilterForm
    list_key = "deliveries"
    select_related = ("account", "contact", "delivered_by")
    default_sort = "-delivered_on"
    search_placeholder = gettext_lazy("Material or reference…")
    columns = (
        Column("title", _label(ContentDelivery, "title"), ("title",), always=True),
        Column("account", _label(ContentDelivery, "account"), ("account__legal_name",)),
        Column("kind", _label(ContentDelivery, "kind"), ("kind",)),
        Column("contact", _label(ContentDelivery, "contact")),
        Column("delivered_on", _label(ContentDelivery, "delivered_on"), ("delivered_on",)),
        Column("channel", _label(ContentDelivery, "channel"), ("channel",)),
        Column("delivered_by", _label(ContentDelivery, "delivered_by"), default=False),
    )


class DeliveryPages(RecordPages):
    model = ContentDelivery
    form_class = forms.DeliveryForm
    list_view = DeliveryListView
    segment = "deliveries"
    detail_template = "customer360/records/delivery_detail.html"
    detail_related = ("account", "contact", "delivered_by")
    new_label = gettext_lazy("New content delivery")
    edit_label = gettext_lazy("Edit content delivery")


deliveries = DeliveryPages()


# ---------- Files ----------

class DocumentListView(AccountRecordListView):
    model = Document
    fragment_template_name = "customer360/records/_document_table.html"
    filter_form_class = forms.DocumentFilterForm
    list_key = "documents"
    select_related = ("account", "created_by")
    default_sort = "-updated_at"
    search_placeholder = gettext_lazy("Title or description…")
    columns = (
        Column("title", _label(Document, "title"), ("title",), always=True),
        Column("account", _label(Document, "account"), ("account__legal_name",)),
        Column("versions", gettext_lazy("Versions")),
        Column("updated_at", gettext_lazy("Updated"), ("updated_at",)),
        Column("created_by", gettext_lazy("Added by"), default=False),
    )

    def narrow(self, queryset):
        # The versions counted here too, so that the list's export (which narrows its own records) has them.
        return super().narrow(queryset).annotate(version_count=Count("versions"))


class DocumentPages(RecordPages):
    model = Document
    form_class = forms.DocumentForm
    list_view = DocumentListView
    segment = "files"
    detail_template = "customer360/records/document_detail.html"
    detail_related = ("account", "lead")
    contact_field = ""
    new_label = gettext_lazy("New file")
    edit_label = gettext_lazy("Edit file")

    def detail_context(self, request, record, version_form=None):
        return {
            "versions": list(record.versions.select_related("uploaded_by")),
            "version_form": (version_form or forms.VersionForm()) if record.editable else None,
            "max_upload_mb": services.max_upload_bytes() // (1024 * 1024),
        }


documents = DocumentPages()


@login_required
@require_POST
def document_upload(request, pk):
    """A new version of a file; on refusal the file's page shows why, and nothing is stored."""
    document = get_for_user(Document, request.user, pk, write=True)
    form = forms.VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.add_document_version(document, form.cleaned_data["file"], by=request.user,
                                                    comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Version %(number)d of “%(name)s” uploaded.")
                             % {"number": version.number, "name": document})
            return redirect(document)
    return documents.detail(request, document.pk, version_form=form)


@login_required
def document_download(request, version_pk):
    """A file version's content, only for who may see its file: never a public media URL."""
    visible = Document.objects.visible_to(request.user)
    version = get_object_or_404(DocumentVersion.objects.filter(document__in=visible), pk=version_pk)
    try:
        content = version.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(content, as_attachment=True, filename=version.original_name,
                        content_type=version.content_type)
