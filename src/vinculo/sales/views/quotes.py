"""Pages of quotes: the list, creating one from a deal, the quote page with its lines edited in place
while it is a draft (htmx), the workflow buttons, revisions and the PDF.

A quote is visible and editable exactly when its opportunity is (`Quote.policy`: its deal is its parent); every write
goes through `sales.quoting`, which refuses changes to anything but a draft.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.core.access import get_for_user
from vinculo.core.lists import Column, RecordListView, mark_visible
from vinculo.core.views import visible_history

from .. import pdf, quoting
from ..forms_quotes import DecisionForm, QuoteFilterForm, QuoteForm, QuoteLineForm
from ..models import Opportunity, Quote, QuoteLine


def _label(name):
    return capfirst(Quote._meta.get_field(name).verbose_name)


class QuoteListView(RecordListView):
    model = Quote
    template_name = "sales/quotes/quote_list.html"
    fragment_template_name = "sales/quotes/_quote_table.html"
    filter_form_class = QuoteFilterForm
    list_key = "quotes"
    select_related = ("opportunity", "opportunity__account", "owner")
    default_sort = "-issued_on"
    search_placeholder = gettext_lazy("Quote number or deal…")
    columns = (
        Column("number", _label("number"), ("number", "revision"), always=True),
        Column("account", gettext_lazy("Account"), ("opportunity__account__legal_name",)),
        Column("opportunity", _label("opportunity"), ("opportunity__name",)),
        Column("status", _label("status"), ("status",)),
        Column("issued_on", _label("issued_on"), ("issued_on",)),
        Column("valid_until", _label("valid_until"), ("valid_until",)),
        Column("total", _label("total"), ("total",)),
        Column("owner", _label("owner"), ("owner__first_name", "owner__last_name"), default=False),
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        quotes = list(context["object_list"])
        # The deal is visible (the quote is); its account may not be: name it only when it is.
        mark_visible([quote.opportunity for quote in quotes], self.request.user, "account", "account_visible")
        context.update(object_list=quotes, target="quote-results")
        return context


quote_list = QuoteListView.as_view()


def _quote_for_page(user, pk):
    queryset = Quote.objects.select_related(
        "opportunity", "opportunity__account", "contact", "owner", "price_list",
    ).annotate(editable=Exists(Quote.objects.editable_by(user, per_row=True).filter(pk=OuterRef("pk"))))
    quote = get_for_user(queryset, user, pk)
    mark_visible([quote.opportunity], user, "account", "account_visible")
    mark_visible([quote], user, "contact", "contact_visible")
    return quote


def _lines_context(quote, add_form=None, failed_line=None) -> dict:
    """The lines, totals and (for an editable draft) the forms of the lines section."""
    lines = list(quote.lines.select_related("product").order_by("position", "id"))
    editing = quote.editable and quote.is_editable
    if editing:
        for line in lines:
            line.form = failed_line if failed_line is not None and failed_line.line.pk == line.pk else QuoteLineForm(
                line=line)
    return {
        "quote": quote,
        "lines": lines,
        "taxes": quoting.taxes_by_rate(lines, quote.currency),
        "net": quote.subtotal - quote.discount_total,
        "editing": editing,
        "add_form": (add_form or QuoteLineForm(price_list=quote.price_list)) if editing else None,
    }


@login_required
def quote_detail(request, pk, add_form=None, failed_line=None, decision_form=None, status=200):
    user = request.user
    quote = _quote_for_page(user, pk)
    context = _lines_context(quote, add_form, failed_line)
    context.update(
        revisions=quoting.revisions_of(quote, user),
        decision_form=decision_form or DecisionForm(),
        history=visible_history(quote, user),
    )
    return render(request, "sales/quotes/quote_detail.html", context, status=status)


@login_required
def quote_create(request):
    """A new quote for the deal `?opportunity=<pk>` (the user must be able to edit it)."""
    user = request.user
    opportunity_id = request.GET.get("opportunity", "")
    if not opportunity_id.isdigit():
        messages.info(request, _("Quotes are made from a deal: open the opportunity and choose “New quote”."))
        return redirect("sales:quote_list")
    opportunity = get_for_user(Opportunity.objects.select_related("account"), user, opportunity_id, write=True)
    form = QuoteForm(request.POST if request.method == "POST" else None, instance=Quote(opportunity=opportunity),
                     user=user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("Quote %(number)s created.") % {"number": form.instance})
        return redirect(form.instance)
    mark_visible([opportunity], user, "account", "account_visible")
    return render(request, "sales/quotes/quote_form.html", {"form": form, "opportunity": opportunity})


@login_required
def quote_edit(request, pk):
    quote = get_for_user(Quote.objects.select_related("opportunity"), request.user, pk, write=True)
    if not quote.is_editable:
        messages.error(request, quoting.NOT_DRAFT.get(quote.status, _("This quote can no longer change.")))
        return redirect(quote)
    form = QuoteForm(request.POST if request.method == "POST" else None, instance=quote, user=request.user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("Changes to “%(name)s” saved.") % {"name": quote})
        return redirect(quote)
    return render(request, "sales/quotes/quote_form.html", {
        "form": form, "quote": quote, "opportunity": quote.opportunity,
        "reload_url": reverse("sales:quote_edit", args=[quote.pk]),
    })


@login_required
def quote_pdf(request, pk):
    quote = get_for_user(Quote.objects.select_related("opportunity__account", "contact", "owner"), request.user, pk)
    response = HttpResponse(pdf.render_quote(quote, reader=request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename(quote)}"'
    return response


def _refused(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@login_required
@require_POST
def quote_send(request, pk):
    quote = get_for_user(Quote, request.user, pk, write=True)
    try:
        quoting.send_quote(quote, request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Quote %(number)s marked as sent. Download its PDF for the customer.")
                         % {"number": quote})
    return redirect(quote)


@login_required
@require_POST
def quote_accept(request, pk):
    quote = get_for_user(Quote, request.user, pk, write=True)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return quote_detail(request, pk, decision_form=form, status=422)
    try:
        quoting.accept_quote(quote, request.user, mark_won=form.cleaned_data["mark_won"], note=form.cleaned_data["note"])
    except ValidationError as exc:
        _refused(request, exc)
    else:
        if form.cleaned_data["mark_won"]:
            messages.success(request, _("Quote %(number)s accepted; the deal is marked won.") % {"number": quote})
        else:
            messages.success(request, _("Quote %(number)s accepted.") % {"number": quote})
    return redirect(quote)


@login_required
@require_POST
def quote_reject(request, pk):
    quote = get_for_user(Quote, request.user, pk, write=True)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return quote_detail(request, pk, decision_form=form, status=422)
    try:
        quoting.reject_quote(quote, request.user, note=form.cleaned_data["note"])
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Quote %(number)s marked as rejected. Revise it to make a new offer.")
                         % {"number": quote})
    return redirect(quote)


@login_required
@require_POST
def quote_revise(request, pk):
    quote = get_for_user(Quote, request.user, pk, write=True)
    try:
        revision = quoting.revise_quote(quote, request.user)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(quote)
    messages.success(request, _("Revision %(revision)s of %(number)s created as a draft.")
                     % {"revision": revision.revision, "number": revision.number})
    return redirect(revision)


@login_required
@require_POST
def quote_delete(request, pk):
    quote = get_for_user(Quote, request.user, pk, write=True)
    try:
        quoting.delete_quote(quote, request.user)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(quote)
    messages.success(request, _("Quote %(number)s was deleted.") % {"number": quote})
    previous = Quote.objects.visible_to(request.user).filter(number=quote.number).order_by("-revision").first()
    return redirect(previous) if previous else redirect("sales:quote_list")


# ---------- Lines (htmx: each answers the lines section) ----------

def _lines_response(request, pk, add_form=None, failed_line=None):
    if not request.htmx:
        if add_form is None and failed_line is None:
            return redirect("sales:quote_detail", pk)
        return quote_detail(request, pk, add_form=add_form, failed_line=failed_line, status=422)
    quote = _quote_for_page(request.user, pk)
    context = {**_lines_context(quote, add_form, failed_line), "oob": True}
    return render(request, "sales/quotes/_quote_lines.html", context)


def _line_refused(request, pk, exc: ValidationError):
    """A refusal that is about the quote (no longer a draft), not about a field of the line."""
    _refused(request, exc)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = Quote(pk=pk).get_absolute_url()
        return response
    return redirect("sales:quote_detail", pk)


@login_required
@require_POST
def quote_line_add(request, pk):
    quote = get_for_user(Quote.objects.select_related("price_list"), request.user, pk, write=True)
    if not quote.is_editable:
        return _line_refused(request, pk, ValidationError(quoting.NOT_DRAFT[quote.status]))
    form = QuoteLineForm(request.POST, price_list=quote.price_list)
    if form.save(quote, request.user):
        return _lines_response(request, pk)
    return _lines_response(request, pk, add_form=form)


@login_required
@require_POST
def quote_line_edit(request, pk, line_pk):
    quote = get_for_user(Quote, request.user, pk, write=True)
    line = get_object_or_404(QuoteLine, pk=line_pk, quote=quote)
    if not quote.is_editable:
        return _line_refused(request, pk, ValidationError(quoting.NOT_DRAFT[quote.status]))
    form = QuoteLineForm(request.POST, line=line)
    if form.save(quote, request.user):
        return _lines_response(request, pk)
    return _lines_response(request, pk, failed_line=form)


@login_required
@require_POST
def quote_line_delete(request, pk, line_pk):
    quote = get_for_user(Quote, request.user, pk, write=True)
    line = get_object_or_404(QuoteLine, pk=line_pk, quote=quote)
    try:
        quoting.remove_line(line, request.user)
    except ValidationError as exc:
        return _line_refused(request, pk, exc)
    return _lines_response(request, pk)

