"""Removing a second factor from one's profile: the password or a current code first; with the organisation's
rule binding the user, the last authenticator app or passkey stays."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from vinculo.core.models import ChangeLog
from vinculo.org import twofactor
from vinculo.org.models import OrgSettings
from vinculo.org.tests.factories import UserFactory
from vinculo.org.tests.test_two_factor import PASSWORD, clock, code, no_throttle  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria():
    person = UserFactory(username="maria", language="en")
    person.set_password(PASSWORD)
    person.save()
    return person


def signed_in(person) -> Client:
    """A signed-in session that owes no second-factor step: it signs in before the factors are set up."""
    client = Client()
    client.force_login(person)
    return client


def passkey(person, name="YubiKey") -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(user=person, name=name, confirmed=True, credential_id=b"\x01" * 16,
                                             public_key=b"\x02" * 32, sign_count=0)


def remove_url(kind, device) -> str:
    return reverse("two_factor_remove", args=[kind, device.pk])


def test_removing_an_app_needs_the_password_or_a_code(maria):
    client = signed_in(maria)
    app = TOTPDevice.objects.create(user=maria, name="Phone", confirmed=True)
    twofactor.new_recovery_codes(maria)
    assert client.get(remove_url("app", app)).status_code == 200
    wrong = client.post(remove_url("app", app), {"secret": "not my password"})
    assert wrong.status_code == 422 and "secret" in wrong.context["form"].errors
    assert TOTPDevice.objects.filter(pk=app.pk).exists()
    right = client.post(remove_url("app", app), {"secret": PASSWORD})
    assert right.status_code == 302 and right["Location"] == reverse("two_factor")
    assert not TOTPDevice.objects.filter(pk=app.pk).exists()
    # No factor left: the recovery codes went with it, and the history says what was removed.
    assert not StaticDevice.objects.filter(user=maria).exists()
    entry = ChangeLog.objects.filter(object_id=maria.pk, content_type__model="user").latest("pk")
    assert entry.changes == [{"field": "", "label": "Authenticator app", "old": "Phone", "new": ""}]


def test_a_current_code_of_the_app_also_confirms_the_removal(maria, clock):  # noqa: F811
    client = signed_in(maria)
    app = TOTPDevice.objects.create(user=maria, name="Phone", confirmed=True)
    key = passkey(maria)
    response = client.post(remove_url("passkey", key), {"secret": code(app, clock.now)})
    assert response.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()
    assert TOTPDevice.objects.filter(pk=app.pk).exists()


def test_the_last_factor_stays_when_the_organisation_requires_one(maria):
    client = signed_in(maria)
    OrgSettings.objects.update_or_create(pk=OrgSettings.current().pk,
                                         defaults={"second_factor": OrgSettings.SecondFactor.EVERYONE})
    key = passkey(maria)
    page = client.get(remove_url("passkey", key))
    assert page.status_code == 200 and page.context["refused"]
    refused = client.post(remove_url("passkey", key), {"secret": PASSWORD})
    assert refused.status_code == 422
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()
    # With a second one set up, either may go.
    TOTPDevice.objects.create(user=maria, name="Phone", confirmed=True)
    assert client.post(remove_url("passkey", key), {"secret": PASSWORD}).status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_the_rule_for_admins_does_not_bind_a_rep(maria):
    client = signed_in(maria)
    OrgSettings.objects.update_or_create(pk=OrgSettings.current().pk,
                                         defaults={"second_factor": OrgSettings.SecondFactor.ADMINS})
    app = TOTPDevice.objects.create(user=maria, name="Phone", confirmed=True)
    assert client.post(remove_url("app", app), {"secret": PASSWORD}).status_code == 302


def test_nobody_removes_another_users_factor(maria):
    other = UserFactory(username="pedro")
    app = TOTPDevice.objects.create(user=other, name="Phone", confirmed=True)
    client = signed_in(maria)
    assert client.get(remove_url("app", app)).status_code == 404
    assert client.post(remove_url("app", app), {"secret": PASSWORD}).status_code == 404
    assert client.get(reverse("two_factor_remove", args=["recovery", 1])).status_code == 404
    assert TOTPDevice.objects.filter(pk=app.pk).exists()


def test_the_overview_links_each_factor_to_its_removal(maria):
    client = signed_in(maria)
    app = TOTPDevice.objects.create(user=maria, name="Phone", confirmed=True)
    key = passkey(maria)
    html = client.get(reverse("two_factor")).content.decode()
    assert remove_url("app", app) in html and remove_url("passkey", key) in html
