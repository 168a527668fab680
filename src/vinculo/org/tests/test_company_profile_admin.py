"""The company profile printed on quotes, in the app: administrators only, checked tax id and phone, history."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from vinculo.core.models import ChangeLog
from vinculo.org.models import CompanyProfile
from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
DATA = {"name": "Vínculo", "legal_name": "Vínculo SpA", "tax_id": "76.086.428-5", "country": "cl",
        "phone": "+56 2 2345 6789", "email": "ventas@vinculo.cl", "quote_terms": "30 días"}


@pytest.fixture
def boss(db):
    user = UserFactory(username="boss")
    user.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    return user


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who, status", [("admin", 200), ("director", 403), ("rep", 403), ("outsider", 302)])
def test_permission_matrix(org, boss, who, status):
    client = client_for({"admin": boss, "director": org.director, "rep": org.vendedor_norte, "outsider": None}[who])
    assert client.get(reverse("org:company_profile")).status_code == status
    response = client.post(reverse("org:company_profile"), DATA)
    assert response.status_code == (302 if who in ("admin", "outsider") else 403)
    assert (CompanyProfile.current().legal_name == "Vínculo SpA") == (who == "admin")


def test_the_profile_is_saved_normalised_and_in_history(boss):
    assert client_for(boss).post(reverse("org:company_profile"), DATA).status_code == 302
    profile = CompanyProfile.current()
    assert (profile.tax_id, profile.country, profile.phone) == ("760864285", "CL", "+56223456789")
    entry = ChangeLog.objects.get(content_type__model="companyprofile", user=boss)
    assert ("legal_name", "", "Vínculo SpA") in [(c["field"], c["old"], c["new"]) for c in entry.changes]


def test_a_wrong_tax_id_or_phone_is_a_field_error(boss):
    response = client_for(boss).post(reverse("org:company_profile"), {**DATA, "tax_id": "76.086.428-4",
                                                                      "phone": "12"})
    assert response.status_code == 422
    assert {"tax_id", "phone"} <= set(response.context["form"].errors)
