"""In a browser: an administrator invites a user, who chooses a password from the e-mail, sets up an
authenticator app, signs in with it, and sees only what their role allows."""

import re
import time
from base64 import b32decode

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django_otp.oath import TOTP
from playwright.sync_api import expect

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core.access import AccessLevel
from vinculo.org.models import OrgDefault, Role
from vinculo.org.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long new secret 5"


def code_at(key_text: str, at: float) -> str:
    totp = TOTP(b32decode(key_text.replace(" ", "")))
    totp.time = at
    return f"{totp.token():06d}"


def sign_in(page, username, password):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click(".login-form button[type=submit]")


def test_an_invited_user_sets_a_password_enrols_totp_and_sees_what_their_role_allows(browser_page):
    OrgDefault.objects.update_or_create(record_type="accounts.account", defaults={"access": AccessLevel.PRIVATE})
    director_role = Role.objects.create(name="Director")
    rep_role = Role.objects.create(name="Rep", parent=director_role)
    boss = UserFactory(username="boss", language="en", role=director_role)
    boss.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    other_rep = UserFactory(username="other", role=rep_role)
    AccountFactory(owner=other_rep, legal_name="Cuenta Ajena SpA")

    page = browser_page
    sign_in(page, "boss", "demo")
    page.goto("/org/users/invite/")
    page.fill("#id_username", "camila")
    page.fill("#id_first_name", "Camila")
    page.fill("#id_last_name", "Rojas")
    page.fill("#id_email", "camila@example.com")
    page.select_option("#id_role", label="Rep")
    page.select_option("#id_manager", label=str(boss))
    page.select_option("#id_language", "en")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("was invited")

    # Camila, in a fresh browser session, follows the e-mail's link.
    page.context.clear_cookies()
    message, = mail.outbox
    link = re.search(r"https?://\S+/password-reset/\S+/", message.body).group(0)
    page.goto(link)
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    page.click(".login-form button[type=submit]")  # the page speaks the browser's language (es-CL)
    expect(page.get_by_role("link", name=re.compile("Sign in|Iniciar sesión"))).to_be_visible()

    sign_in(page, "camila", PASSWORD)
    page.goto("/account/two-factor/")
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.locator(".qr-code svg")).to_be_visible()
    key = page.locator(".totp-key").inner_text()
    page.fill("#id_code", code_at(key, time.time()))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("h1")).to_have_text("Recovery codes")
    assert page.locator(".recovery-codes li").count() == 10

    # Signing in again asks for the app's code (the next one: a code works once).
    page.context.clear_cookies()
    sign_in(page, "camila", PASSWORD)
    expect(page.locator("h1")).to_have_text("Second factor")
    page.goto("/accounts/")
    expect(page.locator("h1")).to_have_text("Second factor")
    page.fill("#id_code", code_at(key, time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/two-factor/" not in url)
    # The landing page's requests read the accounts table; a write from this thread meanwhile finds SQLite's
    # in-memory test database locked.
    page.wait_for_load_state("networkidle")

    # A rep: their own accounts only, and no administration.
    AccountFactory(owner=UserFactory._meta.model.objects.get(username="camila"), legal_name="Cuenta Propia SpA")
    page.goto("/accounts/")
    expect(page.locator("main")).to_contain_text("Cuenta Propia SpA")
    expect(page.locator("main")).not_to_contain_text("Cuenta Ajena SpA")
    assert page.goto("/org/users/").status == 403
