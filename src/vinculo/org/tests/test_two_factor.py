"""Two-factor sign-in: an authenticator app (TOTP) and recovery codes on the login page and the API's token
endpoint, and the organisation's rule that makes a second factor mandatory."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from vinculo.org import twofactor
from vinculo.org.models import OrgSettings, UserSession
from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 42"
TOKEN_URL = "/api/v1/auth/token"
START = 1_800_000_000  # a whole number of 30-second steps


@pytest.fixture(autouse=True)
def no_throttle(settings):
    # django-otp delays a device's next check after a failure (1 s, doubling): these tests try a wrong code
    # and then the right one at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def clock(monkeypatch):
    """The authenticator app's clock (django-otp reads time.time() in its TOTP model): `clock.now` seconds."""
    state = SimpleNamespace(now=START)
    monkeypatch.setattr("django_otp.plugins.otp_totp.models.time", SimpleNamespace(time=lambda: state.now))
    return state


def code(device, at) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at
    return f"{totp.token():06d}"


def user(username="maria", **fields):
    person = UserFactory(username=username, language="en", **fields)
    person.set_password(PASSWORD)
    person.save()
    return person


def with_app(person) -> TOTPDevice:
    return TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)


def password_step(person) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": person.username, "password": PASSWORD}).status_code == 302
    return client


def test_a_totp_user_reaches_nothing_until_the_code(clock):
    maria = user()
    device = with_app(maria)
    client = password_step(maria)
    for path in (reverse("home"), reverse("profile"), reverse("tokens:list"), "/admin/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor_verify") + "?next=")
    assert client.get("/api/v1/tokens").status_code == 401  # the session is not a signed-in user for the API
    wrong = client.post(reverse("two_factor_verify"), {"code": "000000" if code(device, START) != "000000" else "1"})
    assert wrong.status_code == 422 and "code" in wrong.context["form"].errors
    assert client.get(reverse("home")).status_code == 302
    right = client.post(reverse("two_factor_verify"), {"code": code(device, START), "next": reverse("profile")})
    assert right.status_code == 302 and right["Location"] == reverse("profile")
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/api/v1/tokens").status_code == 200


def test_the_verify_page_refuses_an_outside_next_address(clock):
    maria = user()
    device = with_app(maria)
    client = password_step(maria)
    response = client.post(reverse("two_factor_verify"), {"code": code(device, START), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_a_used_code_does_not_work_twice(clock):
    maria = user()
    device = with_app(maria)
    first = password_step(maria)
    assert first.post(reverse("two_factor_verify"), {"code": code(device, START)}).status_code == 302
    second = password_step(maria)
    assert second.post(reverse("two_factor_verify"), {"code": code(device, START)}).status_code == 422


def test_a_totp_user_gets_no_api_token_without_the_code(clock):
    maria = user()
    device = with_app(maria)
    credentials = {"username": "maria", "password": PASSWORD}
    missing = Client().post(TOKEN_URL, credentials, content_type="application/json")
    assert missing.status_code == 401 and "otp" in missing.json()["detail"]
    wrong = Client().post(TOKEN_URL, {**credentials, "otp": "12"}, content_type="application/json")
    assert wrong.status_code == 401
    right = Client().post(TOKEN_URL, {**credentials, "otp": code(device, START)}, content_type="application/json")
    assert right.status_code == 200 and right.json()["token"]


def test_a_user_without_a_second_factor_signs_in_with_the_password_alone():
    maria = user()
    client = password_step(maria)
    assert client.get(reverse("home")).status_code == 200
    assert Client().post(TOKEN_URL, {"username": "maria", "password": PASSWORD},
                         content_type="application/json").status_code == 200


def test_setting_up_an_app_shows_a_qr_code_and_confirms_with_its_first_code(clock):
    maria = user()
    client = password_step(maria)
    page = client.get(reverse("two_factor_totp"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = page.context["device"]
    assert not device.confirmed
    wrong = client.post(reverse("two_factor_totp"), {"device": device.pk, "code": "abc"})
    assert wrong.status_code == 422
    done = client.post(reverse("two_factor_totp"), {"device": device.pk, "code": code(device, START)})
    assert done.status_code == 200 and len(done.context["codes"]) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200  # this session passed with the new app


def test_setting_up_a_first_app_signs_out_the_other_sessions(clock):
    maria = user()
    here, elsewhere = password_step(maria), password_step(maria)
    device = here.get(reverse("two_factor_totp")).context["device"]
    here.post(reverse("two_factor_totp"), {"device": device.pk, "code": code(device, START)})
    assert elsewhere.get(reverse("home")).status_code == 302
    assert UserSession.objects.filter(user=maria).count() == 1


def test_another_users_pending_device_cannot_be_confirmed(clock):
    maria, pedro = user(), user("pedro")
    pedros = TOTPDevice.objects.create(user=pedro, name="Phone", confirmed=False)
    client = password_step(maria)
    response = client.post(reverse("two_factor_totp"), {"device": pedros.pk, "code": code(pedros, START)})
    assert response.context["device"].pk != pedros.pk
    pedros.refresh_from_db()
    assert not pedros.confirmed


def test_recovery_codes_work_once_each(clock):
    maria = user()
    with_app(maria)
    first_code, second_code = twofactor.new_recovery_codes(maria)[:2]
    client = password_step(maria)
    assert client.post(reverse("two_factor_verify"), {"code": first_code}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    again = password_step(maria)
    assert again.post(reverse("two_factor_verify"), {"code": first_code}).status_code == 422
    assert again.post(reverse("two_factor_verify"), {"code": second_code}).status_code == 302
    assert twofactor.recovery_codes_left(maria) == 8
    # The API takes a recovery code too, once.
    third_code = twofactor.new_recovery_codes(maria)[0]
    credentials = {"username": "maria", "password": PASSWORD, "otp": third_code}
    assert Client().post(TOKEN_URL, credentials, content_type="application/json").status_code == 200
    assert Client().post(TOKEN_URL, credentials, content_type="application/json").status_code == 401


def test_new_recovery_codes_replace_the_old_ones(clock):
    maria = user()
    with_app(maria)
    old = twofactor.new_recovery_codes(maria)
    client = password_step(maria)
    client.post(reverse("two_factor_verify"), {"code": old[0]})
    response = client.post(reverse("two_factor_recovery_codes"))
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert twofactor.matching_device(maria, old[1]) is None


# ---------- The organisation's rule ----------

def test_when_required_for_everyone_a_user_without_one_is_led_to_enrol_first(clock):
    OrgSettings.objects.create(second_factor=OrgSettings.SecondFactor.EVERYONE)
    maria = user()
    client = password_step(maria)
    for path in (reverse("home"), reverse("profile"), reverse("tokens:list")):
        response = client.get(path)
        assert response["Location"].startswith(reverse("two_factor") + "?next=")
    page = client.get(reverse("two_factor"))
    assert page.status_code == 200 and page.context["must_enrol"]
    refused = Client().post(TOKEN_URL, {"username": "maria", "password": PASSWORD}, content_type="application/json")
    assert refused.status_code == 403
    device = client.get(reverse("two_factor_totp")).context["device"]
    client.post(reverse("two_factor_totp"), {"device": device.pk, "code": code(device, START)})
    assert client.get(reverse("home")).status_code == 200


def test_when_required_for_admins_only_admins_must_enrol():
    OrgSettings.objects.create(second_factor=OrgSettings.SecondFactor.ADMINS)
    rep, admin, superuser = user("rep"), user("boss"), user("root", is_superuser=True)
    admin.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    assert password_step(rep).get(reverse("home")).status_code == 200
    for person in (admin, superuser):
        assert password_step(person).get(reverse("home"))["Location"].startswith(reverse("two_factor"))


def test_a_new_rule_signs_out_the_users_it_binds_who_have_none(clock):
    maria, pedro, boss = user(), user("pedro"), user("boss")
    with_app(pedro)
    boss.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    marias, bosses = password_step(maria), password_step(boss)
    assert twofactor.apply_policy(OrgSettings.SecondFactor.ADMINS, by=None) == 1
    assert marias.get(reverse("home")).status_code == 200
    assert bosses.get(reverse("home")).status_code == 302
    assert twofactor.apply_policy(OrgSettings.SecondFactor.EVERYONE, by=None) == 1
    assert marias.get(reverse("home")).status_code == 302
    assert OrgSettings.current().second_factor == OrgSettings.SecondFactor.EVERYONE


def test_a_wrong_code_delays_the_next_try(clock, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    maria = user()
    device = with_app(maria)
    client = password_step(maria)
    client.post(reverse("two_factor_verify"), {"code": "000000" if code(device, START) != "000000" else "111111"})
    assert client.post(reverse("two_factor_verify"), {"code": code(device, START)}).status_code == 422


def test_a_session_owing_its_code_cannot_set_up_a_new_app_to_get_around_it(clock):
    maria = user()
    with_app(maria)
    client = password_step(maria)
    for name in ("two_factor_totp", "two_factor"):
        response = client.get(reverse(name))
        assert response["Location"].startswith(reverse("two_factor_verify"))
    assert client.post(reverse("two_factor_totp"), {"device": "", "code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=maria).count() == 1
    assert client.get(reverse("home")).status_code == 302


def test_a_session_owing_its_code_cannot_register_a_passkey():
    maria = user()
    TOTPDevice.objects.create(user=maria, name="Phone", confirmed=True)
    client = password_step(maria)
    response = client.post(reverse("otp_webauthn:credential-registration-begin"), content_type="application/json")
    assert response.status_code == 403
