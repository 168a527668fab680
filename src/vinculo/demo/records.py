"""The Customer 360 records of the demo accounts, built in bulk from the accounts already in the database.

Assets, contracts, invoices and payments, notes, content deliveries, files and activities. Reading the
accounts back (and, a chunk at a time, their contacts and teams) lets this fill in a database loaded
before these record types existed as well as a fresh one. Invoice balances and statuses follow the
rules of `accounts.services`: balance = amount − payments; paid at zero, partially paid after a
payment, issued before any.
"""

import random
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile

from vinculo.accounts.models import Account, AccountTeamMember, Invoice, Payment
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact, ContactAccountLink
from vinculo.core import clock
from vinculo.core.models import ChangeLog
from vinculo.customer360.models import (
    ContentDelivery,
    Contract,
    CustomerAsset,
    Document,
    DocumentVersion,
    Note,
)

from . import files, phrases
from .generators import Weighted, spread, weighted

# The account a demo or a browser test opens first: it gets the most of everything.
RICH_ACCOUNT = "Minera Atacama SpA"
# Record types in the order they are built; `delete_records` empties them in reverse.
MODELS = [CustomerAsset, Contract, Invoice, Payment, Note, ContentDelivery, Document, Activity]
HORIZON_DAYS = 730
CHUNK = 500
# Accounts we invoice; the others get activities, notes, material and files only.
BILLED_TYPES = {Account.Type.CUSTOMER, Account.Type.PARTNER}
ZONES = {"CL": ZoneInfo("America/Santiago"), "ES": ZoneInfo("Europe/Madrid")}
TECHNICAL_DEPARTMENTS = {"Mantenimiento", "Operaciones", "Logística", "Proyectos"}
BUYING_DEPARTMENTS = {"Gerencia", "Dirección", "Compras", "Abastecimiento", "Finanzas"}

_A = Activity.Kind
KINDS = {
    Account.Type.CUSTOMER: Weighted([(_A.CALL, 32), (_A.EMAIL, 25), (_A.MEETING, 14), (_A.VISIT, 17), (_A.NOTE, 12)]),
    Account.Type.PROSPECT: Weighted([(_A.CALL, 40), (_A.EMAIL, 30), (_A.MEETING, 14), (_A.VISIT, 8), (_A.NOTE, 8)]),
}
OTHER_KINDS = Weighted([(_A.CALL, 35), (_A.EMAIL, 40), (_A.MEETING, 10), (_A.VISIT, 5), (_A.NOTE, 10)])
# Notes are never planned; other kinds are mostly history (to-dos are tasks: demo/work.py).
PLANNED_SHARE = {_A.NOTE: 0}
_O = Activity.Outcome
OUTCOMES = {
    _A.CALL: Weighted([(_O.POSITIVE, 30), (_O.NEUTRAL, 30), (_O.FOLLOW_UP, 20), (_O.NO_ANSWER, 15),
                       (_O.NEGATIVE, 5)]),
    _A.EMAIL: Weighted([(_O.NONE, 50), (_O.POSITIVE, 20), (_O.FOLLOW_UP, 20), (_O.NEUTRAL, 10)]),
    _A.NOTE: Weighted([(_O.NONE, 1)]),
}
MEETING_OUTCOMES = Weighted([(_O.POSITIVE, 45), (_O.NEUTRAL, 25), (_O.FOLLOW_UP, 25), (_O.NEGATIVE, 5)])
DIRECTIONS = Weighted([(Activity.Direction.OUTBOUND, 65), (Activity.Direction.INBOUND, 35)])
DURATIONS = {_A.CALL: [5, 10, 10, 15, 20, 30], _A.MEETING: [30, 45, 60, 60, 90, 120],
             _A.VISIT: [60, 90, 120, 120, 180, 240]}
# Days after the due date an invoice gets paid, by the account's payment behaviour; and how often never.
PAYMENT_DELAY = {"on_time": (-12, 3), "slightly_late": (-3, 20), "late": (5, 60), "defaulted": (20, 120)}
NEVER_PAID = {"on_time": 0.003, "slightly_late": 0.01, "late": 0.03, "defaulted": 0.3}
INVOICES_PER_MONTH = {"weekly": 2.0, "monthly": 1.0, "quarterly": 0.4, "yearly": 0.15, "occasional": 0.3}
PAYMENT_METHODS = {
    "CL": Weighted([(Payment.Method.TRANSFER, 80), (Payment.Method.CHECK, 12), (Payment.Method.CARD, 3),
                    (Payment.Method.OTHER, 5)]),
    "ES": Weighted([(Payment.Method.TRANSFER, 92), (Payment.Method.CARD, 5), (Payment.Method.OTHER, 3)]),
}
ACCOUNT_FIELDS = ("pk", "legal_name", "owner_id", "supervisor_id", "support_user_id", "country", "currency",
                  "account_type", "rating", "buying_frequency", "payment_behaviour", "annual_revenue",
                  "employees", "relationship_status", "business_unit__name")


@dataclass(frozen=True)
class Phrases:
    subjects: dict
    descriptions: list
    notes: list
    note_titles: list


def _phrases(customer: bool) -> Phrases:
    def pool(general, for_customers):
        return general + for_customers if customer else general

    subjects = {kind: pool(phrases.SUBJECTS[kind], phrases.CUSTOMER_SUBJECTS[kind]) for kind in phrases.SUBJECTS}
    return Phrases(subjects, pool(phrases.DESCRIPTIONS, phrases.CUSTOMER_DESCRIPTIONS),
                   pool(phrases.NOTES, phrases.CUSTOMER_NOTES), pool(phrases.NOTE_TITLES, phrases.CUSTOMER_NOTE_TITLES))


# What sellers write about the companies we bill, and about the others.
PHRASES = {billed: _phrases(billed) for billed in (True, False)}


@contextmanager
def given_timestamps(*models):
    """Let bulk_create keep the created_at/updated_at we set: demo records carry their own past dates."""
    stamped = [model._meta.get_field(name) for model in models for name in ("created_at", "updated_at")]
    saved = [(stamp.auto_now, stamp.auto_now_add) for stamp in stamped]
    for stamp in stamped:
        stamp.auto_now = stamp.auto_now_add = False
    try:
        yield
    finally:
        for stamp, (auto_now, auto_now_add) in zip(stamped, saved, strict=True):
            stamp.auto_now, stamp.auto_now_add = auto_now, auto_now_add


@dataclass
class Plan:
    """What one account gets, decided before anything is built so totals match the size."""

    facts: tuple
    rich: bool = False
    activities: int = 0
    invoices: int = 0
    billed_since: date | None = None
    billed_until: date | None = None


@dataclass
class People:
    """Who an account's records can name: its contacts (own and linked) and the users who work it."""

    contacts: list = field(default_factory=list)
    linked: list = field(default_factory=list)
    users: list = field(default_factory=list)

    def contact(self, rng, departments=()):
        if not self.contacts:
            return None
        preferred = [c for c in self.contacts if c.department in departments] if departments else []
        return rng.choice(preferred or self.contacts)


@dataclass
class Built:
    """The records of one chunk of accounts, in insertion order, and what links them."""

    records: dict = field(default_factory=lambda: defaultdict(list))
    activity_contacts: list = field(default_factory=list)  # (activity, [contact ids]) once the activity has a pk
    activity_participants: list = field(default_factory=list)


class RecordBuilder:
    def __init__(self, size, seed: int, progress=None):
        self.size = size
        self.progress = progress
        self.rng = random.Random(seed)
        self.now = clock.now()
        self.today = clock.today()
        self.horizon = self.today - timedelta(days=HORIZON_DAYS)
        self.numbers = defaultdict(int)
        self.counts = defaultdict(int)

    def build(self) -> None:
        """Build every record type for every live account."""
        plans = self._plans()
        for start in range(0, len(plans), CHUNK):
            self._build_chunk(plans[start:start + CHUNK])
            if self.progress and (start // CHUNK) % 10 == 9:
                self.progress(f"  records of {start + CHUNK:,} of {len(plans):,} accounts built "
                              f"({self.counts['Activity']:,} activities, {self.counts['Invoice']:,} invoices)")

    # Planning -----------------------------------------------------------------------------------------

    def _plans(self) -> list[Plan]:
        rng = self.rng
        plans = [Plan(facts=row, rich=row.legal_name == RICH_ACCOUNT)
                 for row in Account.objects.order_by("pk").values_list(*ACCOUNT_FIELDS, named=True)]
        if not plans:
            return plans
        regular = [plan for plan in plans if not plan.rich]
        rich_total = self.size.rich_account_activities * (len(plans) - len(regular))
        for plan, count in zip(regular, spread(rng, max(self.size.activities - rich_total, len(regular)),
                                               [self._activity_weight(p.facts) for p in regular], minimum=3),
                               strict=True):
            plan.activities = count
        for plan in plans:
            if plan.rich:
                plan.activities = self.size.rich_account_activities

        billed = [plan for plan in plans if plan.facts.account_type in BILLED_TYPES]
        weights = []
        for plan in billed:
            plan.billed_since = self.horizon
            if not plan.rich and rng.random() < 0.3:  # a newer customer
                plan.billed_since = self.today - timedelta(days=rng.randint(90, HORIZON_DAYS))
            plan.billed_until = self.today
            if plan.facts.relationship_status == Account.Relationship.DORMANT:
                plan.billed_until = self.today - timedelta(days=rng.randint(120, 300))
                plan.billed_since = min(plan.billed_since, plan.billed_until - timedelta(days=90))
            months = max((plan.billed_until - plan.billed_since).days / 30.4, 1)
            per_month = INVOICES_PER_MONTH.get(plan.facts.buying_frequency, 0.5)
            weights.append(per_month * months * rng.uniform(0.8, 1.2))
        for plan, count in zip(billed, spread(rng, max(self.size.invoices, 2 * len(billed)), weights, minimum=2),
                               strict=True):
            plan.invoices = count
        return plans

    def _activity_weight(self, facts) -> float:
        by_type = {Account.Type.CUSTOMER: 3, Account.Type.PROSPECT: 1.5, Account.Type.PARTNER: 1.5,
                   Account.Type.SUPPLIER: 0.6, Account.Type.COMPETITOR: 0.3}.get(facts.account_type, 0.5)
        by_rating = {Account.Rating.HOT: 1.6, Account.Rating.WARM: 1.0, Account.Rating.COLD: 0.6}.get(facts.rating, 0.8)
        key_account = 2 if (facts.employees or 0) >= 1000 else 1
        return by_type * by_rating * key_account * self.rng.uniform(0.5, 1.5)

    # Building -----------------------------------------------------------------------------------------

    def _build_chunk(self, plans: list[Plan]) -> None:
        people = self._people([plan.facts.pk for plan in plans])
        built = Built()
        for plan in plans:
            self._account_records(plan, people[plan.facts.pk], built)
        with given_timestamps(*MODELS):
            for model in MODELS:
                model.objects.bulk_create(built.records[model], batch_size=1000)
                self.counts[model.__name__] += len(built.records[model])
        DocumentVersion.objects.bulk_create(built.records[DocumentVersion], batch_size=1000)
        links = [Activity.contacts.through(activity_id=activity.pk, contact_id=contact_id)
                 for activity, contact_ids in built.activity_contacts for contact_id in contact_ids]
        Activity.contacts.through.objects.bulk_create(links, batch_size=2000)
        Activity.participants.through.objects.bulk_create(
            [Activity.participants.through(activity_id=activity.pk, user_id=user_id)
             for activity, user_ids in built.activity_participants for user_id in user_ids],
            batch_size=2000,
        )
        if self.size.history:
            for model in MODELS:
                self._history(built.records[model])

    def _people(self, account_ids: list[int]) -> dict[int, People]:
        """Contacts, linked contacts and team of a chunk of accounts: three queries over a range of ids."""
        wanted = set(account_ids)
        in_range = {"account_id__gte": min(account_ids), "account_id__lte": max(account_ids)}
        people = defaultdict(People)
        for row in (Contact.objects.filter(**in_range).order_by("pk")
                    .values_list("account_id", "pk", "first_name", "last_name", "title", "department", named=True)):
            if row.account_id in wanted:
                people[row.account_id].contacts.append(row)
        for account_id, contact_id in (ContactAccountLink.objects.filter(**in_range, contact__deleted_at__isnull=True)
                                       .order_by("pk").values_list("account_id", "contact_id")):
            if account_id in wanted:
                people[account_id].linked.append(contact_id)
        for account_id, user_id in (AccountTeamMember.objects.filter(**in_range).order_by("pk")
                                    .values_list("account_id", "user_id")):
            if account_id in wanted:
                people[account_id].users.append(user_id)
        return people

    def _account_records(self, plan: Plan, people: People, built: Built) -> None:
        facts, rng = plan.facts, self.rng
        # The owner does most of the work on an account; the team, the supervisor and support the rest.
        people.users = [facts.owner_id] * 6 + people.users + [u for u in (facts.supervisor_id, facts.support_user_id) if u]
        billed = facts.account_type in BILLED_TYPES
        context = AccountContext(self, facts, people)
        records = built.records
        assets = []
        if billed:
            assets = [self._asset(context) for _ in range(14 if plan.rich else rng.randint(1, 5))]
            records[CustomerAsset] += assets
            contract_count = 3 if plan.rich else rng.choice([1, 1, 2, 2, 3])
            for _ in range(contract_count):
                records[Contract] += self._contracts(context)
            if plan.rich:
                records[Contract] += self._expiring_contracts(context)
            invoices = self._invoices(context, plan)
            if plan.rich:
                _leave_unpaid(invoices, self.today)
            for invoice, payments in invoices:
                records[Invoice].append(invoice)
                records[Payment] += payments
        note_count = 30 if plan.rich else rng.randint(2, 6) if billed else rng.randint(1, 4)
        records[Note] += [self._note(context) for _ in range(note_count)]
        delivery_count = 8 if plan.rich else rng.randint(1, 3)
        records[ContentDelivery] += [self._delivery(context) for _ in range(delivery_count)]
        if plan.rich or rng.random() < self.size.document_share:
            self._documents(context, plan, assets, records)
        for _ in range(plan.activities):
            self._activity(context, built)

    # One record of each type ----------------------------------------------------------------------------

    def _next(self, series: str) -> int:
        self.numbers[series] += 1
        return self.numbers[series]

    def _moment(self, context, day: date, future: bool = False) -> datetime:
        """A working-hours moment of `day` in the account's country, skipping weekends; not after now
        unless `future`."""
        if day.weekday() >= 5:
            day -= timedelta(days=day.weekday() - 4)
        minute = self.rng.randint(8 * 60 + 30, 18 * 60 + 30)
        moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=context.zone)
        return moment if future else min(moment, self.now)

    def _past_day(self, earliest: date | None = None) -> date:
        """A day of the last two years (recent ones likelier), not before `earliest`."""
        first = max(earliest or self.horizon, self.horizon)
        span = (self.today - first).days
        return self.today - timedelta(days=1 + int(max(span - 1, 0) * self.rng.random() ** 1.2))

    def _stamp(self, record, context, moment: datetime, user_id: int | None = None):
        user_id = user_id or context.owner_id
        record.created_at = record.updated_at = moment
        record.created_by_id = record.updated_by_id = user_id
        return record

    def _asset(self, context) -> CustomerAsset:
        rng = self.rng
        product, _article, _short, prefix = context.product()
        sale_date = self.today - timedelta(days=rng.randint(30, 6 * 365))
        status = CustomerAsset.Status.ACTIVE
        if sale_date < self.today - timedelta(days=4 * 365) and rng.random() < 0.35:
            status = CustomerAsset.Status.RETIRED
        elif rng.random() < 0.1:
            status = weighted(rng, [(CustomerAsset.Status.IN_SERVICE, 4), (CustomerAsset.Status.RETURNED, 1)])
        contact = context.people.contact(rng, TECHNICAL_DEPARTMENTS) if rng.random() < 0.85 else None
        notes = rng.choice(["", "", "", f"Garantía hasta {sale_date.year + 2}.", "Con contrato de mantención.",
                            "Equipo de respaldo.", "Instalado por nuestro servicio técnico."])
        asset = CustomerAsset(
            account_id=context.pk, product_name=product, status=status, sale_date=sale_date, notes=notes,
            serial_number=f"{prefix}-{sale_date.year % 100:02d}{self._next('serial'):06d}",
            contact_id=contact.pk if contact else None,
        )
        return self._stamp(asset, context, self._moment(context, sale_date))

    def _contracts(self, context) -> list[Contract]:
        """A contract and, when it was renewed, its successors up to the one in force or expired."""
        rng = self.rng
        contract_type, description = rng.choice(phrases.CONTRACTS)
        renewal = weighted(rng, [(Contract.Renewal.AUTOMATIC, 35), (Contract.Renewal.MANUAL, 50),
                                 (Contract.Renewal.NONE, 15)])
        months = rng.choice([12, 12, 12, 24, 36])
        start = self.today - timedelta(days=rng.randint(30, 4 * 365))
        contact = context.people.contact(rng, BUYING_DEPARTMENTS)
        chain = []
        while True:
            end = start + timedelta(days=round(months * 30.44) - 1)
            contract = Contract(
                account_id=context.pk, contract_type=contract_type, start_date=start, end_date=end,
                number=f"CT-{start.year}-{self._next('contract'):05d}",
                description=context.fill(description, year=start.year), renewal_type=renewal,
                notice_days=rng.choice([30, 30, 60, 90]), contact_id=contact.pk if contact else None,
                value=context.money(context.yearly_spend * Decimal(months / 12) * Decimal(rng.uniform(0.2, 0.6))),
                currency=context.currency,
            )
            chain.append(self._stamp(contract, context, self._moment(context, min(start, self.today))))
            if end >= self.today:
                contract.status = Contract.Status.ACTIVE
                return chain
            renewed = renewal == Contract.Renewal.AUTOMATIC or (renewal == Contract.Renewal.MANUAL
                                                                 and rng.random() < 0.6)
            if not renewed:
                contract.status = Contract.Status.TERMINATED if rng.random() < 0.1 else Contract.Status.EXPIRED
                return chain
            contract.status = Contract.Status.RENEWED
            start = end + timedelta(days=1)

    def _expiring_contracts(self, context) -> list[Contract]:
        """The renewals the rich account's page alerts about, one per kind of notice period: a maintenance
        contract expiring in about a month (45 days' notice: its decision date has passed) and a supply
        agreement expiring in 100 days with 90 days' notice, alerted for its own decision date in 10 days
        (a fixed 60-day window would not show it yet)."""
        contact = context.people.contact(self.rng, BUYING_DEPARTMENTS)
        contracts = []
        for days_left, notice, contract_type, description, share in (
            (30, 45, Contract.Type.MAINTENANCE, "Mantención preventiva de bombas de pulpa, planta concentradora",
             Decimal("0.8")),
            (100, 90, Contract.Type.SUPPLY, "Suministro de repuestos críticos, contrato marco de tres años",
             Decimal("1.5")),
        ):
            end = self.today + timedelta(days=days_left)
            start = end - timedelta(days=2 * 365 - 1)
            contract = Contract(
                account_id=context.pk, contract_type=contract_type, start_date=start, end_date=end,
                number=f"CT-{start.year}-{self._next('contract'):05d}", status=Contract.Status.ACTIVE,
                description=description, renewal_type=Contract.Renewal.MANUAL, notice_days=notice,
                contact_id=contact.pk if contact else None,
                value=context.money(context.yearly_spend * share), currency=context.currency,
            )
            contracts.append(self._stamp(contract, context, self._moment(context, start)))
        return contracts

    def _invoices(self, context, plan: Plan) -> list[tuple[Invoice, list[Payment]]]:
        rng = self.rng
        if not plan.invoices:
            return []
        terms = 60 if context.country == "ES" or rng.random() < 0.3 else 30
        span = (plan.billed_until - plan.billed_since).days
        step = span / plan.invoices
        mean = context.yearly_spend * Decimal(step / 365)
        trend = rng.uniform(-0.15, 0.25)  # yearly growth of what the account buys
        behaviour = context.facts.payment_behaviour or "on_time"
        result = []
        for index in range(plan.invoices):
            issue = plan.billed_since + timedelta(days=int((index + rng.random()) * step))
            issue = min(issue, self.today)
            years_back = (self.today - issue).days / 365
            amount = context.money(max(mean * Decimal(rng.lognormvariate(0, 0.35) * (1 + trend) ** -years_back),
                                       context.minimum_invoice))
            number = self._next("invoice")
            invoice = Invoice(
                account_id=context.pk, issue_date=issue, due_date=issue + timedelta(days=terms), amount=amount,
                currency=context.currency, balance=amount,
                number=f"FE-{100000 + number}" if context.country == "CL" else f"FV-{issue.year}-{number:06d}",
                external_ref=f"ERP-{4_000_000 + number}" if rng.random() < 0.5 else "",
            )
            self._stamp(invoice, context, self._moment(context, issue))
            payments = []
            if rng.random() < 0.01:
                invoice.status = Invoice.Status.CANCELLED
            elif (self.today - issue).days < 4 and rng.random() < 0.5:
                invoice.status = Invoice.Status.DRAFT
            else:
                payments = self._payments(context, invoice, behaviour)
            _settle(invoice, payments)
            result.append((invoice, payments))
        return result

    def _payments(self, context, invoice: Invoice, behaviour: str) -> list[Payment]:
        rng = self.rng
        low, high = PAYMENT_DELAY.get(behaviour, PAYMENT_DELAY["on_time"])
        paid_on = max(invoice.due_date + timedelta(days=rng.randint(low, high)), invoice.issue_date)
        never = rng.random() < NEVER_PAID.get(behaviour, 0.01)
        if never or paid_on > self.today:
            # Not paid yet; now and then part of it is.
            if rng.random() < 0.05 and (self.today - invoice.issue_date).days > 5:
                part = context.money(invoice.amount * Decimal(rng.uniform(0.2, 0.6)))
                return [self._payment(context, invoice, part, self._past_day(invoice.issue_date))]
            return []
        if rng.random() < 0.12:  # in two instalments; a few stop after the first (a disputed invoice)
            first = context.money(invoice.amount * Decimal(rng.uniform(0.3, 0.7)))
            first_on = max(paid_on - timedelta(days=rng.randint(10, 30)), invoice.issue_date)
            payments = [self._payment(context, invoice, first, first_on)]
            if rng.random() < 0.9:
                payments.append(self._payment(context, invoice, invoice.amount - first, paid_on))
            return payments
        return [self._payment(context, invoice, invoice.amount, paid_on)]

    def _payment(self, context, invoice: Invoice, amount: Decimal, paid_on: date) -> Payment:
        rng = self.rng
        method = PAYMENT_METHODS[context.country].pick(rng)
        reference = {Payment.Method.TRANSFER: f"TEF {rng.randint(10**7, 10**8 - 1)}",
                     Payment.Method.CHECK: f"Cheque N° {rng.randint(1000, 999999)}"}.get(method, "")
        payment = Payment(account_id=context.pk, invoice=invoice, paid_on=paid_on, amount=amount, method=method,
                          reference=reference)
        return self._stamp(payment, context, self._moment(context, paid_on))

    def _note(self, context) -> Note:
        rng = self.rng
        contact = context.people.contact(rng) if rng.random() < 0.6 else None
        note = Note(account_id=context.pk, contact_id=contact.pk if contact else None,
                    title=context.fill(rng.choice(context.phrases.note_titles)),
                    body=context.fill(rng.choice(context.phrases.notes), contact))
        return self._stamp(note, context, self._moment(context, self._past_day()), context.user())

    def _delivery(self, context) -> ContentDelivery:
        rng = self.rng
        title, kind, channel, reference = rng.choice(phrases.MATERIAL)
        day = self._past_day()
        contact = context.people.contact(rng) if rng.random() < 0.85 else None
        delivery = ContentDelivery(
            account_id=context.pk, title=context.fill(title, year=day.year), kind=kind, channel=channel,
            reference=context.fill(reference), contact_id=contact.pk if contact else None, delivered_on=day,
            delivered_by_id=context.user(), notes=rng.choice(phrases.DELIVERY_NOTES),
        )
        return self._stamp(delivery, context, self._moment(context, day), delivery.delivered_by_id)

    def _documents(self, context, plan: Plan, assets: list[CustomerAsset], records) -> None:
        rng = self.rng
        # The list of installed equipment needs equipment.
        templates = [template for template in phrases.DOCUMENTS if assets or template[1] != "csv"]
        if not plan.rich:
            templates = rng.sample(templates, rng.randint(1, 3))
        for title, kind, most_versions in templates:
            day = self._past_day()
            user = context.user()
            document = Document(account_id=context.pk, title=context.fill(title, year=day.year,
                                                                          day=day.strftime("%d-%m-%Y")))
            self._stamp(document, context, self._moment(context, day), user)
            records[Document].append(document)
            for number in range(1, rng.randint(1, most_versions) + 1):
                uploaded_at = self._moment(context, day)
                name, content_type, data = self._file(context, document.title, kind, number, assets)
                version = DocumentVersion(
                    document=document, number=number, original_name=name, size=len(data),
                    content_type=content_type, uploaded_by_id=user, uploaded_at=uploaded_at,
                    comment=rng.choice(phrases.VERSION_COMMENTS) if number > 1 else "",
                )
                version.file.save(name, ContentFile(data), save=False)
                records[DocumentVersion].append(version)
                document.updated_at = uploaded_at
                day = min(day + timedelta(days=rng.randint(2, 20)), self.today)

    def _file(self, context, title: str, kind: str, number: int, assets) -> tuple[str, str, bytes]:
        """(file name, content type, content) of one version of a demo document."""
        contact = context.people.contact(self.rng, BUYING_DEPARTMENTS)
        addressee = f"{contact.first_name} {contact.last_name}, {contact.title}" if contact else "Gerencia"
        version = f"Versión {number}"
        if kind == "csv":
            rows = [["Producto", "N° de serie", "Fecha de venta", "Estado"]] + [
                [asset.product_name, asset.serial_number, asset.sale_date.strftime("%d-%m-%Y"),
                 phrases.ASSET_STATUS[asset.status]] for asset in assets
            ]
            return f"{title}.csv", "text/csv", files.csv(rows)
        if kind == "txt":
            lines = [title, context.facts.legal_name, f"Participantes: {addressee}", "",
                     "Acuerdos:", "- Enviar precios actualizados.",
                     "- Coordinar visita técnica el próximo mes.", "- Revisar condiciones de pago."]
            return f"{title}.txt", "text/plain", files.text(lines)
        product, *_ = context.product()
        lines = [context.facts.legal_name, f"Atención: {addressee}", "",
                 f"Suministro y servicio de {product}.",
                 f"Valor referencial anual: {context.money(context.yearly_spend):,} {context.currency} + IVA.",
                 f"Plazo de pago: {context.vocabulary['plazo']}. Validez de la oferta: 30 días.",
                 f"Descuento por volumen: {number + 2} %.", "", version]
        return f"{title}.pdf", "application/pdf", files.pdf(title, lines)

    def _activity(self, context, built: Built) -> None:
        rng, facts = self.rng, context.facts
        kind = KINDS.get(facts.account_type, OTHER_KINDS).pick(rng)
        planned = rng.random() < PLANNED_SHARE.get(kind, 0.04)
        if planned:
            occurred_at = self._moment(context, self.today + timedelta(days=rng.randint(3, 60)), future=True)
            created_at = min(occurred_at - timedelta(days=rng.randint(1, 20)), self.now)
            status, outcome = Activity.Status.PLANNED, ""
        else:
            occurred_at = created_at = self._moment(context, self._past_day())
            cancelled = kind in (_A.MEETING, _A.VISIT) and rng.random() < 0.03
            status = Activity.Status.CANCELLED if cancelled else Activity.Status.DONE
            outcome = "" if cancelled else OUTCOMES.get(kind, MEETING_OUTCOMES).pick(rng)
        contacts = []
        if context.people.contacts and rng.random() < (0.4 if kind == _A.NOTE else 0.55):
            candidates = context.contact_ids
            if context.people.linked and rng.random() < 0.1:
                candidates = context.people.linked
            contacts = rng.sample(candidates, min(len(candidates), rng.choice([1, 1, 1, 2, 3])))
        contact = context.contact_by_id.get(contacts[0]) if contacts else None
        owner = context.user()
        activity = Activity(
            account_id=context.pk, kind=kind, status=status, outcome=outcome, owner_id=owner,
            subject=context.fill(rng.choice(context.phrases.subjects[kind]), contact)[:200],
            description=context.fill(rng.choice(context.phrases.notes if kind == _A.NOTE
                                                else context.phrases.descriptions),
                                     contact) if kind == _A.NOTE or rng.random() < 0.35 else "",
            occurred_at=occurred_at, duration_minutes=rng.choice(DURATIONS[kind]) if kind in DURATIONS else None,
            direction=DIRECTIONS.pick(rng) if kind in (_A.CALL, _A.EMAIL) else "",
        )
        self._stamp(activity, context, created_at, owner)
        built.records[Activity].append(activity)
        if contacts:
            built.activity_contacts.append((activity, contacts))
        if kind in (_A.MEETING, _A.VISIT) and rng.random() < 0.4:
            colleague = rng.choice(context.people.users)
            if colleague != owner:
                built.activity_participants.append((activity, [colleague]))

    def _history(self, records: list) -> None:
        if not records:
            return
        content_type = ContentType.objects.get_for_model(type(records[0]))
        ChangeLog.objects.bulk_create(
            [ChangeLog(content_type=content_type, object_id=record.pk, action=ChangeLog.Action.CREATE,
                       user_id=record.created_by_id, at=record.created_at, record_label=str(record)[:300])
             for record in records],
            batch_size=1000,
        )


class AccountContext:
    """One account as its records see it: facts, people, products, money and words of its country."""

    def __init__(self, builder: RecordBuilder, facts, people: People):
        self.rng = builder.rng
        self.year = builder.today.year
        self.facts = facts
        self.pk = facts.pk
        self.owner_id = facts.owner_id
        self.people = people
        self.contact_ids = [contact.pk for contact in people.contacts]
        self.contact_by_id = {contact.pk: contact for contact in people.contacts}
        self.country = "ES" if facts.country == "ES" else "CL"
        self.zone = ZONES[self.country]
        self.currency = facts.currency or ("EUR" if self.country == "ES" else "CLP")
        self.vocabulary = phrases.VOCABULARY[self.country]
        self.phrases = PHRASES[facts.account_type in BILLED_TYPES]
        unit = facts.business_unit__name if facts.business_unit__name in phrases.PRODUCTS else "Industria"
        self.products, self.sites = phrases.PRODUCTS[unit], phrases.SITES[unit]
        # What the account buys from us in a year: a small share of its revenue, within sensible bounds.
        default_revenue = Decimal(5_000_000 if self.currency == "EUR" else 3_000_000_000)
        revenue = facts.annual_revenue or default_revenue
        ceiling = Decimal(4_000_000 if self.currency == "EUR" else 4_000_000_000)
        self.yearly_spend = min(revenue * Decimal(self.rng.uniform(0.001, 0.006)), ceiling)
        self.minimum_invoice = Decimal(150 if self.currency == "EUR" else 120_000)

    def money(self, amount: Decimal) -> Decimal:
        # Pesos have no cents.
        return amount.quantize(Decimal("0.01") if self.currency == "EUR" else Decimal("1"))

    def product(self):
        return self.rng.choice(self.products)

    def user(self) -> int:
        return self.rng.choice(self.people.users)

    def fill(self, template: str, contact=None, **values) -> str:
        """`template` with its {slots} filled from this account (and `contact`, when given)."""
        if "{" not in template:
            return template
        return template.format_map(_Slots(self, contact, values))


class _Slots(dict):
    """The values a template may name, each drawn only when the template names it."""

    DRAWS = {
        "sitio": lambda context: context.rng.choice(context.sites),
        "competitor": lambda context: context.rng.choice(phrases.COMPETITORS),
        "number": lambda context: context.rng.randint(1000, 99999),
        "quantity": lambda context: context.rng.choice([2, 3, 4, 6, 10, 12, 20]),
        "percent": lambda context: context.rng.choice([5, 8, 10, 12, 15]),
    }

    def __init__(self, context: AccountContext, contact, values: dict):
        super().__init__({**context.vocabulary, "year": context.year, **values})
        self.context, self.contact = context, contact

    def __missing__(self, key: str):
        context = self.context
        if key in ("first", "last", "title"):
            contact = self.contact or (context.rng.choice(context.people.contacts) if context.people.contacts else None)
            if contact:
                self.update(first=contact.first_name, last=contact.last_name, title=contact.title)
            else:
                self.update(first="nuestro contacto", last="", title="compras")
        elif key in ("product", "short", "the_short"):
            product, article, short, _ = context.product()
            self.update(product=product, short=short, the_short=f"{article} {short}")
        else:
            self[key] = self.DRAWS[key](context)
        return self[key]


def _settle(invoice: Invoice, payments: list[Payment]) -> None:
    """Balance and status from the payments, as `accounts.services` keeps them."""
    paid = sum((payment.amount for payment in payments), Decimal(0))
    invoice.balance = max(invoice.amount - paid, Decimal(0))
    if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED):
        return
    if invoice.balance == 0:
        invoice.status = Invoice.Status.PAID
    elif paid > 0:
        invoice.status = Invoice.Status.PARTIALLY_PAID
    else:
        invoice.status = Invoice.Status.ISSUED
    if payments:
        invoice.updated_at = max(payment.created_at for payment in payments)


def _leave_unpaid(invoices: list[tuple[Invoice, list[Payment]]], today: date) -> None:
    """Make sure the rich account has an overdue invoice: the newest one past due stays unpaid."""
    past_due = [(invoice, payments) for invoice, payments in invoices
                if invoice.due_date < today - timedelta(days=10)
                and invoice.status not in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED)]
    if not past_due or any(invoice.balance > 0 for invoice, _ in past_due):
        return
    invoice, payments = max(past_due, key=lambda pair: pair[0].due_date)
    payments.clear()
    _settle(invoice, payments)
