"""Lead conversion, used by the page and the API alike.

`conversion_candidates` finds the accounts and contacts a lead may already be (same tax id, email,
name, phone), among those the user may see. `convert_lead` turns the lead into an account, a contact
and optionally an opportunity (or attaches it to existing ones) and moves everything the lead had
(interactions, tasks, notes, files, campaign memberships) over, in one transaction.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core import clock, subjects
from vinculo.core.access import can_edit
from vinculo.core.search import fold, search
from vinculo.core.services import create_record, update_record

from .models import Lead, Opportunity, OpportunityContact, PipelineStage

# Why a record is offered as a match, strongest first (the order candidates are ranked by).
REASONS = {
    "tax_id": gettext_lazy("same tax id"),
    "email": gettext_lazy("same email"),
    "name": gettext_lazy("same name"),
    "phone": gettext_lazy("same phone"),
    "company": gettext_lazy("works at a matching account"),
}
_WEIGHT = {"tax_id": 16, "email": 8, "name": 4, "phone": 2, "company": 1}
CANDIDATES_SHOWN = 10
# Name matches are looked for among this many full-text hits (names sharing every word).
_NAME_HITS = 50

# Legal forms left out when comparing company names: "Minera Atacama S.A." is "Minera Atacama SpA".
_LEGAL_FORMS = (
    ("spa",), ("s", "p", "a"), ("sa",), ("s", "a"), ("ltda",), ("limitada",), ("eirl",), ("e", "i", "r", "l"),
    ("sl",), ("s", "l"), ("slu",), ("s", "l", "u"), ("sac",), ("s", "a", "c"), ("sociedad", "anonima"),
    # "y Cía." before "Cía.", or the "y" would stay behind.
    ("y", "cia"), ("cia",), ("inc",), ("llc",), ("ltd",), ("gmbh",), ("srl",), ("s", "r", "l"),
)


def company_key(name: str) -> str:
    """A company name for comparison: folded (case, accents, punctuation) and without its legal form."""
    words = fold(name).split()
    stripped = True
    while stripped and len(words) > 1:
        stripped = False
        for form in _LEGAL_FORMS:
            if len(words) > len(form) and tuple(words[-len(form):]) == form:
                words = words[:-len(form)]
                stripped = True
                break
    return " ".join(words)


def person_key(first_name: str, last_name: str) -> str:
    return fold(f"{first_name} {last_name}")


@dataclass
class Candidate:
    """An existing account or contact the lead may be, and why."""

    record: Account | Contact
    reasons: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(_WEIGHT[reason] for reason in self.reasons)

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[reason]) for reason in self.reasons]


@dataclass
class Candidates:
    accounts: list[Candidate]
    contacts: list[Candidate]


def _ranked(candidates: dict) -> list[Candidate]:
    for candidate in candidates.values():
        candidate.reasons.sort(key=list(REASONS).index)
    return sorted(candidates.values(), key=lambda c: (-c.score, str(c.record).lower()))[:CANDIDATES_SHOWN]


def _account_candidates(lead: Lead, user) -> list[Candidate]:
    visible = Account.objects.visible_to(user)
    key = company_key(lead.company)
    named = []
    if key:
        hits = search(Account, user, key).only("pk", "legal_name", "trade_name")[:_NAME_HITS]
        named = [hit.pk for hit in hits if key in (company_key(hit.legal_name), company_key(hit.trade_name))]
    condition = Q(pk__in=named)
    if lead.company_tax_id:
        condition |= Q(tax_id=lead.company_tax_id, country=lead.country)
    if lead.phone:
        condition |= Q(phone=lead.phone)
    if lead.email:
        condition |= Q(email__iexact=lead.email)
    candidates = {}
    for account in visible.filter(condition).select_related("owner")[:CANDIDATES_SHOWN * 5]:
        candidate = candidates.setdefault(account.pk, Candidate(account))
        if lead.company_tax_id and account.tax_id == lead.company_tax_id and account.country == lead.country:
            candidate.reasons.append("tax_id")
        if account.pk in named:
            candidate.reasons.append("name")
        if lead.phone and account.phone == lead.phone:
            candidate.reasons.append("phone")
        if lead.email and account.email.lower() == lead.email.lower():
            candidate.reasons.append("email")
    return _ranked(candidates)


def _contact_candidates(lead: Lead, user, account_ids: set[int]) -> list[Candidate]:
    """Contacts with the lead's email or phone, or with its name at one of the matching accounts
    (a name alone is too common to go by)."""
    key = person_key(lead.first_name, lead.last_name) if lead.last_name else ""
    named = []
    if key:
        hits = search(Contact, user, key).only("pk", "first_name", "last_name")[:_NAME_HITS]
        named = [hit.pk for hit in hits if person_key(hit.first_name, hit.last_name) == key]
    email = lead.email.strip().lower()
    condition = Q(pk__in=named)
    if email:
        condition |= Q(email=email)
    if lead.phone:
        condition |= Q(phone=lead.phone) | Q(mobile=lead.phone)
    candidates = {}
    for contact in Contact.objects.visible_to(user).filter(condition).select_related("account")[:CANDIDATES_SHOWN * 5]:
        reasons = []
        if email and contact.email == email:
            reasons.append("email")
        if contact.pk in named:
            reasons.append("name")
        if lead.phone and lead.phone in (contact.phone, contact.mobile):
            reasons.append("phone")
        if contact.account_id in account_ids:
            reasons.append("company")
        if reasons == ["name"]:
            continue
        candidates[contact.pk] = Candidate(contact, reasons)
    return _ranked(candidates)


def conversion_candidates(lead: Lead, user) -> Candidates:
    """The accounts and contacts `user` may see that the lead may already be, best match first."""
    accounts = _account_candidates(lead, user)
    contacts = _contact_candidates(lead, user, {candidate.record.pk for candidate in accounts})
    # A contact's account is named on the page only if the user may see it too.
    visible_accounts = set(
        Account.objects.visible_to(user).filter(
            pk__in={c.record.account_id for c in contacts if c.record.account_id}
        ).values_list("pk", flat=True)
    ) if contacts else set()
    for candidate in contacts:
        candidate.record.account_visible = candidate.record.account_id in visible_accounts
    return Candidates(accounts=accounts, contacts=contacts)


@dataclass
class Conversion:
    lead: Lead
    account: Account
    contact: Contact | None
    opportunity: Opportunity | None
    account_created: bool
    contact_created: bool


def refuse_if_converted(lead: Lead) -> None:
    if lead.is_converted or lead.status == Lead.Status.CONVERTED:
        if lead.converted_at is None:
            # Imported as converted: nobody here knows by whom or when.
            raise ValidationError(_("This lead was already converted; it cannot be converted again."),
                                  code="already_converted")
        when = date_format(localtime(lead.converted_at), "SHORT_DATETIME_FORMAT")
        who = str(lead.converted_by) if lead.converted_by_id else _("someone")
        raise ValidationError(
            _("This lead was already converted (by %(who)s on %(when)s); it cannot be converted again.")
            % {"who": who, "when": when},
            code="already_converted",
        )


# How the conversion's messages name the records it creates.
NEW_RECORD = {
    "account": gettext_lazy("New account"),
    "contact": gettext_lazy("New contact"),
    "opportunity": gettext_lazy("New opportunity"),
}


def _created(record, by, about: str, renamed: dict[str, str] | None = None):
    """create_record, reporting a refusal under `about` ("account", "contact", "opportunity": the part of
    the conversion it concerns) and naming the new record's field in the message; `renamed` maps fields the
    caller filled in itself (the opportunity's) to the caller's names for them."""
    try:
        return create_record(record, by=by)
    except ValidationError as exc:
        errors = {}
        for name, messages in exc.message_dict.items():
            if renamed and name in renamed:
                errors.setdefault(renamed[name], []).extend(messages)
                continue
            field = capfirst(record._meta.get_field(name).verbose_name) if name != NON_FIELD_ERRORS else ""
            errors.setdefault(about, []).extend(
                _("%(record)s, %(field)s: %(error)s") % {"record": NEW_RECORD[about], "field": field, "error": message}
                if field else f"{NEW_RECORD[about]}: {message}"
                for message in messages
            )
        raise ValidationError(errors) from exc


def _new_account(lead: Lead, by) -> Account:
    person = " ".join(filter(None, [lead.first_name, lead.last_name]))
    account = Account(
        account_type=Account.Type.PROSPECT, legal_name=lead.company or person, tax_id=lead.company_tax_id,
        country=lead.country, phone=lead.phone, email=lead.email, website=lead.website, industry=lead.industry,
        territory=lead.territory, owner=lead.owner, currency=getattr(by, "currency", "") or "CLP",
        description=lead.description,
    )
    return _created(account, by, "account")


def _new_contact(lead: Lead, account: Account, by) -> Contact | None:
    if not lead.last_name:
        return None  # a company-only lead becomes an account alone
    contact = Contact(
        owner=lead.owner, account=account, first_name=lead.first_name, last_name=lead.last_name, title=lead.title,
        email=lead.email, phone=lead.phone, country=lead.country, city=lead.city,
    )
    return _created(contact, by, "contact")


def default_stage() -> PipelineStage | None:
    return PipelineStage.objects.filter(is_active=True).order_by("order", "pk").first()


@transaction.atomic
def convert_lead(
    lead: Lead,
    by,
    account: Account | None = None,
    contact: Contact | None = None,
    create_opportunity: bool = True,
    opportunity_name: str = "",
    amount: Decimal | None = None,
    currency: str = "",
    stage: PipelineStage | None = None,
    expected_close_date: date | None = None,
) -> Conversion:
    """Convert `lead`: attach it to `account`/`contact` (existing records `by` may edit) or create them,
    optionally create an opportunity, move everything the lead had over and mark it converted.

    Raises ValidationError (already converted, a record that cannot be used or created; nothing is
    written) or PermissionDenied (`by` may not change the lead)."""
    # The row lock makes a second, concurrent conversion wait for this one, then see it converted.
    lead = Lead.all_objects.select_for_update().get(pk=lead.pk)
    refuse_if_converted(lead)
    if lead.is_deleted:
        raise ValidationError(_("This lead is in the recycle bin; restore it before converting it."))
    if not can_edit(by, lead):
        raise PermissionDenied(_("You may read this lead but not convert it."))

    errors = {}
    if account is not None and not Account.objects.editable_by(by, per_row=True).filter(pk=account.pk).exists():
        errors["account"] = [_("You may not add records to the account “%(name)s”.") % {"name": account}]
    if contact is not None and not Contact.objects.editable_by(by, per_row=True).filter(pk=contact.pk).exists():
        errors["contact"] = [_("You may not change the contact “%(name)s”.") % {"name": contact}]
    if create_opportunity:
        stage = stage or default_stage()
        if stage is None or not stage.is_active:
            errors["stage"] = [_("Choose an active pipeline stage.")]
        if amount is not None and amount < 0:
            errors["amount"] = [_("An amount cannot be negative.")]
    if errors:
        raise ValidationError(errors)

    account_created = contact_created = False
    if account is None and contact is not None and contact.account_id:
        account = Account.objects.get(pk=contact.account_id)
        if not can_edit(by, account):
            raise ValidationError({"contact": [
                _("The contact's account “%(name)s” is not yours to change; choose an account too.") % {"name": account}
            ]})
    if account is None:
        account = _new_account(lead, by)
        account_created = True
    if contact is None:
        contact = _new_contact(lead, account, by)
        contact_created = contact is not None
    elif contact.account_id is None:
        contact.account = account
        update_record(contact, by)

    opportunity = None
    if create_opportunity:
        opportunity = Opportunity(
            name=opportunity_name.strip() or str(account), account=account, owner=lead.owner, stage=stage,
            probability=stage.probability, amount=amount if amount is not None else Decimal(0),
            currency=currency or getattr(by, "currency", "") or "CLP", expected_close_date=expected_close_date,
            source=lead.source, campaign=lead.campaign,
        )
        _created(opportunity, by, "opportunity", renamed={
            "name": "opportunity_name", "amount": "amount", "currency": "currency", "stage": "stage",
            "expected_close_date": "expected_close_date",
        })
        if contact is not None:
            OpportunityContact.objects.create(opportunity=opportunity, contact=contact, is_primary=True,
                                              role=OpportunityContact.Role.DECISION_MAKER)

    # Everything the lead had (interactions, tasks, notes, files, campaign memberships) now belongs to the
    # account, the contact and the deal: each app moves its own records (core.subjects movers). Records in
    # the recycle bin move too, so restoring one later puts it on the account.
    subjects.hand_over(lead, account, by, contact=contact, deal=opportunity)

    lead.status = Lead.Status.CONVERTED
    lead.converted_at = clock.now()
    lead.converted_by = by
    lead.converted_account = account
    lead.converted_contact = contact
    lead.converted_opportunity = opportunity
    # Only conversion fields change: the lead's own data was validated when it was saved.
    update_record(lead, by, validate=False)
    return Conversion(lead=lead, account=account, contact=contact, opportunity=opportunity,
                      account_created=account_created, contact_created=contact_created)
