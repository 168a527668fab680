import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import valid_rut
from vinculo.contacts.models import Contact
from vinculo.core.models import ChangeLog
from vinculo.core.services import ConflictError, create_record, restore, soft_delete, update_record

pytestmark = pytest.mark.django_db


def test_update_logs_each_changed_field_with_old_and_new_value(org):
    account = org.north_account
    old_name = account.legal_name
    account.legal_name = "Minera Norte Chico SpA"
    account.account_type = Account.Type.PARTNER
    update_record(account, by=org.vendedor_norte, expected_version=account.version)

    entry = account.history().first()
    assert entry.action == ChangeLog.Action.UPDATE
    assert entry.user == org.vendedor_norte
    changes = {change["field"]: (change["old"], change["new"]) for change in entry.changes}
    assert changes["legal_name"] == (old_name, "Minera Norte Chico SpA")
    assert changes["account_type"] == ("Customer", "Partner")
    assert set(changes) == {"legal_name", "account_type"}


def test_foreign_key_changes_are_logged_by_name(org):
    contact = org.north_contact
    contact.account = org.south_account
    update_record(contact, by=org.admin)
    change = contact.history().first().changes[0]
    assert change == {"field": "account", "label": "account", "old": str(org.north_account),
                      "new": str(org.south_account)}


def test_stale_version_is_refused_and_first_edit_survives(org):
    first = Account.objects.get(pk=org.north_account.pk)
    second = Account.objects.get(pk=org.north_account.pk)
    first.trade_name = "Primera"
    update_record(first, by=org.vendedor_norte, expected_version=first.version)

    second.trade_name = "Segunda"
    with pytest.raises(ConflictError) as refused:
        update_record(second, by=org.gerente_norte, expected_version=second.version)
    assert "changed this record" in str(refused.value)
    stored = Account.objects.get(pk=org.north_account.pk)
    assert stored.trade_name == "Primera"
    assert stored.version == first.version


def test_invalid_input_names_the_field_and_stores_nothing(org):
    before = Account.objects.count()
    account = Account(owner=org.vendedor_norte, legal_name="", tax_id="76.086.428-4", phone="12", email="x@")
    with pytest.raises(ValidationError) as refused:
        create_record(account, by=org.vendedor_norte)
    assert {"legal_name", "tax_id", "phone", "email"} <= set(refused.value.message_dict)
    assert "RUT" in refused.value.message_dict["tax_id"][0]
    assert Account.objects.count() == before


def test_create_normalises_tax_id_and_phone_and_logs_creation(org):
    account = create_record(
        Account(owner=org.vendedor_norte, legal_name="Aguas del Norte SA", tax_id="76.086.428-5",
                phone="+56 2 2345 6789"),
        by=org.vendedor_norte,
    )
    assert account.tax_id == "760864285"
    assert account.tax_id_display == "76.086.428-5"
    assert account.phone == "+56223456789"
    assert account.history().get().action == ChangeLog.Action.CREATE


def test_spanish_company_needs_a_valid_cif(org):
    with pytest.raises(ValidationError) as refused:
        create_record(Account(owner=org.admin, legal_name="Iberia Tech SL", country="ES", tax_id="B12345670"),
                      by=org.admin)
    assert "NIF" in refused.value.message_dict["tax_id"][0]
    account = create_record(Account(owner=org.admin, legal_name="Iberia Tech SL", country="ES", tax_id="B-12345674"),
                            by=org.admin)
    assert account.tax_id == "B12345674"


def test_two_live_accounts_cannot_share_a_tax_id(org):
    with pytest.raises(ValidationError) as refused:
        create_record(Account(owner=org.admin, legal_name="Copia", tax_id=org.north_account.tax_id), by=org.admin)
    assert "tax id" in str(refused.value)


def test_soft_delete_hides_the_record_and_restore_brings_it_back_with_its_links(org):
    account = org.north_account
    soft_delete(account, by=org.vendedor_norte)
    assert not Account.objects.filter(pk=account.pk).exists()
    assert Account.all_objects.deleted().filter(pk=account.pk).exists()
    assert not Account.objects.visible_to(org.admin).filter(pk=account.pk).exists()

    restore(Account.all_objects.get(pk=account.pk), by=org.vendedor_norte)
    restored = Account.objects.get(pk=account.pk)
    assert list(restored.contacts.all()) == [org.north_contact]
    assert [entry.action for entry in restored.history()][:2] == [ChangeLog.Action.RESTORE, ChangeLog.Action.DELETE]


def test_restore_is_refused_when_a_live_record_took_the_tax_id(org):
    account = org.north_account
    soft_delete(account, by=org.admin)
    create_record(Account(owner=org.admin, legal_name="Nueva", tax_id=account.tax_id), by=org.admin)
    with pytest.raises(ValidationError):
        restore(Account.all_objects.get(pk=account.pk), by=org.admin)
    assert Account.all_objects.get(pk=account.pk).is_deleted


def test_deleted_contacts_leave_the_account_related_list(org):
    soft_delete(org.north_contact, by=org.admin)
    assert list(org.north_account.contacts.all()) == []
    assert Contact.all_objects.filter(pk=org.north_contact.pk).exists()


def test_account_cannot_be_its_own_ancestor(org):
    child = create_record(Account(owner=org.admin, legal_name="Filial", tax_id=valid_rut(999), parent=org.north_account),
                          by=org.admin)
    parent = org.north_account
    parent.parent = child
    with pytest.raises(ValidationError) as refused:
        update_record(parent, by=org.admin)
    assert "parent" in refused.value.message_dict


def test_a_foreign_key_given_by_id_is_checked_to_exist_and_nothing_is_stored(org):
    with pytest.raises(ValidationError) as refused:
        create_record(Account(legal_name="Sin Dueño SpA", owner_id=999_999), by=org.admin)
    assert list(refused.value.message_dict) == ["owner"]
    assert not Account.all_objects.filter(legal_name="Sin Dueño SpA").exists()


def test_a_foreign_key_holding_a_record_read_from_the_database_is_not_read_again(org):
    with CaptureQueriesContext(connection) as by_instance:
        create_record(Account(legal_name="Con Dueño SpA", owner=org.vendedor_norte), by=org.admin)
    with CaptureQueriesContext(connection) as by_id:
        create_record(Account(legal_name="Con Dueña SpA", owner_id=org.vendedor_sur.pk), by=org.admin)
    def reads_of_users(captured):
        return [q["sql"] for q in captured.captured_queries if 'FROM "org_user"' in q["sql"]]
    assert reads_of_users(by_instance) == []
    assert len(reads_of_users(by_id)) == 1


def test_a_live_tax_id_is_unique_per_country_and_one_in_the_recycle_bin_or_blank_does_not_count(org):
    # The constraint's condition (live, not blank) is evaluated on the fields it reads only (TrackedModel).
    def new(tax_id, country="CL"):
        return Account(owner=org.vendedor_norte, legal_name="Otra SpA", country=country, tax_id=tax_id)

    create_record(new("76.086.428-5"), by=org.vendedor_norte)
    with pytest.raises(ValidationError) as refused:
        create_record(new("76086428-5"), by=org.vendedor_norte)
    assert refused.value.message_dict == {"tax_id": ["Another account already has this tax id."]}
    create_record(new(""), by=org.vendedor_norte)
    create_record(new(""), by=org.vendedor_norte)  # blank twice: no tax id to clash
    gone = Account.objects.get(tax_id="760864285")
    soft_delete(gone, by=org.vendedor_norte)
    again = create_record(new("76.086.428-5"), by=org.vendedor_norte)  # the other one is in the recycle bin
    assert again.tax_id == "760864285"
    with pytest.raises(ValidationError) as restoring:
        restore(gone, by=org.vendedor_norte)
    assert restoring.value.message_dict == {"tax_id": ["Another account already has this tax id."]}
