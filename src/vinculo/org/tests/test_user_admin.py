"""Administering users in the app: who may (matrix), inviting (set-password e-mail), editing with history,
deactivating (records stay), and handing exactly the chosen records to someone else."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core.models import ChangeLog
from vinculo.org.models import SalesTeam, Territory, User, UserSession
from vinculo.org.tests.factories import UserFactory
from vinculo.sales.models import Lead
from vinculo.sales.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


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


def pages(org):
    rep = org.vendedor_norte
    return [("get", reverse("org:user_list"), {}), ("get", reverse("org:user_invite"), {}),
            ("get", reverse("org:user_edit", args=[rep.pk]), {}),
            ("get", reverse("org:user_reassign", args=[rep.pk]), {}),
            ("post", reverse("org:user_invite"), {"username": "new", "email": "new@example.com", "language": "es"}),
            ("post", reverse("org:user_edit", args=[rep.pk]), {"email": "x@example.com", "language": "en"}),
            ("post", reverse("org:user_reassign", args=[rep.pk]), {"to": org.vendedor_sur.pk, "kinds": ["account"]})]


@pytest.mark.parametrize("who, expected", [("admin", "ok"), ("superuser", "ok"), ("director", 403), ("rep", 403),
                                           ("outsider", "login")])
def test_permission_matrix_over_the_user_pages(org, boss, who, expected):
    user = {"admin": boss, "superuser": org.admin, "director": org.director, "rep": org.vendedor_norte,
            "outsider": None}[who]
    client = client_for(user)
    for method, url, data in pages(org):
        response = getattr(client, method)(url, data)
        if expected == "ok":
            assert response.status_code in (200, 302, 422), url
        elif expected == "login":
            assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
        else:
            assert response.status_code == expected, url
    if expected != "ok":
        assert not User.objects.filter(username="new").exists()
        assert Account.objects.filter(owner=org.vendedor_norte).exists()


def test_the_user_list_filters_and_runs_bounded_queries(org, boss, django_assert_max_num_queries):
    for number in range(10):
        UserFactory(username=f"extra{number}", manager=org.director, role=org.director.role)
    client = client_for(boss)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("org:user_list"), {"q": "vendedor"})
    assert [user.username for user in response.context["page"]] == ["vendedor.norte", "vendedor.norte2",
                                                                    "vendedor.sur"]


def test_an_invited_user_gets_a_link_to_choose_a_password(org, boss, django_capture_on_commit_callbacks):
    territory = Territory.objects.create(name="Norte")
    team = SalesTeam.objects.create(name="Equipo Norte")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(boss).post(reverse("org:user_invite"), {
            "username": "camila", "first_name": "Camila", "last_name": "Rojas", "email": "camila@example.com",
            "role": org.vendedor_norte.role.pk, "manager": org.gerente_norte.pk, "language": "en",
            "territories": [territory.pk], "teams": [team.pk]})
    assert response.status_code == 302
    camila = User.objects.get(username="camila")
    assert not camila.has_usable_password()
    assert (camila.manager, list(camila.territories.all()), list(camila.sales_teams.all())) == (
        org.gerente_norte, [territory], [team])
    message, = mail.outbox
    assert message.to == ["camila@example.com"] and "invited you to Vínculo" in message.body
    link = re.search(r"https?://testserver(/password-reset/\S+/)", message.body).group(1)
    client = Client()
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    assert client.post(set_url, {"new_password1": "a long new secret 5", "new_password2": "a long new secret 5"}
                       ).status_code == 302
    assert Client().post(reverse("login"), {"username": "camila", "password": "a long new secret 5"}
                         ).status_code == 302
    assert ChangeLog.objects.filter(object_id=camila.pk, action="create", user=boss).exists()


def test_an_invitation_with_a_taken_address_or_username_is_a_field_error(org, boss):
    response = client_for(boss).post(reverse("org:user_invite"), {
        "username": "director", "email": "vendedor.sur@example.com", "language": "es"})
    assert response.status_code == 422
    assert {"username", "email"} <= set(response.context["form"].errors)


def test_an_edit_is_recorded_in_the_users_history(org, boss):
    rep = org.vendedor_norte
    data = {"first_name": rep.first_name, "last_name": rep.last_name, "email": rep.email,
            "role": rep.role.pk, "manager": org.gerente_sur.pk, "language": "es", "is_active": "on"}
    assert client_for(boss).post(reverse("org:user_edit", args=[rep.pk]), data).status_code == 302
    entry = ChangeLog.objects.get(object_id=rep.pk, action="update")
    assert [(c["field"], c["old"], c["new"]) for c in entry.changes] == [
        ("manager", str(org.gerente_norte), str(org.gerente_sur)), ("language", "English", "Spanish")]
    assert entry.user == boss


def test_a_manager_loop_is_refused(org, boss):
    director = org.director
    data = {"first_name": "x", "last_name": "y", "email": director.email, "manager": org.vendedor_norte.pk,
            "language": "en", "is_active": "on"}
    response = client_for(boss).post(reverse("org:user_edit", args=[director.pk]), data)
    assert response.status_code == 422 and "manager" in response.context["form"].errors


def test_deactivating_a_user_signs_them_out_and_keeps_their_records(org, boss):
    rep = org.vendedor_norte
    reps = client_for(rep)
    data = {"first_name": rep.first_name, "last_name": rep.last_name, "email": rep.email,
            "role": rep.role.pk, "manager": org.gerente_norte.pk, "language": "en"}  # is_active unticked
    assert client_for(boss).post(reverse("org:user_edit", args=[rep.pk]), data).status_code == 302
    rep.refresh_from_db()
    assert not rep.is_active
    assert reps.get(reverse("home")).status_code == 302
    assert not UserSession.objects.filter(user=rep).exists()
    assert Account.objects.filter(owner=rep).count() == 1


def test_an_admin_cannot_deactivate_themselves(boss):
    data = {"first_name": "B", "last_name": "C", "email": boss.email, "language": "en"}
    response = client_for(boss).post(reverse("org:user_edit", args=[boss.pk]), data)
    assert response.status_code == 422
    boss.refresh_from_db()
    assert boss.is_active


def test_reassigning_moves_exactly_the_chosen_types(org, boss):
    rep, other = org.vendedor_norte, org.vendedor_norte2
    second = AccountFactory(owner=rep, legal_name="Segunda SpA")
    lead = LeadFactory(owner=rep)
    untouched = AccountFactory(owner=org.vendedor_sur)
    response = client_for(boss).post(reverse("org:user_reassign", args=[rep.pk]),
                                     {"to": other.pk, "kinds": ["account"]})
    assert response.status_code == 302
    assert set(Account.objects.filter(owner=other)) == {org.north_account, second}
    assert Lead.objects.get(pk=lead.pk).owner == rep
    assert Account.objects.get(pk=untouched.pk).owner == org.vendedor_sur
    assert ChangeLog.objects.filter(object_id=second.pk, content_type__model="account", user=boss,
                                    action="update").exists()


def test_reassigning_to_an_inactive_user_or_nothing_is_a_field_error(org, boss):
    gone = UserFactory(username="gone", is_active=False)
    response = client_for(boss).post(reverse("org:user_reassign", args=[org.vendedor_norte.pk]),
                                     {"to": gone.pk, "kinds": []})
    assert response.status_code == 422 and {"to", "kinds"} <= set(response.context["form"].errors)
