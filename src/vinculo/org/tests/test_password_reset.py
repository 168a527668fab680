"""Forgotten password: the same answer for known and unknown addresses, a link that works once and expires,
the e-mail in the language of the user it goes to."""

import re
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse

from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW = "a brand new secret 9"


@pytest.fixture
def maria(db):
    return UserFactory(username="maria", language="en", email="maria@example.com")


def english() -> Client:
    """A visitor whose browser asks for English (the site's default language is Spanish)."""
    return Client(headers={"accept-language": "en"})


def ask(address: str):
    return english().post(reverse("password_reset"), {"email": address})


def link_in(message) -> str:
    return re.search(r"https?://testserver(/password-reset/\S+/)", message.body).group(1)


def test_known_and_unknown_addresses_get_the_same_answer(maria):
    known, unknown = ask("maria@example.com"), ask("nobody@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"]) == (
        302, reverse("password_reset_done"))
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maria@example.com"]
    done = english().get(known["Location"])
    assert done.status_code == 200 and "If an account has this address" in done.content.decode()


def test_an_inactive_users_address_gets_no_email_and_the_same_answer(maria):
    maria.is_active = False
    maria.save()
    response = ask("maria@example.com")
    assert (response.status_code, response["Location"]) == (302, reverse("password_reset_done"))
    assert mail.outbox == []


def test_the_link_sets_a_new_password_once(maria):
    ask("MARIA@example.com")
    link = link_in(mail.outbox[0])
    client = Client()
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_complete")
    maria.refresh_from_db()
    assert maria.check_password(NEW)
    # The same link again: the password it was signed with has changed.
    again = english().get(link, follow=True)
    assert again.context["validlink"] is False
    assert "This link no longer works" in again.content.decode()


def test_a_weak_password_is_refused_on_the_reset_page(maria):
    ask("maria@example.com")
    client = Client()
    set_url = client.get(link_in(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and "new_password2" in response.context["form"].errors
    maria.refresh_from_db()
    assert maria.check_password("demo")


def test_the_link_expires_after_the_timeout(maria, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    sent_at = datetime(2026, 3, 2, 10, 0)
    with mock.patch.object(type(default_token_generator), "_now", return_value=sent_at):
        ask("maria@example.com")
    link = link_in(mail.outbox[0])
    uid, token = link.strip("/").split("/")[-2:]
    with mock.patch.object(type(default_token_generator), "_now", return_value=sent_at + timedelta(seconds=3600)):
        assert default_token_generator.check_token(maria, token) is True
    with mock.patch.object(type(default_token_generator), "_now",
                           return_value=sent_at + timedelta(seconds=3601)):
        assert Client().get(link, follow=True).context["validlink"] is False


def test_the_email_is_in_the_users_language(maria):
    UserFactory(username="pedro", language="es", email="pedro@example.com")
    ask("pedro@example.com")
    ask("maria@example.com")
    spanish, english = mail.outbox
    # Needs the merged catalog (org/tests: /work/tr/people.json).
    assert spanish.subject == "Elija una nueva contraseña para Vínculo"
    assert "Su nombre de usuario: pedro" in spanish.body
    assert english.subject == "Choose a new password for Vínculo"
    assert "Your username: maria" in english.body


def test_the_login_page_links_to_the_reset_page():
    content = Client().get(reverse("login")).content.decode()
    assert reverse("password_reset") in content
