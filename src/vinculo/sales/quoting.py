"""Quotes and the prices they are made from: line amounts and totals, numbering, the draft → sent →
accepted/rejected workflow with revisions, and setting a product's price in a price list.

Every write runs in one transaction through `core.services`, so history and optimistic locking apply
whichever channel (page, API) calls it. A quote that left the draft state is never edited in place:
`revise_quote` makes the next revision, with the same number, and supersedes the old one.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Length
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.core import clock
from vinculo.core.access import is_admin, may_see, require_edit
from vinculo.core.models import TrackedModel
from vinculo.core.money import MINOR_DIGITS, MissingRate, convert, quantize
from vinculo.core.services import create_record, log_change, soft_delete, update_record

from .models import Opportunity, PriceList, PriceListItem, Product, Quote, QuoteLine

VALIDITY_DAYS = 30
NUMBER_PREFIX = "COT"
# Concurrent creators may pick the same next number; the unique constraint refuses all but one and
# the others try the following number.
NUMBER_ATTEMPTS = 5
HUNDRED = Decimal(100)


# ---------- Amounts ----------

def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def line_gross(quantity, unit_price, currency: str) -> Decimal:
    """Quantity × unit price before discount, rounded to the currency's minor unit."""
    return quantize(_decimal(quantity) * _decimal(unit_price), currency)


def line_amounts(quantity, unit_price, discount_percent, tax_rate, currency: str) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, total) of one line, each rounded half-up to the currency's minor unit: the net after
    the discount, the tax on that rounded net (per line, as invoices print it) and their sum."""
    gross = _decimal(quantity) * _decimal(unit_price)
    net = quantize(gross * (HUNDRED - _decimal(discount_percent)) / HUNDRED, currency)
    tax = quantize(net * _decimal(tax_rate) / HUNDRED, currency)
    return net, tax, net + tax


@dataclass(frozen=True)
class Totals:
    """A quote's totals. Always `total == subtotal - discount_total + tax_total == Σ line totals`."""

    subtotal: Decimal  # gross, before discounts
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    taxes_by_rate: dict  # tax rate → tax amount, for the tax lines of the totals box


def totals_of(lines: Iterable, currency: str) -> Totals:
    """The totals of lines given as (quantity, unit_price, discount_percent, tax_rate). The discount is
    what rounding the gross and the net leaves between them, so the identity above holds exactly."""
    zero = quantize(Decimal(0), currency)
    gross_sum = net_sum = tax_sum = zero
    by_rate = defaultdict(lambda: zero)
    for quantity, unit_price, discount_percent, tax_rate in lines:
        net, tax, _total = line_amounts(quantity, unit_price, discount_percent, tax_rate, currency)
        gross_sum += line_gross(quantity, unit_price, currency)
        net_sum += net
        tax_sum += tax
        by_rate[_decimal(tax_rate).normalize()] += tax
    return Totals(
        subtotal=gross_sum,
        discount_total=gross_sum - net_sum,
        tax_total=tax_sum,
        total=net_sum + tax_sum,
        taxes_by_rate=dict(sorted(by_rate.items())),
    )


def taxes_by_rate(lines: Iterable[QuoteLine], currency: str) -> list[tuple[Decimal, Decimal]]:
    """[(rate, tax amount)] of stored lines, for the totals box and the PDF."""
    zero = quantize(Decimal(0), currency)
    by_rate = defaultdict(lambda: zero)
    for line in lines:
        by_rate[line.tax_rate.normalize()] += quantize(line.tax_amount, currency)
    return sorted(by_rate.items())


def _price_line(line: QuoteLine, currency: str) -> None:
    line.net_amount, line.tax_amount, line.total_amount = line_amounts(
        line.quantity, line.unit_price, line.discount_percent, line.tax_rate, currency)


def _set_totals(quote: Quote, lines: list[QuoteLine]) -> None:
    totals = totals_of(((line.quantity, line.unit_price, line.discount_percent, line.tax_rate) for line in lines),
                       quote.currency)
    quote.subtotal, quote.discount_total = totals.subtotal, totals.discount_total
    quote.tax_total, quote.total = totals.tax_total, totals.total


def recompute_totals(quote: Quote) -> Quote:
    """Re-price every line of `quote` and set its totals (one query to read the lines, one to store
    those that changed). The caller saves the quote, through `update_record`, so the change is logged."""
    lines = list(quote.lines.all())
    changed = []
    for line in lines:
        before = (line.net_amount, line.tax_amount, line.total_amount)
        _price_line(line, quote.currency)
        if before != (line.net_amount, line.tax_amount, line.total_amount):
            changed.append(line)
    if changed:
        QuoteLine.objects.bulk_update(changed, ["net_amount", "tax_amount", "total_amount"])
    _set_totals(quote, lines)
    return quote


# ---------- Permissions and state ----------

def can_manage_catalogue(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and (is_admin(user) or user.has_perm("sales.manage_catalogue")))


def _locked(quote: Quote) -> Quote:
    """The stored row of `quote`, locked until the transaction ends: its status as it is now."""
    return Quote.all_objects.select_for_update().get(pk=quote.pk)


NOT_DRAFT = {
    Quote.Status.SENT: gettext_lazy("This quote was sent: it is never changed in place. Revise it to make a new revision."),
    Quote.Status.REJECTED: gettext_lazy("This quote was rejected: revise it to make a new revision."),
    Quote.Status.ACCEPTED: gettext_lazy("This quote was accepted and can no longer change."),
    Quote.Status.SUPERSEDED: gettext_lazy("A newer revision replaced this quote; change that one instead."),
}


def _check_draft(stored: Quote) -> None:
    if stored.deleted_at is not None:
        raise ValidationError(_("This quote is in the recycle bin."))
    if stored.status != Quote.Status.DRAFT:
        raise ValidationError(str(NOT_DRAFT[stored.status]))


def _validate(record) -> None:
    """Model validation of a record whose bookkeeping core.services fills in."""
    record.full_clean(exclude=[f.name for f in record._meta.concrete_fields if f.name in TrackedModel.UNTRACKED_FIELDS],
                      validate_constraints=False)


# ---------- Creating and changing drafts ----------

def _next_number(year: int) -> str:
    prefix = f"{NUMBER_PREFIX}-{year}-"
    # Longest first: after 99999 the sequence grows a digit and must still sort last.
    last = (Quote.all_objects.filter(number__startswith=prefix).order_by(Length("number").desc(), "-number")
            .values_list("number", flat=True).first())
    sequence = int(last.removeprefix(prefix)) + 1 if last and last.removeprefix(prefix).isdigit() else 1
    return f"{prefix}{sequence:05d}"


def _price_in(price_list: PriceList | None, product: Product) -> Decimal | None:
    if price_list is None:
        return None
    return PriceListItem.objects.filter(price_list=price_list, product=product).values_list(
        "unit_price", flat=True).first()


def _usable_price_list(price_list: PriceList | None) -> PriceList | None:
    if price_list is not None and (price_list.deleted_at is not None or not price_list.is_active):
        raise ValidationError({"price_list": _("The price list “%(name)s” is not in use.") % {"name": price_list.name}})
    return price_list


def _starting_lines(opportunity: Opportunity, price_list: PriceList | None, currency: str, on) -> list[QuoteLine]:
    """The deal's product lines as the quote's first lines: the price list's price where the product
    has one, else the deal's price (converted if the quote is in another currency)."""
    opportunity_lines = list(opportunity.lines.select_related("product").order_by("id"))
    listed = {}
    if price_list is not None:
        product_ids = [line.product_id for line in opportunity_lines if line.product_id]
        listed = dict(PriceListItem.objects.filter(price_list=price_list, product_id__in=product_ids)
                      .values_list("product_id", "unit_price"))
    lines = []
    for position, source in enumerate((line for line in opportunity_lines if line.quantity > 0), start=1):
        product = source.product
        price = listed.get(source.product_id)
        if price is None:
            price = source.unit_price
            if opportunity.currency != currency and price:
                try:
                    price = convert(price, opportunity.currency, currency, on)
                except MissingRate as exc:
                    raise ValidationError({"price_list": _(
                        "The deal's lines are in %(from)s and this quote in %(to)s, but there is no %(missing)s "
                        "exchange rate on or before %(date)s. Enter one, or choose a price list in %(from)s."
                    ) % {"from": opportunity.currency, "to": currency, "missing": exc.currency, "date": exc.on}}) from exc
        lines.append(QuoteLine(
            position=position,
            product=product,
            description=(source.description or (product.name if product else ""))[:300] or str(_("Item")),
            quantity=source.quantity,
            unit=product.unit if product else Product.Unit.UNIT,
            unit_price=price,
            discount_percent=source.discount_percent,
            tax_rate=product.tax_rate if product else QuoteLine._meta.get_field("tax_rate").default,
        ))
    return lines


@transaction.atomic
def create_quote(
    opportunity: Opportunity,
    by,
    price_list: PriceList | None = None,
    *,
    contact=None,
    currency: str | None = None,
    issued_on: datetime.date | None = None,
    valid_until: datetime.date | None = None,
    terms: str | None = None,
    notes: str = "",
) -> Quote:
    """A draft quote for `opportunity`, numbered COT-<year>-<00001>, revision 1, starting from the deal's
    product lines. Its currency is the price list's (else the deal's); it is valid 30 days by default and
    carries the company's standard terms."""
    from vinculo.org.models import CompanyProfile

    require_edit(by, opportunity)
    price_list = _usable_price_list(price_list)
    if price_list is not None and currency and currency != price_list.currency:
        raise ValidationError({"currency": _("The price list “%(name)s” is in %(currency)s; choose that currency "
                                             "or another list.") % {"name": price_list.name,
                                                                    "currency": price_list.currency}})
    currency = price_list.currency if price_list else (currency or opportunity.currency)
    issued_on = issued_on or clock.today()
    if contact is None:
        primary = opportunity.contact_roles.filter(is_primary=True).select_related("contact").first()
        # Addressed by default to the deal's primary contact, unless the author may not see it.
        contact = primary.contact if primary and may_see(by, primary.contact) else None
    quote = Quote(
        opportunity=opportunity, owner=by, price_list=price_list, currency=currency, contact=contact,
        issued_on=issued_on, valid_until=valid_until or issued_on + datetime.timedelta(days=VALIDITY_DAYS),
        terms=CompanyProfile.current().quote_terms if terms is None else terms, notes=notes,
        number=_next_number(issued_on.year), revision=1,
    )
    lines = _starting_lines(opportunity, price_list, currency, issued_on)
    for line in lines:
        _price_line(line, currency)
    _set_totals(quote, lines)
    _validate(quote)
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                create_record(quote, by, validate=False)
            break
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
            quote.pk = None
            quote.number = _next_number(issued_on.year)
    for line in lines:
        line.quote = quote
    QuoteLine.objects.bulk_create(lines)
    return quote


HEADER_FIELDS = ("contact", "price_list", "currency", "issued_on", "valid_until", "terms", "notes")


@transaction.atomic
def update_quote(quote: Quote, by, expected_version: int | None = None) -> Quote:
    """Save the header of a draft (`quote` carries the new values). The currency follows the price
    list, and cannot change once there are lines (their prices are in the old one)."""
    require_edit(by, quote)
    stored = _locked(quote)
    _check_draft(stored)
    if quote.price_list_id != stored.price_list_id:
        _usable_price_list(quote.price_list)
    if quote.price_list is not None and quote.currency != quote.price_list.currency:
        raise ValidationError({"price_list": _("The price list “%(name)s” is in %(currency)s and the quote in "
                                               "%(quote)s.") % {"name": quote.price_list.name,
                                                                "currency": quote.price_list.currency,
                                                                "quote": quote.currency}})
    if quote.currency != stored.currency and quote.lines.exists():
        raise ValidationError({"currency": _("The lines are priced in %(currency)s: remove them before changing "
                                             "the quote's currency.") % {"currency": stored.currency}})
    return update_record(quote, by, expected_version=expected_version)


def _draft_for_lines(quote: Quote, by) -> Quote:
    """The stored quote, locked, after checking `by` may change it and it is a draft."""
    require_edit(by, quote)
    stored = _locked(quote)
    _check_draft(stored)
    return stored


def _fill_from_product(line: QuoteLine, quote: Quote, given: dict) -> None:
    """What a catalogue product brings to a line: description, unit, tax rate and the price list's price,
    unless the caller gave them."""
    product = line.product
    if product.deleted_at is not None or not product.is_active:
        raise ValidationError({"product": _("“%(product)s” is no longer sold (inactive product).")
                                          % {"product": product}})
    if not given.get("description"):
        line.description = product.name[:300]
    if not given.get("unit"):
        line.unit = product.unit
    if given.get("tax_rate") is None:
        line.tax_rate = product.tax_rate
    if given.get("unit_price") is None:
        price = _price_in(quote.price_list, product)
        if price is None:
            where = (_("in the price list “%(name)s”") % {"name": quote.price_list.name} if quote.price_list
                     else _("(the quote has no price list)"))
            raise ValidationError({"unit_price": _("“%(product)s” has no price %(where)s: enter a unit price.")
                                                 % {"product": product, "where": where}})
        line.unit_price = price


def _validate_line(line: QuoteLine) -> None:
    errors = {}
    try:
        line.full_clean(exclude=["quote"])
    except ValidationError as exc:
        errors = exc.message_dict
    if line.quantity is not None and "quantity" not in errors and line.quantity <= 0:
        errors["quantity"] = [_("The quantity must be more than zero.")]
    if errors:
        raise ValidationError(errors)


def _largest(model, field: str) -> Decimal:
    """The first amount a DecimalField can no longer store (10^integer digits)."""
    definition = model._meta.get_field(field)
    return Decimal(10) ** (definition.max_digits - definition.decimal_places)


def _check_line_fits(line: QuoteLine, currency: str) -> None:
    """Quantity and unit price each fit their columns, but their product may not fit the line's amounts."""
    gross, limit = line_gross(line.quantity, line.unit_price, currency), _largest(QuoteLine, "total_amount")
    if max(abs(gross), abs(line.total_amount)) >= limit:
        raise ValidationError({"quantity": _("Quantity × unit price is too large for a quote line: its amount must "
                                             "stay under %(limit)s.") % {"limit": limit}})


def _store_totals(quote: Quote, by, expected_version: int | None) -> Quote:
    recompute_totals(quote)
    limit = _largest(Quote, "total")
    if max(abs(quote.subtotal), abs(quote.total)) >= limit:
        raise ValidationError(_("The quote's total would be too large: it must stay under %(limit)s.")
                              % {"limit": limit})
    return update_record(quote, by, expected_version=expected_version)


LINE_FIELDS = ("product", "description", "quantity", "unit", "unit_price", "discount_percent", "tax_rate", "position")


@transaction.atomic
def add_line(quote: Quote, by, *, expected_version: int | None = None, **fields) -> QuoteLine:
    """Add a line to a draft. With a `product` (an active catalogue product) the description, unit, tax
    rate and unit price (from the quote's price list) are filled in unless given."""
    stored = _draft_for_lines(quote, by)
    unknown = set(fields) - set(LINE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown line fields: {', '.join(sorted(unknown))}")
    given = dict(fields)
    values = {name: value for name, value in fields.items() if value is not None and value != ""}
    values.setdefault("quantity", Decimal(1))
    values.setdefault("discount_percent", Decimal(0))
    if "position" not in values:
        values["position"] = (stored.lines.aggregate(last=Max("position"))["last"] or 0) + 1
    line = QuoteLine(quote=stored, **values)
    if line.product_id is not None:
        _fill_from_product(line, stored, given)
    elif not values.get("description"):
        raise ValidationError({"description": _("Choose a product or describe the line.")})
    elif line.unit_price is None:
        raise ValidationError({"unit_price": _("Enter a unit price.")})
    _validate_line(line)
    _price_line(line, stored.currency)
    _check_line_fits(line, stored.currency)
    line.save()
    _store_totals(stored, by, expected_version)
    _refresh(quote, stored)
    return line


@transaction.atomic
def update_line(line: QuoteLine, by, *, expected_version: int | None = None, **fields) -> QuoteLine:
    """Change a line of a draft; picking another product fills in what it brings (see `add_line`)."""
    caller_quote = line.quote
    stored = _draft_for_lines(caller_quote, by)
    unknown = set(fields) - set(LINE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown line fields: {', '.join(sorted(unknown))}")
    line = QuoteLine.objects.select_for_update().get(pk=line.pk, quote=stored)
    product_changed = "product" in fields and getattr(fields["product"], "pk", None) != line.product_id
    for name, value in fields.items():
        if name in ("description", "unit") and value is None:
            continue
        setattr(line, name, value)
    if product_changed and line.product_id is not None:
        _fill_from_product(line, stored, fields)
    _validate_line(line)
    _price_line(line, stored.currency)
    _check_line_fits(line, stored.currency)
    line.save()
    _store_totals(stored, by, expected_version)
    _refresh(caller_quote, stored)
    return line


@transaction.atomic
def remove_line(line: QuoteLine, by, *, expected_version: int | None = None) -> None:
    stored = _draft_for_lines(line.quote, by)
    QuoteLine.objects.filter(pk=line.pk, quote=stored).delete()
    _store_totals(stored, by, expected_version)
    _refresh(line.quote, stored)


def _refresh(quote: Quote, stored: Quote) -> None:
    """Bring the caller's instance up to date with what was stored (version, totals)."""
    if quote is stored:
        return
    for name in ("version", "subtotal", "discount_total", "tax_total", "total", "status", "updated_at", "updated_by_id"):
        setattr(quote, name, getattr(stored, name))


# ---------- The workflow ----------

@transaction.atomic
def send_quote(quote: Quote, by, expected_version: int | None = None) -> Quote:
    """Draft → sent. From now on the quote is frozen: changes need a revision."""
    require_edit(by, quote)
    stored = _locked(quote)
    _check_draft(stored)
    if not stored.lines.exists():
        raise ValidationError(_("Add at least one line before sending the quote."))
    if stored.valid_until < clock.today():
        raise ValidationError({"valid_until": _("This quote expired on %(date)s: change its validity before sending it.")
                                              % {"date": stored.valid_until}})
    stored.status = Quote.Status.SENT
    stored.sent_at = clock.now()
    update_record(stored, by, expected_version=expected_version)
    _refresh_all(quote, stored)
    return quote


def _check_sent(stored: Quote, refusal: str) -> None:
    """`refusal` names the status, e.g. "Only a sent quote can be accepted; this one is “%(status)s”."."""
    if stored.deleted_at is not None:
        raise ValidationError(_("This quote is in the recycle bin."))
    if stored.status != Quote.Status.SENT:
        raise ValidationError(refusal % {"status": stored.get_status_display()})


def _check_valid(stored: Quote) -> None:
    """A quote past its validity cannot be accepted, even before the scheduled job marks it expired."""
    if stored.past_validity:
        raise ValidationError(_("This quote expired on %(date)s: revise it into a new revision with new dates "
                                "to offer it again.") % {"date": date_format(stored.valid_until, "SHORT_DATE_FORMAT")})


def expire_quotes() -> int:
    """Sent quotes past their validity (the day after `valid_until`) become expired, each in its history;
    the number expired. Idempotent: run by `vinculo worker` on a schedule (sales/apps.py)."""
    today = clock.today()
    expired = 0
    for pk in Quote.objects.filter(status=Quote.Status.SENT, valid_until__lt=today).values_list("pk", flat=True):
        with transaction.atomic():
            stored = Quote.objects.select_for_update().filter(
                pk=pk, status=Quote.Status.SENT, valid_until__lt=today).first()
            if stored is None:  # accepted, revised or changed meanwhile
                continue
            stored.status = Quote.Status.EXPIRED
            update_record(stored, None, validate=False)
            expired += 1
    return expired


@transaction.atomic
def accept_quote(quote: Quote, by, mark_won: bool = True, note: str = "",
                 expected_version: int | None = None) -> Quote:
    """Sent → accepted. Other open revisions of the same number are superseded. With `mark_won` the
    deal is closed as won, for the quote's total in the quote's currency (a prospect account becomes a
    customer: see `sales.pipeline.close_opportunity`)."""
    from .pipeline import close_opportunity

    require_edit(by, quote)
    stored = _locked(quote)
    _check_valid(stored)
    _check_sent(stored, _("Only a sent quote can be accepted; this one is “%(status)s”."))
    stored.status = Quote.Status.ACCEPTED
    stored.decided_at = clock.now()
    stored.decision_note = note
    update_record(stored, by, expected_version=expected_version)
    _supersede_others(stored, by)
    if mark_won:
        opportunity = Opportunity.objects.select_for_update().get(pk=stored.opportunity_id)
        opportunity.currency = stored.currency
        close_opportunity(opportunity, Opportunity.Status.WON, by, amount=stored.total,
                          note=opportunity.close_note or _("Quote %(quote)s accepted.") % {"quote": stored})
    _refresh_all(quote, stored)
    return quote


@transaction.atomic
def reject_quote(quote: Quote, by, note: str = "", expected_version: int | None = None) -> Quote:
    """Sent → rejected, with the customer's answer. It can still be revised into a new offer."""
    require_edit(by, quote)
    stored = _locked(quote)
    _check_sent(stored, _("Only a sent quote can be rejected; this one is “%(status)s”."))
    stored.status = Quote.Status.REJECTED
    stored.decided_at = clock.now()
    stored.decision_note = note
    update_record(stored, by, expected_version=expected_version)
    _refresh_all(quote, stored)
    return quote


def _supersede_others(quote: Quote, by) -> None:
    open_states = (Quote.Status.DRAFT, Quote.Status.SENT)
    for other in Quote.objects.select_for_update().filter(number=quote.number, status__in=open_states).exclude(
            pk=quote.pk):
        other.status = Quote.Status.SUPERSEDED
        update_record(other, by, validate=False)


@transaction.atomic
def revise_quote(quote: Quote, by) -> Quote:
    """A sent, rejected or expired quote → a new draft revision with the same number and a copy of its
    lines, dated today and valid for as many days as the old one; the old revision becomes superseded."""
    require_edit(by, quote)
    revisions = list(Quote.all_objects.select_for_update().filter(number=quote.number).order_by("revision"))
    stored = next(revision for revision in revisions if revision.pk == quote.pk)
    if stored.deleted_at is not None:
        raise ValidationError(_("This quote is in the recycle bin."))
    if stored.status not in (Quote.Status.SENT, Quote.Status.REJECTED, Quote.Status.EXPIRED):
        raise ValidationError(_("Only a sent, rejected or expired quote is revised; this one is “%(status)s”.")
                              % {"status": stored.get_status_display()})
    today = clock.today()
    validity = max((stored.valid_until - stored.issued_on).days, 1)
    revision = Quote(
        opportunity_id=stored.opportunity_id, number=stored.number,
        revision=max(r.revision for r in revisions) + 1, owner=by, contact_id=stored.contact_id,
        price_list_id=stored.price_list_id, currency=stored.currency, issued_on=today,
        valid_until=today + datetime.timedelta(days=validity), terms=stored.terms, notes=stored.notes,
        subtotal=stored.subtotal, discount_total=stored.discount_total, tax_total=stored.tax_total,
        total=stored.total,
    )
    create_record(revision, by)
    QuoteLine.objects.bulk_create([
        QuoteLine(quote=revision, position=line.position, product_id=line.product_id, description=line.description,
                  quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
                  discount_percent=line.discount_percent, tax_rate=line.tax_rate, net_amount=line.net_amount,
                  tax_amount=line.tax_amount, total_amount=line.total_amount)
        for line in stored.lines.order_by("position", "id")
    ])
    stored.status = Quote.Status.SUPERSEDED
    update_record(stored, by, validate=False)
    _refresh_all(quote, stored)
    return revision


@transaction.atomic
def delete_quote(quote: Quote, by) -> None:
    """Move a draft to the recycle bin. Dropping a draft revision gives the revision it replaced back
    its own status (sent or rejected), so the offer the customer has stays the current one."""
    require_edit(by, quote)
    stored = _locked(quote)
    _check_draft(stored)
    soft_delete(stored, by)
    previous = (Quote.objects.select_for_update().filter(number=stored.number, revision__lt=stored.revision)
                .order_by("-revision").first())
    if previous is not None and previous.status == Quote.Status.SUPERSEDED and not Quote.objects.filter(
            number=stored.number, revision__gt=previous.revision).exists():
        previous.status = Quote.Status.REJECTED if previous.decided_at else Quote.Status.SENT
        update_record(previous, by, validate=False)
    _refresh_all(quote, stored)


def _refresh_all(quote: Quote, stored: Quote) -> None:
    if quote is stored:
        return
    for field in quote._meta.concrete_fields:
        setattr(quote, field.attname, getattr(stored, field.attname))


def revisions_of(quote: Quote, user) -> list[Quote]:
    """The revisions of `quote`'s number that `user` may see, oldest first (one query)."""
    return list(Quote.objects.visible_to(user).filter(number=quote.number).order_by("revision")
                .only("pk", "number", "revision", "status", "issued_on", "total", "currency"))


# ---------- Price lists ----------

def _check_catalogue_manager(by) -> None:
    if not can_manage_catalogue(by):
        raise PermissionDenied(_("Only catalogue managers change products and price lists."))


def _price_text(product: Product, price: Decimal | None, currency: str) -> str:
    if price is None:
        return ""
    digits = max(MINOR_DIGITS.get(currency, 2), -price.normalize().as_tuple().exponent)
    return f"{product.code}: {price:.{digits}f} {currency}"


@transaction.atomic
def set_price(price_list: PriceList, product: Product, unit_price, by) -> PriceListItem:
    """Set (add or change) `product`'s price in `price_list`; logged in the price list's history."""
    _check_catalogue_manager(by)
    if price_list.deleted_at is not None:
        raise ValidationError(_("This price list is in the recycle bin."))
    if product is None or product.deleted_at is not None:
        raise ValidationError({"product": _("Choose a product of the catalogue.")})
    PriceList.all_objects.select_for_update().get(pk=price_list.pk)
    item = PriceListItem.objects.filter(price_list=price_list, product=product).first()
    before = item.unit_price if item else None
    item = item or PriceListItem(price_list=price_list, product=product)
    item.unit_price = unit_price if isinstance(unit_price, Decimal) or unit_price is None else _decimal(unit_price)
    item.full_clean(exclude=["price_list", "product"], validate_unique=False, validate_constraints=False)
    if before is not None and before == item.unit_price:
        return item
    item.save()
    log_change(
        price_list, by, _("price of %(product)s") % {"product": product},
        _price_text(product, before, price_list.currency), _price_text(product, item.unit_price, price_list.currency),
    )
    return item


@transaction.atomic
def remove_price(item: PriceListItem, by) -> None:
    _check_catalogue_manager(by)
    price_list = PriceList.all_objects.select_for_update().get(pk=item.price_list_id)
    item.delete()
    log_change(
        price_list, by, _("price of %(product)s") % {"product": item.product},
        _price_text(item.product, item.unit_price, price_list.currency),
    )
