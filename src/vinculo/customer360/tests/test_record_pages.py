"""Pages of an account's related records: the permission matrix, forms, delete and restore, filters,
and bounded query counts. Invoices (payments) and files (versions) have their own test modules."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.accounts import services
from vinculo.accounts.models import AccountTeamMember, Invoice, Payment
from vinculo.accounts.tests.factories import AccountFactory, InvoiceFactory
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.models import ChangeLog
from vinculo.core.services import update_record
from vinculo.customer360.models import ContentDelivery, Contract, CustomerAsset, Document, Note

from .factories import (
    ContentDeliveryFactory,
    ContractFactory,
    CustomerAssetFactory,
    DocumentFactory,
    NoteFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 16)

# Each type: how to make one, the text its list and page show, and what its create form accepts.
TYPES = {
    "asset": SimpleNamespace(
        model=CustomerAsset, factory=CustomerAssetFactory, shown=lambda r: r.product_name,
        valid={"product_name": "Turbina Kaplan", "serial_number": "TK-1", "status": "active", "sale_date": "2025-01-02"},
    ),
    "contract": SimpleNamespace(
        model=Contract, factory=ContractFactory, shown=lambda r: r.number,
        valid={"number": "CT-NEW-1", "contract_type": "service", "status": "active", "start_date": "2025-01-01",
               "end_date": "2025-12-31", "renewal_type": "manual", "notice_days": "30", "currency": "CLP"},
    ),
    "invoice": SimpleNamespace(
        model=Invoice, factory=InvoiceFactory, shown=lambda r: r.number,
        valid={"number": "F-NEW-1", "issue_date": "2025-06-01", "due_date": "2025-07-01", "status": "issued",
               "amount": "250000", "currency": "CLP"},
    ),
    "note": SimpleNamespace(
        model=Note, factory=NoteFactory, shown=lambda r: r.title,
        valid={"title": "Reunión de cierre", "body": "Quieren renovar en julio."},
    ),
    "delivery": SimpleNamespace(
        model=ContentDelivery, factory=ContentDeliveryFactory, shown=lambda r: r.title,
        valid={"title": "Ficha técnica bombas", "kind": "brochure", "delivered_on": "2025-06-10", "channel": "email"},
    ),
    "document": SimpleNamespace(model=Document, factory=DocumentFactory, shown=lambda r: r.title, valid=None),
}


def url(name, *args):
    return reverse(f"accounts:{name}", args=args)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: datetime.datetime(2025, 6, 16, 12, tzinfo=datetime.timezone.utc))


@pytest.fixture
def reader(org):
    """vendedor.sur on the north account's team with read access only."""
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur,
                                     access=AccountTeamMember.Access.READ)
    return org.vendedor_sur


def edit_data(client, name, record, **changes):
    """What the edit form posts when the user changes nothing but `changes`."""
    form = client.get(url(f"{name}_edit", record.pk)).context["form"]
    data = {}
    for field in form:
        value = field.value()
        if value is None or value is False:
            continue
        data[field.name] = value.isoformat() if isinstance(value, datetime.date) else value
    data.update(changes)
    return data


# ---------- Permission matrix ----------

@pytest.mark.parametrize("name", TYPES)
def test_outsider_gets_404_on_every_page_and_sees_none_in_lists(client, org, name):
    kind = TYPES[name]
    record = kind.factory(account=org.north_account)
    client.force_login(org.vendedor_sur)
    assert client.get(url(f"{name}_detail", record.pk)).status_code == 404
    assert client.get(url(f"{name}_edit", record.pk)).status_code == 404
    assert client.post(url(f"{name}_edit", record.pk), {}).status_code == 404
    assert client.post(url(f"{name}_delete", record.pk)).status_code == 404
    assert client.get(url(f"{name}_create", org.north_account.pk)).status_code == 404
    assert client.post(url(f"{name}_create", org.north_account.pk), kind.valid or {}).status_code == 404
    listing = client.get(url(f"{name}_list")).content.decode()
    assert kind.shown(record) not in listing
    narrowed = client.get(url(f"{name}_list"), {"account": org.north_account.pk}).content.decode()
    assert kind.shown(record) not in narrowed
    assert org.north_account.legal_name not in narrowed  # no chip naming an account the user may not see
    assert kind.model.objects.filter(account=org.north_account).count() == 1
    assert kind.model.objects.get(pk=record.pk).deleted_at is None


@pytest.mark.parametrize("name", TYPES)
def test_read_only_team_member_sees_the_record_but_no_edit_button_and_gets_403(client, org, reader, name):
    kind = TYPES[name]
    record = kind.factory(account=org.north_account)
    client.force_login(reader)
    page = client.get(url(f"{name}_detail", record.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert kind.shown(record) in html
    assert url(f"{name}_edit", record.pk) not in html
    assert url(f"{name}_delete", record.pk) not in html
    assert kind.shown(record) in client.get(url(f"{name}_list")).content.decode()
    assert client.get(url(f"{name}_edit", record.pk)).status_code == 403
    assert client.post(url(f"{name}_edit", record.pk), {}).status_code == 403
    assert client.post(url(f"{name}_delete", record.pk)).status_code == 403
    assert client.get(url(f"{name}_create", org.north_account.pk)).status_code == 403
    assert client.post(url(f"{name}_create", org.north_account.pk), kind.valid or {}).status_code == 403
    assert kind.model.objects.filter(account=org.north_account).count() == 1
    assert kind.model.objects.get(pk=record.pk).version == 1


@pytest.mark.parametrize("name", TYPES)
def test_manager_above_the_owner_sees_and_may_edit(client, org, name):
    kind = TYPES[name]
    record = kind.factory(account=org.north_account)
    client.force_login(org.gerente_norte)
    html = client.get(url(f"{name}_detail", record.pk)).content.decode()
    assert url(f"{name}_edit", record.pk) in html
    assert url(f"{name}_delete", record.pk) in html
    assert org.north_account.get_absolute_url() in html
    assert kind.shown(record) in client.get(url(f"{name}_list")).content.decode()
    assert client.get(url(f"{name}_edit", record.pk)).status_code == 200


@pytest.mark.parametrize("name", TYPES)
def test_list_narrowed_to_an_account_shows_a_chip_and_only_its_records(client, org, name):
    kind = TYPES[name]
    north, south = kind.factory(account=org.north_account), kind.factory(account=org.south_account)
    client.force_login(org.admin)
    response = client.get(url(f"{name}_list"), {"account": org.north_account.pk})
    html = response.content.decode()
    assert kind.shown(north) in html and kind.shown(south) not in html
    assert [chip["value"] for chip in response.context["chips"]] == [org.north_account]
    assert url(f"{name}_create", org.north_account.pk) in html


# ---------- Create, edit, delete ----------

@pytest.mark.parametrize("name", [name for name in TYPES if TYPES[name].valid])
def test_owner_creates_a_record_under_the_account(client, org, name):
    kind = TYPES[name]
    client.force_login(org.vendedor_norte)
    response = client.post(url(f"{name}_create", org.north_account.pk), kind.valid)
    record = kind.model.objects.get(account=org.north_account)
    assert response.status_code == 302 and response["Location"] == record.get_absolute_url()
    assert record.created_by == org.vendedor_norte
    assert ChangeLog.objects.filter(object_id=record.pk, action=ChangeLog.Action.CREATE).exists()
    assert client.get(record.get_absolute_url()).status_code == 200


def test_edit_saves_the_change_and_shows_it_in_the_history(client, org):
    asset = CustomerAssetFactory(account=org.north_account, serial_number="OLD-1")
    client.force_login(org.vendedor_norte)
    data = edit_data(client, "asset", asset, serial_number="NEW-2")
    assert client.post(url("asset_edit", asset.pk), data).status_code == 302
    asset.refresh_from_db()
    assert asset.serial_number == "NEW-2" and asset.version == 2
    history = client.get(url("asset_detail", asset.pk)).content.decode()
    assert "OLD-1" in history and "NEW-2" in history


def test_a_stale_edit_is_refused_as_a_conflict(client, org):
    asset = CustomerAssetFactory(account=org.north_account)
    client.force_login(org.vendedor_norte)
    data = edit_data(client, "asset", asset, serial_number="MINE")
    CustomerAsset.objects.filter(pk=asset.pk).update(version=2, serial_number="THEIRS")
    response = client.post(url("asset_edit", asset.pk), data)
    assert response.status_code == 200 and response.context["form"].conflict
    assert url("asset_edit", asset.pk) in response.content.decode()  # the reload link
    assert CustomerAsset.objects.get(pk=asset.pk).serial_number == "THEIRS"


@pytest.mark.parametrize("name", TYPES)
def test_delete_moves_the_record_to_the_recycle_bin_and_restore_brings_it_back(client, org, name):
    kind = TYPES[name]
    record = kind.factory(account=org.north_account)
    client.force_login(org.vendedor_norte)
    response = client.post(url(f"{name}_delete", record.pk))
    assert response.status_code == 302 and response["Location"] == org.north_account.get_absolute_url()
    assert not kind.model.objects.filter(pk=record.pk).exists()
    assert client.get(url(f"{name}_detail", record.pk)).status_code == 404
    bin_page = client.get(reverse("core:recycle_bin")).content.decode()
    restore_url = reverse("core:restore", args=[name, record.pk])
    assert restore_url in bin_page
    client.force_login(org.vendedor_sur)
    assert client.post(restore_url).status_code == 404
    client.force_login(org.vendedor_norte)
    assert client.post(restore_url)["Location"] == record.get_absolute_url()
    assert kind.model.objects.filter(pk=record.pk).exists()


# ---------- Bad input: the field is named, nothing is stored ----------

def post_create(client, name, account, **data):
    response = client.post(url(f"{name}_create", account.pk), data)
    assert response.status_code == 200
    return response.context["form"]


def test_contract_expiring_before_it_starts_is_refused_on_the_expiry_field(client, org):
    client.force_login(org.vendedor_norte)
    data = {**TYPES["contract"].valid, "start_date": "2025-06-01", "end_date": "2025-05-01"}
    form = post_create(client, "contract", org.north_account, **data)
    assert list(form.errors) == ["end_date"]
    assert not Contract.objects.exists()


def test_asset_without_a_product_is_refused_on_the_product_field(client, org):
    client.force_login(org.vendedor_norte)
    form = post_create(client, "asset", org.north_account, **{**TYPES["asset"].valid, "product_name": ""})
    assert list(form.errors) == ["product_name"]
    assert not CustomerAsset.objects.exists()


def test_a_date_that_is_not_a_date_is_refused_on_its_field(client, org):
    client.force_login(org.vendedor_norte)
    form = post_create(client, "delivery", org.north_account, **{**TYPES["delivery"].valid, "delivered_on": "31/02"})
    assert list(form.errors) == ["delivered_on"]
    assert not ContentDelivery.objects.exists()


# ---------- Choosers limited to what the user may see ----------

def test_contact_chooser_offers_only_the_accounts_visible_contacts(client, org):
    other = ContactFactory(account=AccountFactory(owner=org.vendedor_norte), last_name="Otracuenta")
    client.force_login(org.vendedor_norte)
    field = client.get(url("asset_create", org.north_account.pk)).context["form"]["contact"]
    choices = set(field.field.queryset)
    assert org.north_contact in choices
    assert other not in choices and org.south_contact not in choices


def test_a_contact_of_another_account_is_refused(client, org):
    client.force_login(org.vendedor_norte)
    data = {**TYPES["asset"].valid, "contact": org.south_contact.pk}
    form = post_create(client, "asset", org.north_account, **data)
    assert list(form.errors) == ["contact"]
    assert not CustomerAsset.objects.exists()
    data["contact"] = org.north_contact.pk
    assert client.post(url("asset_create", org.north_account.pk), data).status_code == 302
    assert CustomerAsset.objects.get().contact == org.north_contact


def test_contact_the_user_may_not_see_is_not_named_on_the_page(client, org):
    hidden = CustomerAssetFactory(account=org.north_account, contact=org.south_contact)
    shown = CustomerAssetFactory(account=org.north_account, contact=org.north_contact)
    client.force_login(org.vendedor_norte)
    html = client.get(url("asset_detail", hidden.pk)).content.decode()
    assert hidden.product_name in html and org.south_contact.last_name not in html
    html = client.get(url("asset_detail", shown.pk)).content.decode()
    assert org.north_contact.last_name in html and org.north_contact.get_absolute_url() in html


# ---------- List filters ----------

def test_contracts_expiring_within_n_days_are_filtered_and_flagged(client, org, frozen):
    soon = ContractFactory(account=org.north_account, number="CT-SOON", end_date=TODAY + datetime.timedelta(days=20))
    ContractFactory(account=org.north_account, number="CT-LATER", end_date=TODAY + datetime.timedelta(days=200))
    ContractFactory(account=org.north_account, number="CT-DONE", end_date=TODAY + datetime.timedelta(days=10),
                    status=Contract.Status.TERMINATED)
    client.force_login(org.vendedor_norte)
    response = client.get(url("contract_list"), {"expiring": 30})
    assert [contract.number for contract in response.context["object_list"]] == ["CT-SOON"]
    assert "row-warning" in response.content.decode()
    page = client.get(url("contract_detail", soon.pk)).content.decode()
    assert "alert-warning" in page


def test_asset_list_filters_by_status_and_quick_search(client, org):
    CustomerAssetFactory(account=org.north_account, product_name="Bomba sumergible", status=CustomerAsset.Status.ACTIVE)
    CustomerAssetFactory(account=org.north_account, product_name="Bomba antigua", status=CustomerAsset.Status.RETIRED)
    CustomerAssetFactory(account=org.north_account, product_name="Generador", serial_number="GX-99")
    client.force_login(org.vendedor_norte)

    def names(**query):
        return sorted(a.product_name for a in client.get(url("asset_list"), query).context["object_list"])

    assert names(status="retired") == ["Bomba antigua"]
    assert names(q="bomba") == ["Bomba antigua", "Bomba sumergible"]
    assert names(q="gx-9") == ["Generador"]


def test_list_sorts_by_a_column_and_ignores_unknown_sorts(client, org):
    for product in ("B", "C", "A"):
        CustomerAssetFactory(account=org.north_account, product_name=f"Equipo {product}")
    client.force_login(org.vendedor_norte)
    ordered = client.get(url("asset_list"), {"sort": "product_name"}).context["object_list"]
    assert [a.product_name for a in ordered] == ["Equipo A", "Equipo B", "Equipo C"]
    assert client.get(url("asset_list"), {"sort": "secret_field"}).status_code == 200


def test_list_fragment_for_htmx_is_the_table_only(client, org):
    NoteFactory(account=org.north_account, title="Visita a faena")
    client.force_login(org.vendedor_norte)
    html = client.get(url("note_list"), HTTP_HX_REQUEST="true").content.decode()
    assert "Visita a faena" in html and "<html" not in html


# ---------- Bounded queries ----------

BULK = {
    "asset": lambda account, n: [CustomerAsset(account=account, product_name=f"P{i}", contact=None) for i in range(n)],
    "contract": lambda account, n: [Contract(account=account, number=f"C{i}", start_date=TODAY) for i in range(n)],
    "invoice": lambda account, n: [Invoice(account=account, number=f"{account.pk}-{i}", issue_date=TODAY,
                                           due_date=TODAY, amount=10, balance=10) for i in range(n)],
    "note": lambda account, n: [Note(account=account, body=f"n{i}") for i in range(n)],
    "delivery": lambda account, n: [ContentDelivery(account=account, title=f"d{i}", delivered_on=TODAY)
                                    for i in range(n)],
    "document": lambda account, n: [Document(account=account, title=f"f{i}") for i in range(n)],
}


def list_queries(client, path, django_assert_max_num_queries, limit):
    cache.clear()  # count the org-default lookup too, as on a cold worker
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", TYPES)
def test_list_page_runs_the_same_bounded_number_of_queries_for_10_and_200_rows(
        client, org, name, django_assert_max_num_queries):
    small, large = AccountFactory(owner=org.vendedor_norte), AccountFactory(owner=org.vendedor_norte)
    model = TYPES[name].model
    model.objects.bulk_create(BULK[name](small, 10))
    model.objects.bulk_create(BULK[name](large, 200))
    client.force_login(org.vendedor_norte)
    # 13: one of them reads the versions of the tables the count reads (core.versioned).
    few = list_queries(client, f"{url(f'{name}_list')}?account={small.pk}", django_assert_max_num_queries, 13)
    many = list_queries(client, f"{url(f'{name}_list')}?account={large.pk}", django_assert_max_num_queries, 13)
    everything = list_queries(client, url(f"{name}_list"), django_assert_max_num_queries, 13)
    assert few == many
    assert everything <= many


# A text field of each type to change, so the record's history grows.
CHANGED = {"asset": "notes", "contract": "description", "invoice": "external_ref", "note": "body",
           "delivery": "title", "document": "title"}


def add_children(name, record, org, count):
    """`count` more rows the record's page lists: changes by several users in its history, and payments
    on an invoice (each with its own history)."""
    users = [org.vendedor_norte, org.gerente_norte, org.director, org.admin]
    for n in range(count):
        by = users[n % len(users)]
        if name == "invoice":
            services.register_payment(Payment(invoice_id=record.pk, paid_on=TODAY, amount=Decimal("1"),
                                              reference=f"P-{n}"), by=by)
        stored = type(record).objects.get(pk=record.pk)
        setattr(stored, CHANGED[name], f"Cambio {n} de {by.username}")
        update_record(stored, by=by)


# The counts these pages run today, from cold caches: a ceiling at the real count, so one more query shows.
# One of each is the user's permissions, read for the menu's administration entries.
DETAIL_QUERIES = {"asset": 8, "contract": 8, "invoice": 9, "note": 8, "delivery": 8, "document": 9}


def detail_queries(client, path) -> int:
    cache.clear()
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", TYPES)
def test_detail_page_runs_the_same_queries_with_one_or_many_history_entries_and_payments(
        client, org, name, django_assert_max_num_queries):
    record = TYPES[name].factory(account=org.north_account, **({"amount": Decimal("1000"), "balance": Decimal("1000")}
                                                               if name == "invoice" else {}))
    path = url(f"{name}_detail", record.pk)
    client.force_login(org.vendedor_norte)
    add_children(name, record, org, 1)
    one = detail_queries(client, path)
    add_children(name, record, org, 20)
    many = detail_queries(client, path)
    assert many == one
    assert one <= DETAIL_QUERIES[name]
