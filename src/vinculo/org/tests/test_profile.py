"""My profile: details and preferences, the photo, the sessions list with "sign out everywhere else", the
API tokens section; the password change."""

import io
import random

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from PIL import Image

from vinculo.api.models import ApiToken
from vinculo.org.models import UserSession
from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 42"


@pytest.fixture
def maria(db):
    user = UserFactory(username="maria", language="en", email="maria@example.com")
    user.set_password(PASSWORD)
    user.save()
    return user


def signed_in(user, agent="Browser A") -> Client:
    client = Client(headers={"user-agent": agent})
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def profile_data(**changes):
    data = {"first_name": "María", "last_name": "Soto", "email": "maria@example.com", "phone": "+56 9 8765 4321",
            "email_signature": "María Soto\nVentas", "language": "en", "currency": "USD",
            "time_zone": "Europe/Madrid", "notifications": ["assigned", "task_due"]}
    data.update(changes)
    return data


def png(size=(8, 8)) -> io.BytesIO:
    content = io.BytesIO()
    Image.new("RGB", size, "red").save(content, "PNG")
    content.seek(0)
    content.name = "me.png"
    return content


def test_the_profile_saves_details_and_preferences(maria):
    client = signed_in(maria)
    response = client.post(reverse("profile"), profile_data())
    assert response.status_code == 302
    maria.refresh_from_db()
    assert (maria.first_name, maria.phone, maria.currency, maria.time_zone) == (
        "María", "+56987654321", "USD", "Europe/Madrid")
    assert maria.email_signature == "María Soto\nVentas"
    assert maria.wants_notification("assigned") and not maria.wants_notification("quote_answered")


@pytest.mark.parametrize("field, value", [
    ("time_zone", "Mars/Olympus"), ("phone", "12"), ("language", "fr"), ("currency", "XXX"), ("email", ""),
    ("notifications", ["spam"]),
])
def test_bad_profile_input_is_a_field_error(maria, field, value):
    response = signed_in(maria).post(reverse("profile"), profile_data(**{field: value}))
    assert response.status_code == 422
    assert field in response.context["form"].errors
    maria.refresh_from_db()
    assert maria.time_zone == "America/Santiago"


def test_an_email_address_of_another_user_is_refused(maria):
    UserFactory(username="pedro", email="Pedro@Example.com")
    response = signed_in(maria).post(reverse("profile"), profile_data(email="pedro@example.com"))
    assert response.status_code == 422 and "email" in response.context["form"].errors


def test_a_photo_is_stored_and_shown_to_signed_in_users_only(maria, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    client = signed_in(maria)
    assert client.post(reverse("profile"), {**profile_data(), "photo": png()}).status_code == 302
    maria.refresh_from_db()
    assert maria.photo.name.startswith("users/photos/")
    response = signed_in(UserFactory(username="pedro", password=PASSWORD)).get(reverse("user_photo", args=[maria.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Client().get(reverse("user_photo", args=[maria.pk])).status_code == 302


def test_a_file_that_is_not_an_image_is_refused_as_a_photo(maria):
    fake = io.BytesIO(b"<svg onload='alert(1)'></svg>")
    fake.name = "me.png"
    response = signed_in(maria).post(reverse("profile"), {**profile_data(), "photo": fake})
    assert response.status_code == 422 and "photo" in response.context["form"].errors
    svg = io.BytesIO(b"<svg></svg>")
    svg.name = "me.svg"
    response = signed_in(maria).post(reverse("profile"), {**profile_data(), "photo": svg})
    assert response.status_code == 422 and "photo" in response.context["form"].errors


def test_a_photo_over_two_megabytes_is_refused(maria):
    big = io.BytesIO()
    # Random pixels do not compress: a 1000×1000 PNG of noise is about 3 MB.
    Image.frombytes("RGB", (1000, 1000), random.Random(0).randbytes(3_000_000)).save(big, "PNG")
    big.seek(0)
    big.name = "big.png"
    assert big.getbuffer().nbytes > 2 * 1024 * 1024
    response = signed_in(maria).post(reverse("profile"), {**profile_data(), "photo": big})
    assert response.status_code == 422 and "photo" in response.context["form"].errors


def test_the_profile_lists_sessions_and_signs_out_everywhere_else(maria):
    first, second, third = signed_in(maria, "Firefox"), signed_in(maria, "Chrome"), signed_in(maria, "Safari")
    other_user = signed_in(UserFactory(username="pedro", password=PASSWORD))
    assert UserSession.objects.filter(user=maria).count() == 3
    page = first.get(reverse("profile"))
    assert [session.user_agent for session in page.context["sessions"]] == ["Safari", "Chrome", "Firefox"]
    first.post(reverse("sessions_end_others"))
    assert first.get(reverse("profile")).status_code == 200
    assert second.get(reverse("profile")).status_code == 302  # sent to the login page
    assert third.get(reverse("profile")).status_code == 302
    assert other_user.get(reverse("profile")).status_code == 200
    assert list(UserSession.objects.filter(user=maria).values_list("user_agent", flat=True)) == ["Firefox"]
    assert Session.objects.count() == 2


def test_one_session_can_be_signed_out_but_not_another_users(maria):
    first, second = signed_in(maria, "Firefox"), signed_in(maria, "Chrome")
    pedro = UserFactory(username="pedro", password=PASSWORD)
    pedros = signed_in(pedro)
    pedro_session = UserSession.objects.get(user=pedro)
    first.post(reverse("session_end", args=[pedro_session.pk]))
    assert pedros.get(reverse("profile")).status_code == 200
    chrome = UserSession.objects.get(user=maria, user_agent="Chrome")
    first.post(reverse("session_end", args=[chrome.pk]))
    assert second.get(reverse("profile")).status_code == 302
    assert first.get(reverse("profile")).status_code == 200


def test_signing_out_forgets_the_session_and_expired_ones_are_not_listed(maria):
    first, second = signed_in(maria, "Firefox"), signed_in(maria, "Chrome")
    second.post(reverse("logout"))
    assert list(UserSession.objects.values_list("user_agent", flat=True)) == ["Firefox"]
    signed_in(maria, "Old")
    Session.objects.filter(session_key=UserSession.objects.get(user_agent="Old").session_key).delete()
    assert [session.user_agent for session in first.get(reverse("profile")).context["sessions"]] == ["Firefox"]


def test_the_profile_shows_the_users_own_api_tokens(maria):
    ApiToken.issue(maria, name="ERP sync")
    ApiToken.issue(UserFactory(username="pedro"), name="Someone else's")
    content = signed_in(maria).get(reverse("profile")).content.decode()
    assert "ERP sync" in content and "Someone else" not in content


def test_the_profile_page_runs_a_bounded_number_of_queries(maria, django_assert_max_num_queries):
    client = signed_in(maria)
    for number in range(5):
        ApiToken.issue(maria, name=f"token {number}")
        signed_in(maria, f"Browser {number}")
    with django_assert_max_num_queries(8):
        assert client.get(reverse("profile")).status_code == 200


# ---------- Changing the password ----------

def test_the_password_change_needs_the_current_password(maria):
    client = signed_in(maria)
    response = client.post(reverse("password_change"), {
        "old_password": "wrong", "new_password1": "a new long secret 7", "new_password2": "a new long secret 7"})
    assert response.status_code == 422 and "old_password" in response.context["form"].errors
    maria.refresh_from_db()
    assert maria.check_password(PASSWORD)


@pytest.mark.parametrize("weak", ["short1", "12345678901", "password123", "maria1234"])
def test_a_weak_new_password_is_refused(maria, weak):
    response = signed_in(maria).post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": weak, "new_password2": weak})
    assert response.status_code == 422 and "new_password2" in response.context["form"].errors
    maria.refresh_from_db()
    assert maria.check_password(PASSWORD)


def test_a_password_change_keeps_this_session_and_ends_the_others(maria):
    here, elsewhere = signed_in(maria, "Firefox"), signed_in(maria, "Chrome")
    response = here.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "a new long secret 7", "new_password2": "a new long secret 7"})
    assert response.status_code == 302
    maria.refresh_from_db()
    assert maria.check_password("a new long secret 7")
    assert here.get(reverse("profile")).status_code == 200
    assert elsewhere.get(reverse("profile")).status_code == 302
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [here.session.session_key]


def test_profile_pages_need_a_sign_in():
    for name in ("profile", "password_change"):
        assert Client().get(reverse(name)).status_code == 302
