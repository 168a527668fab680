from io import StringIO

import phonenumbers
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from stdnum.cl import rut
from stdnum.es import cif

from vinculo.accounts.models import Account, Address
from vinculo.contacts.models import Contact
from vinculo.core.access import AccessLevel
from vinculo.core.models import ChangeLog, SearchEntry
from vinculo.core.search import search
from vinculo.demo.builders import SIZES, load_demo
from vinculo.org.models import OrgDefault, User

BOOKKEEPING = ["created_by", "updated_by", "deleted_by"]


@pytest.fixture
def demo(db):
    load_demo(SIZES["small"])
    return {user.username: user for user in User.objects.all()}


def _counts():
    return {
        model.__name__: model._base_manager.count()
        for model in (User, Account, Address, Contact, ChangeLog, SearchEntry, OrgDefault)
    }


@pytest.mark.django_db
def test_demo_command_loads_the_small_set_and_a_second_run_changes_nothing():
    first, second = StringIO(), StringIO()

    call_command("demo", "--size", "small", stdout=first)
    loaded = _counts()
    call_command("demo", "--size", "small", stdout=second)

    assert "60 accounts, 250 contacts" in first.getvalue()
    assert "nothing changed" in second.getvalue()
    assert _counts() == loaded
    assert loaded["Account"] == 60 and loaded["Contact"] == 250
    assert loaded["SearchEntry"] == 310  # every account and contact is searchable
    assert loaded["ChangeLog"] == 310  # and has its "created" history entry


def test_reset_replaces_the_records_with_a_fresh_demo_set(demo):
    Account.objects.filter(legal_name="Minera Atacama SpA").update(legal_name="Renamed SpA")

    load_demo(SIZES["small"], reset=True)

    assert Account.objects.count() == 60 and Contact.objects.count() == 250
    assert Account.objects.filter(legal_name="Minera Atacama SpA").exists()
    assert not Account.all_objects.filter(legal_name="Renamed SpA").exists()


def test_every_demo_account_has_a_valid_tax_id_and_phone(demo):
    accounts = list(Account.objects.all())

    assert {account.country for account in accounts} == {"CL", "ES"}
    for account in accounts:
        valid_tax_id = rut.is_valid(account.tax_id) if account.country == "CL" else cif.is_valid(account.tax_id)
        assert valid_tax_id, account.tax_id
        assert phonenumbers.is_valid_number(phonenumbers.parse(account.phone)), account.phone
        assert account.phone.startswith({"CL": "+56", "ES": "+34"}[account.country])


def test_demo_records_pass_model_validation(demo):
    for record in [*Account.objects.all(), *Contact.objects.all(), *Address.objects.all()]:
        record.full_clean(exclude=BOOKKEEPING)


def test_demo_users_form_the_sales_hierarchy_and_log_in_with_demo(demo):
    director, gerente_norte, vendedor_norte = demo["director"], demo["gerente.norte"], demo["vendedor.norte"]

    assert gerente_norte.manager == director and vendedor_norte.manager == gerente_norte
    assert vendedor_norte.role.parent == gerente_norte.role and gerente_norte.role.parent == director.role
    assert demo["vendedor.sur"].role.name == "Rep South"
    assert demo["admin"].is_superuser
    assert demo["finanzas"].can_view_financial_data and not vendedor_norte.can_view_financial_data
    assert vendedor_norte.language == "es" and vendedor_norte.office.name == "Antofagasta"
    for username in ("admin", "director", "gerente.norte", "vendedor.norte", "vendedor.sur", "finanzas"):
        assert authenticate(username=username, password="demo") == demo[username]
    assert set(OrgDefault.objects.values_list("record_type", "access")) == {
        ("accounts.account", AccessLevel.PRIVATE), ("contacts.contact", AccessLevel.PRIVATE),
    }


def test_zone_manager_sees_his_reps_accounts_but_not_the_other_zones(demo):
    north_owned = set(Account.objects.filter(owner=demo["vendedor.norte"]).values_list("pk", flat=True))
    south_owned = set(Account.objects.filter(owner=demo["vendedor.sur"]).values_list("pk", flat=True))
    seen_by_manager = set(Account.objects.visible_to(demo["gerente.norte"]).values_list("pk", flat=True))

    assert north_owned and south_owned
    assert north_owned <= seen_by_manager
    assert not south_owned & seen_by_manager
    assert Account.objects.visible_to(demo["director"]).count() == 60


def test_each_rep_sees_a_believable_subset_including_the_named_accounts(demo):
    minera = Account.objects.get(legal_name="Minera Atacama SpA")
    pesquera = Account.objects.get(legal_name="Pesquera Austral Ltda.")

    for username in ("vendedor.norte", "vendedor.sur"):
        assert 8 <= Account.objects.visible_to(demo[username]).count() <= 30
        assert Contact.objects.visible_to(demo[username]).count() >= 30
    assert minera.owner == demo["vendedor.norte"] and pesquera.owner == demo["vendedor.sur"]
    assert list(search(Account, demo["vendedor.norte"], "minera atacama")) == [minera]
    assert not search(Account, demo["vendedor.sur"], "minera atacama").exists()
    assert minera.parent.legal_name == "Grupo Atacama S.A."
    assert minera.contacts.count() >= 5 and minera.addresses.count() >= 1
