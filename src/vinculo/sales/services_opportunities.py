"""Writes on a deal's parts: its product lines (which set the deal's amount), its contacts with their role
and the competitors on it. Stage changes and closing are in `sales.pipeline`.

Each function checks that `by` may edit the deal, runs in one transaction and records the change in the
deal's history. Lines change the amount, so they carry the deal's version (a stale one is refused with
ConflictError); contacts and competitors are rows of their own and do not.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core.access import require_edit
from vinculo.core.money import quantize
from vinculo.core.services import log_change, update_record

from .models import Opportunity, OpportunityCompetitor, OpportunityContact, OpportunityLine, PriceListItem

CENTS = Decimal("0.01")


def lines_total(opportunity: Opportunity, lines: list[OpportunityLine] | None = None) -> Decimal | None:
    """The sum of the deal's product lines (`lines`, or read in one query) in its currency; None without lines."""
    lines = list(opportunity.lines.all()) if lines is None else lines
    if not lines:
        return None
    # Rounded to the currency's unit, stored with the field's two decimals (as the history shows it).
    return quantize(sum((line.net_amount for line in lines), Decimal(0)), opportunity.currency).quantize(CENTS)


def _sync_amount(opportunity: Opportunity, by, expected_version: int | None) -> Opportunity:
    """Keep `amount` = the lines' total while the deal has lines; checks the version either way."""
    total = lines_total(opportunity)
    if total is not None:
        opportunity.amount = total
    return update_record(opportunity, by, expected_version=expected_version)


def default_unit_price(product, currency: str) -> Decimal | None:
    """The product's price in an active price list of `currency` (the first by name), if any."""
    item = (
        PriceListItem.objects.filter(product=product, price_list__currency=currency, price_list__is_active=True,
                                     price_list__deleted_at__isnull=True)
        .order_by("price_list__name", "pk").first()
    )
    return item.unit_price if item else None


def _prepare_line(opportunity: Opportunity, line: OpportunityLine) -> None:
    """Attach `line` to the deal, name it after its product when it has no description, and validate it."""
    line.opportunity = opportunity
    if line.product_id and not line.description:
        line.description = line.product.name
    line.full_clean(exclude=["opportunity"])


@transaction.atomic
def save_line(opportunity: Opportunity, line: OpportunityLine, by, expected_version: int | None = None):
    """Add or change a product line; the deal's amount becomes the lines' total."""
    require_edit(by, opportunity)
    _prepare_line(opportunity, line)
    created = line.pk is None
    line.save()
    _sync_amount(opportunity, by, expected_version)
    log_change(opportunity, by, _("Product line added") if created else _("Product line changed"), new=str(line))
    return line


@transaction.atomic
def remove_line(opportunity: Opportunity, line: OpportunityLine, by, expected_version: int | None = None) -> None:
    """Remove a product line; with no line left the amount stays as it was, for the user to set."""
    require_edit(by, opportunity)
    label = str(line)
    line.delete()
    _sync_amount(opportunity, by, expected_version)
    log_change(opportunity, by, _("Product line removed"), old=label)


@transaction.atomic
def set_contact_role(opportunity: Opportunity, contact, role: str, by, is_primary: bool = False):
    """Put `contact` on the deal with `role` (or change its role). One primary contact at most."""
    require_edit(by, opportunity)
    if role not in OpportunityContact.Role.values:
        raise ValidationError({"role": _("Choose a role from the list.")})
    entry, created = OpportunityContact.objects.update_or_create(
        opportunity=opportunity, contact=contact, defaults={"role": role, "is_primary": is_primary}
    )
    if is_primary:
        opportunity.contact_roles.exclude(pk=entry.pk).filter(is_primary=True).update(is_primary=False)
    log_change(opportunity, by, _("Contact added") if created else _("Contact's role changed"),
               new=[(str(entry), entry.contact)])
    return entry


@transaction.atomic
def remove_contact(opportunity: Opportunity, entry: OpportunityContact, by) -> None:
    require_edit(by, opportunity)
    label, contact = str(entry), entry.contact
    entry.delete()
    log_change(opportunity, by, _("Contact removed"), old=[(label, contact)])


@transaction.atomic
def save_competitor_entry(opportunity: Opportunity, entry: OpportunityCompetitor, by) -> OpportunityCompetitor:
    """Add a competitor to the deal, or change its strengths, weaknesses and result."""
    require_edit(by, opportunity)
    entry.opportunity = opportunity
    created = entry.pk is None
    entry.full_clean(exclude=["opportunity"], validate_constraints=False)
    if created and OpportunityCompetitor.objects.filter(opportunity=opportunity, competitor=entry.competitor_id).exists():
        raise ValidationError({"competitor": _("This competitor is already on the deal; change its entry instead.")})
    entry.save()
    log_change(opportunity, by, _("Competitor added") if created else _("Competitor changed"), new=str(entry))
    return entry


@transaction.atomic
def remove_competitor_entry(opportunity: Opportunity, entry: OpportunityCompetitor, by) -> None:
    require_edit(by, opportunity)
    label = str(entry)
    entry.delete()
    log_change(opportunity, by, _("Competitor removed"), old=label)


# ---------- Replacing all of a part at once (the API's `contacts`, `lines`, `competitors`) ----------

@transaction.atomic
def replace_lines(opportunity: Opportunity, lines: list[OpportunityLine], by) -> None:
    """The deal's product lines become `lines` (unsaved); the amount follows their total. The caller
    has checked the deal's version."""
    require_edit(by, opportunity)
    for line in lines:
        _prepare_line(opportunity, line)
    opportunity.lines.all().delete()
    OpportunityLine.objects.bulk_create(lines)
    _sync_amount(opportunity, by, expected_version=None)
    log_change(opportunity, by, _("Product lines replaced"), new=", ".join(str(line) for line in lines))


@transaction.atomic
def replace_contacts(opportunity: Opportunity, roles: list[OpportunityContact], by, keep=()) -> None:
    """The deal's contacts become `roles` (unsaved), plus the existing entries of the contacts in `keep`
    (those the caller may not see, which they could not list)."""
    require_edit(by, opportunity)
    if sum(1 for role in roles if role.is_primary) > 1:
        raise ValidationError({"contacts": _("Only one contact can be the primary one.")})
    seen = [role.contact_id for role in roles]
    if len(seen) != len(set(seen)):
        raise ValidationError({"contacts": _("A contact is listed twice.")})
    opportunity.contact_roles.exclude(contact_id__in=list(keep)).delete()
    for role in roles:
        role.opportunity = opportunity
    OpportunityContact.objects.bulk_create(roles)
    log_change(opportunity, by, _("Contacts replaced"), new=[(str(role), role.contact) for role in roles])


@transaction.atomic
def replace_competitors(opportunity: Opportunity, entries: list[OpportunityCompetitor], by) -> None:
    require_edit(by, opportunity)
    seen = [entry.competitor_id for entry in entries]
    if len(seen) != len(set(seen)):
        raise ValidationError({"competitors": _("A competitor is listed twice.")})
    opportunity.competitor_entries.all().delete()
    for entry in entries:
        entry.opportunity = opportunity
        entry.full_clean(exclude=["opportunity"], validate_constraints=False)
    OpportunityCompetitor.objects.bulk_create(entries)
    log_change(opportunity, by, _("Competitors replaced"), new=", ".join(str(entry) for entry in entries))
