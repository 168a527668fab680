"""The access policy's pieces on their own: each clause's inverse, the generic subject clause, field groups,
and the org-default levels read once per request."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from vinculo.accounts.models import Account, Invoice
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact
from vinculo.core.access import AccessLevel, access_scope, org_default_level
from vinculo.core.models import ChangeLog
from vinculo.core.policy import Subject, registry
from vinculo.org.models import OrgDefault, Territory
from vinculo.org.tests.factories import UserFactory
from vinculo.sales.models import Product
from vinculo.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def usernames(users) -> set[str]:
    return set(users.values_list("username", flat=True))


def test_an_owned_record_is_seen_by_its_owner_the_line_above_and_admins(org):
    assert usernames(Account.policy.users_who_may_see(org.north_account)) == {
        "vendedor.norte", "gerente.norte", "director", "finanzas", "catalogo", "admin",
    }


def test_an_inactive_user_is_never_among_those_who_may_see(org):
    org.gerente_norte.is_active = False
    org.gerente_norte.save()
    assert "gerente.norte" not in usernames(Account.policy.users_who_may_see(org.north_account))


def test_the_owner_without_a_role_is_seen_only_by_themselves_and_admins(org):
    loner = UserFactory(username="suelto")
    account = AccountFactory(owner=loner)
    assert usernames(Account.policy.users_who_may_see(account)) == {"suelto", "admin"}


def test_a_public_org_default_lets_every_active_user_see(org):
    OrgDefault.objects.filter(record_type="accounts.account").update(access=AccessLevel.PUBLIC_READ)
    org_defaults_changed()
    everyone = usernames(type(org.admin).objects.filter(is_active=True))
    assert usernames(Account.policy.users_who_may_see(org.north_account)) == everyone
    assert "vendedor.sur" not in usernames(Account.policy.users_who_may_edit(org.north_account))


def test_a_granting_territory_shows_its_records_to_its_users_and_a_plain_one_does_not(org):
    chile = Territory.objects.create(name="Chile", kind="country", grants_access=True)
    north = Territory.objects.create(name="Norte", kind="region", parent=chile)
    plain = Territory.objects.create(name="Atacama", kind="zone", parent=north)
    org.vendedor_sur.territories.add(chile)
    org.vendedor_norte2.territories.add(plain)
    account = AccountFactory(owner=org.vendedor_norte, territory=plain)
    may_see = usernames(Account.policy.users_who_may_see(account))
    assert "vendedor.sur" in may_see
    assert "vendedor.norte2" not in may_see


def test_catalogue_managers_are_those_who_may_change_the_catalogue(org):
    product = ProductFactory()
    assert usernames(Product.policy.users_who_may_edit(product)) == {"catalogo", "admin"}
    assert "vendedor.sur" in usernames(Product.policy.users_who_may_see(product))


def log_entry(record) -> ChangeLog:
    return ChangeLog.objects.create(content_type=ContentType.objects.get_for_model(record), object_id=record.pk,
                                    action=ChangeLog.Action.UPDATE, at=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc))


@pytest.mark.parametrize("per_row", [False, True])
def test_a_record_about_any_subject_inherits_the_subjects_visibility(org, per_row):
    # ChangeLog's generic link stands in for "regarding" (a content type and an id).
    about = Subject("content_type", "object_id", types=("accounts.Account", "contacts.Contact"))
    north, south, north_contact = log_entry(org.north_account), log_entry(org.south_account), log_entry(org.north_contact)
    seen = set(ChangeLog.objects.filter(about.q(org.gerente_norte, write=False, per_row=per_row)))
    assert seen == {north, north_contact}
    assert set(ChangeLog.objects.filter(about.q(org.vendedor_sur, write=False, per_row=per_row))) == {south}


def test_the_users_of_a_record_about_a_subject_are_those_who_may_see_the_subject(org):
    about = Subject("content_type", "object_id", types=("accounts.Account", "contacts.Contact"))
    entry = log_entry(org.north_contact)
    users = usernames(type(org.admin).objects.filter(about.users(entry, write=False)))
    assert users == usernames(Contact.policy.users_who_may_see(org.north_contact))
    assert "vendedor.sur" not in users


def test_a_subject_of_a_type_not_listed_grants_nothing(org):
    about = Subject("content_type", "object_id", types=("contacts.Contact",))
    assert not ChangeLog.objects.filter(about.q(org.vendedor_norte, write=False, per_row=False)).filter(
        pk=log_entry(org.north_account).pk).exists()


def test_the_subject_types_by_default_are_those_whose_policy_says_so():
    assert {model._meta.label_lower for model in Subject().subject_models()} == {
        "accounts.account", "contacts.contact", "sales.lead", "sales.opportunity", "sales.quote",
        "marketing.campaign", "work.project",
    }
    assert all(policy.model is model for model, policy in registry.items())


def test_financial_fields_are_hidden_from_users_without_the_permission(org):
    assert set(Account.policy.hidden_fields(org.vendedor_norte)) == set(Account.FINANCIAL_FIELDS)
    assert Account.policy.hidden_fields(org.finance) == ()
    assert "bank_details" not in Account.policy.readable_fields(org.vendedor_norte)
    assert "bank_details" in Account.policy.readable_fields(org.finance)


def test_invoice_amounts_are_hidden_only_where_the_organisation_restricts_them(org, settings):
    assert Invoice.policy.hidden_fields(org.vendedor_norte) == ()
    settings.VINCULO = {**settings.VINCULO, "INVOICE_AMOUNTS_RESTRICTED": True}
    assert Invoice.policy.hidden_fields(org.vendedor_norte) == ("amount", "balance")
    assert Invoice.policy.hidden_fields(org.finance) == ()
    org.vendedor_norte.user_permissions.add(Permission.objects.get(codename="view_financial_data"))
    rep = type(org.vendedor_norte).objects.get(pk=org.vendedor_norte.pk)  # permissions are cached per instance
    assert Invoice.policy.can_read(rep, "amounts")


def org_defaults_changed():
    from django.core.cache import cache

    cache.clear()


def test_a_request_reads_the_org_defaults_once(org, django_assert_num_queries):
    org_defaults_changed()
    with access_scope():
        with django_assert_num_queries(1):
            org_default_level("accounts.account")
            org_default_level("contacts.contact")
        OrgDefault.objects.filter(record_type="accounts.account").update(access=AccessLevel.PUBLIC_READ)
        org_defaults_changed()
        assert org_default_level("accounts.account") == AccessLevel.PRIVATE  # one request, one view of them
    assert org_default_level("accounts.account") == AccessLevel.PUBLIC_READ


def test_saving_a_default_applies_at_once_even_within_a_request(org):
    with access_scope():
        assert org_default_level("accounts.account") == AccessLevel.PRIVATE
        default = OrgDefault.objects.get(record_type="accounts.account")
        default.access = AccessLevel.PUBLIC_READ_WRITE
        default.save()
        assert org_default_level("accounts.account") == AccessLevel.PUBLIC_READ_WRITE
    assert OrgDefault.level_for("accounts.account") == AccessLevel.PUBLIC_READ_WRITE
    assert OrgDefault.level_for("sales.lead") == AccessLevel.PRIVATE  # no row: private
