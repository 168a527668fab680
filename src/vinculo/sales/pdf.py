"""A quote as a PDF (reportlab platypus): our company, the customer, the lines, totals with the taxes
per rate, terms and notes; money and numbers as the reader's language writes them."""

import io
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from vinculo.core import money
from vinculo.core.access import HIDDEN_RECORD, may_see
from vinculo.core.money import current_locale, format_money
from vinculo.core.pdf import ACCENT, INK, MUTED, RULE, SHADE, fonts, paragraph_text
from vinculo.core.validators import format_phone, format_tax_id

from .quoting import taxes_by_rate


def _number(value: Decimal) -> str:
    return format_decimal(Decimal(value).normalize(), locale=current_locale())


def _date(value) -> str:
    return format_date(value, format="medium", locale=current_locale()) if value else ""


class _Styles:
    def __init__(self):
        regular, bold = fonts()
        self.regular, self.bold = regular, bold
        base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=12, textColor=INK)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=MUTED)
        self.company = ParagraphStyle("company", parent=base, fontName=bold, fontSize=15, leading=19)
        self.title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=17, leading=21, alignment=TA_RIGHT,
                                    textColor=ACCENT)
        self.right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
        self.heading = ParagraphStyle("heading", parent=base, fontName=bold, fontSize=10, leading=13,
                                      spaceBefore=8, spaceAfter=3)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11)
        self.cell_right = ParagraphStyle("cell_right", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.cell, fontName=bold, textColor=INK)
        self.head_right = ParagraphStyle("head_right", parent=self.head, alignment=TA_RIGHT)


def _company_block(company, styles) -> list:
    lines = [Paragraph(paragraph_text(company.name), styles.company)]
    if company.legal_name and company.legal_name != company.name:
        lines.append(Paragraph(paragraph_text(company.legal_name), styles.body))
    if company.tax_id:
        tax_id = format_tax_id(company.tax_id, company.country)
        lines.append(Paragraph(paragraph_text(_("Tax id: %(tax_id)s") % {"tax_id": tax_id}), styles.body))
    details = [company.address, format_phone(company.phone) if company.phone else "", company.email, company.website]
    for detail in filter(None, details):
        lines.append(Paragraph(paragraph_text(detail), styles.small))
    return lines


def _quote_block(quote, styles) -> list:
    rows = [
        (_("Number"), quote.number),
        (_("Revision"), str(quote.revision)),
        (_("Date"), _date(quote.issued_on)),
        (_("Valid until"), _date(quote.valid_until)),
        (_("Currency"), quote.get_currency_display()),
    ]
    if quote.owner_id:
        rows.append((_("Sales rep"), quote.owner.get_full_name() or quote.owner.username))
    table = Table(
        [[Paragraph(paragraph_text(label), styles.small), Paragraph(paragraph_text(value), styles.right)] for label, value in rows],
        colWidths=[34 * mm, 36 * mm],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                               ("TOPPADDING", (0, 0), (-1, -1), 1), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    title = _("QUOTE") if quote.status != quote.Status.DRAFT else _("QUOTE (DRAFT)")
    return [Paragraph(paragraph_text(title), styles.title), Spacer(1, 3 * mm), table]


def _customer_block(quote, billing_address, styles, account_shown: bool, contact_shown: bool) -> list:
    """The customer: the deal's account and the contact addressed, each only when the reader may see it
    (a placeholder otherwise: a deal shared through a sales team does not reveal its account)."""
    account = quote.opportunity.account
    lines = [Paragraph(paragraph_text(_("Customer")), styles.heading)]
    if not account_shown:
        lines.append(Paragraph(paragraph_text(HIDDEN_RECORD), styles.body))
    else:
        lines.append(Paragraph(f"<b>{paragraph_text(account.legal_name)}</b>", styles.body))
        if account.tax_id:
            tax_id = format_tax_id(account.tax_id, account.country)
            lines.append(Paragraph(paragraph_text(_("Tax id: %(tax_id)s") % {"tax_id": tax_id}), styles.body))
        if billing_address:
            lines.append(Paragraph(paragraph_text(billing_address), styles.body))
    contact = quote.contact
    if contact is not None and not contact_shown:
        lines.append(Paragraph(paragraph_text(_("Attention: %(name)s") % {"name": HIDDEN_RECORD}), styles.body))
    elif contact is not None:
        reach = " · ".join(filter(None, [contact.email, format_phone(contact.phone) if contact.phone else ""]))
        name = " ".join(filter(None, [contact.first_name, contact.last_name]))
        addressee = f"{name}, {contact.title}" if contact.title else name
        lines.append(Paragraph(paragraph_text(_("Attention: %(name)s") % {"name": addressee}), styles.body))
        if reach:
            lines.append(Paragraph(paragraph_text(reach), styles.small))
    return lines


def _lines_table(quote, lines, styles, width) -> Table:
    currency = quote.currency
    header = [Paragraph(paragraph_text(label), style) for label, style in (
        (_("Code"), styles.head), (_("Description"), styles.head), (_("Qty"), styles.head_right),
        (_("Unit"), styles.head), (_("Unit price"), styles.head_right), (_("Disc. %"), styles.head_right),
        (pgettext("a narrow column of the quote PDF", "Tax %"), styles.head_right),
        (_("Net amount"), styles.head_right),
    )]
    rows = [header]
    amounts = []
    for line in lines:
        unit_price, net_amount = format_money(line.unit_price, currency), format_money(line.net_amount, currency)
        amounts += [unit_price, net_amount]
        rows.append([
            Paragraph(paragraph_text(line.product.code if line.product_id else ""), styles.cell),
            Paragraph(paragraph_text(line.description), styles.cell),
            Paragraph(paragraph_text(_number(line.quantity)), styles.cell_right),
            Paragraph(paragraph_text(line.get_unit_display()), styles.cell),
            Paragraph(paragraph_text(unit_price), styles.cell_right),
            Paragraph(paragraph_text(_number(line.discount_percent) if line.discount_percent else "—"), styles.cell_right),
            Paragraph(paragraph_text(_number(line.tax_rate)), styles.cell_right),
            Paragraph(paragraph_text(net_amount), styles.cell_right),
        ])
    # The amount columns as wide as the widest amount (never broken inside: "5.801.888,20 US$" is long),
    # the description takes what is left.
    widest = max((stringWidth(amount, styles.cell.fontName, styles.cell.fontSize) for amount in amounts), default=0)
    money_width = max(26 * mm, widest + 7)  # 3 points of padding a side, and one to spare
    fixed = [18 * mm, None, 13 * mm, 14 * mm, money_width, 14 * mm, 14 * mm, money_width]
    rest = width - sum(w for w in fixed if w)
    table = Table(rows, colWidths=[w or rest for w in fixed], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _totals_table(quote, lines, styles) -> Table:
    currency = quote.currency
    rows = [(_("Subtotal"), format_money(quote.subtotal, currency))]
    if quote.discount_total:
        rows.append((_("Discounts"), "−" + format_money(quote.discount_total, currency)))
        rows.append((_("Net"), format_money(quote.subtotal - quote.discount_total, currency)))
    for rate, amount in taxes_by_rate(lines, currency):
        rows.append((_("Tax %(rate)s%%") % {"rate": _number(rate)}, format_money(amount, currency)))
    rows.append((_("Total"), format_money(quote.total, currency)))
    last = len(rows) - 1

    def cell(text, style, index):
        return Paragraph(f"<b>{paragraph_text(text)}</b>" if index == last else paragraph_text(text), style)

    table = Table([[cell(label, styles.body, index), cell(value, styles.right, index)]
                   for index, (label, value) in enumerate(rows)], colWidths=[45 * mm, 40 * mm], hAlign="RIGHT")
    table.setStyle(TableStyle([
        ("LINEABOVE", (0, last), (-1, last), 0.8, INK),
        ("BACKGROUND", (0, last), (-1, last), SHADE),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def render_quote(quote, language: str | None = None, *, reader) -> bytes:
    """The quote as PDF bytes for `reader` (who may see the quote), in `language` (the active one by
    default), with money and dates as the reader's country writes them (README "Formats"). The account and the contact are printed only if `reader` may see them too (core.access:
    a query each). Reads the company profile, the lines with their products and the customer's billing
    address (three queries)."""
    from vinculo.accounts.models import Address
    from vinculo.org.models import CompanyProfile

    reader_country = getattr(reader, "office_country", None)
    with translation.override(language or translation.get_language()), money.override_country(reader_country):
        styles = _Styles()
        company = CompanyProfile.current()
        lines = list(quote.lines.select_related("product").order_by("position", "id"))
        account_shown = may_see(reader, quote.opportunity.account)
        contact_shown = quote.contact_id is not None and may_see(reader, quote.contact)
        address = (Address.objects.filter(account_id=quote.opportunity.account_id).order_by("kind", "id").first()
                   if account_shown else None)
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm, bottomMargin=18 * mm,
            title=f"{quote.number} r{quote.revision}", author=company.name, subject=_("Quote"),
        )
        width = document.width - 12  # the frame's own padding, 6 points a side
        header = Table([[_company_block(company, styles), _quote_block(quote, styles)]],
                       colWidths=[width - 75 * mm, 75 * mm])
        header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                    ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        story = [header, Spacer(1, 6 * mm), *_customer_block(quote, address, styles, account_shown, contact_shown), Spacer(1, 5 * mm)]
        if lines:
            story.append(_lines_table(quote, lines, styles, width))
        else:
            story.append(Paragraph(paragraph_text(_("This quote has no lines yet.")), styles.body))
        story += [Spacer(1, 4 * mm), KeepTogether(_totals_table(quote, lines, styles))]
        if quote.notes:
            story += [Paragraph(paragraph_text(_("Notes")), styles.heading), Paragraph(paragraph_text(quote.notes), styles.body)]
        if quote.terms:
            story += [Paragraph(paragraph_text(_("Terms and conditions")), styles.heading),
                      Paragraph(paragraph_text(quote.terms), styles.small)]
        footer = f"{company.name} · {quote.number} r{quote.revision}"
        page_label = _("Page %(number)s")

        def decorate(canvas, doc):
            canvas.saveState()
            canvas.setFont(styles.regular, 7.5)
            canvas.setFillColor(MUTED)
            canvas.drawString(doc.leftMargin + 6, 10 * mm, footer)
            canvas.drawRightString(doc.leftMargin + doc.width - 6, 10 * mm, page_label % {"number": doc.page})
            canvas.restoreState()

        document.build(story, onFirstPage=decorate, onLaterPages=decorate)
        return buffer.getvalue()


def filename(quote) -> str:
    return f"{quote.number}-r{quote.revision}.pdf"
