"""The organisation's settings page: only for who may administer the organisation; the second-factor rule."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from vinculo.org.models import OrgSettings
from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    boss = UserFactory(username="boss")
    boss.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    return boss


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who, status", [("admin", 200), ("superuser", 200), ("director", 403), ("rep", 403)])
def test_only_administrators_reach_the_settings(org, admin_user, who, status):
    user = {"admin": admin_user, "superuser": org.admin, "director": org.director, "rep": org.vendedor_norte}[who]
    assert client_for(user).get(reverse("org:settings")).status_code == status
    if status == 403:
        assert client_for(user).post(reverse("org:settings"), {"second_factor": "everyone"}).status_code == 403
        assert OrgSettings.current().second_factor == "optional"


def test_an_outsider_is_sent_to_sign_in():
    response = Client().get(reverse("org:settings"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_admin_without_a_second_factor_cannot_require_one_of_admins(admin_user):
    response = client_for(admin_user).post(reverse("org:settings"), {"second_factor": "admins"})
    assert response.status_code == 422 and "second_factor" in response.context["form"].errors
    assert OrgSettings.current().second_factor == "optional"


def test_an_admin_with_one_sets_the_rule(admin_user):
    client = client_for(admin_user)  # signed in before the device exists: nothing owed
    TOTPDevice.objects.create(user=admin_user, name="Phone", confirmed=True)
    response = client.post(reverse("org:settings"), {"second_factor": "everyone"})
    assert response.status_code == 302
    assert OrgSettings.current().second_factor == "everyone"


def test_a_rule_not_on_the_list_is_a_field_error(admin_user):
    response = client_for(admin_user).post(reverse("org:settings"), {"second_factor": "sometimes"})
    assert response.status_code == 422 and "second_factor" in response.context["form"].errors
