"""The account team and the account's addresses, changed from the account page and the API.

The rules, as users read them:
- membership grants the account and its records, so only the account's owner, the users above the owner in
  the role hierarchy and administrators may add or remove members; a team member (even with edit access) and
  anyone else who can see the account may not (403), and those who cannot see it get 404;
- an address may be added or removed by whoever may edit the account;
- every addition and removal is in the account's history; the access a membership grants comes and goes with it.

Standing users (conftest `org`): north_account belongs to vendedor.norte (Rep North), below gerente.norte and
the director; vendedor.norte2 is a colleague of the same role, vendedor.sur is in the other zone.
"""

import pytest
from django.urls import reverse

from vinculo.accounts.models import AccountTeamMember, Address
from vinculo.core.search import search
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.customer360.tests.factories import ContractFactory
from vinculo.org.tests.factories import UserFactory

from ..models import Account
from .factories import AccountTeamMemberFactory, AddressFactory

pytestmark = pytest.mark.django_db

CHILEAN = {"kind": "billing", "street": "Avenida Grecia 1234", "municipality": "Antofagasta",
           "province": "Antofagasta", "region": "Antofagasta", "country": "CL"}


def history_labels(account):
    return [change["label"] for entry in account.history() for change in entry.changes]


def team_ids(account):
    return set(account.team.values_list("user_id", flat=True))


# ---------- Who may change the team ----------

# user → (status of the API's POST, of its DELETE); vendedor.norte2 is on the team with edit access.
TEAM_MATRIX = {
    "vendedor_norte": (201, 204),  # the owner
    "gerente_norte": (201, 204),  # the owner's manager
    "director": (201, 204),  # above the manager
    "admin": (201, 204),
    "vendedor_norte2": (403, 403),  # on the team, may edit the account, but not grant it
    "vendedor_sur": (404, 404),  # cannot see the account
}


@pytest.fixture
def teammate(org):
    return AccountTeamMemberFactory(account=org.north_account, user=org.vendedor_norte2,
                                    access=AccountTeamMember.Access.EDIT)


@pytest.mark.parametrize("who", TEAM_MATRIX)
def test_api_team_changes_follow_the_owner_line(org, teammate, who):
    account, newcomer = org.north_account, UserFactory(username="nuevo")
    added, removed = TEAM_MATRIX[who]
    api = ApiClient(getattr(org, who))
    response = api.post(f"/accounts/{account.pk}/team", {"user": newcomer.pk, "role": "presales"})
    assert response.status_code == added
    assert (newcomer.pk in team_ids(account)) is (added == 201)
    member = AccountTeamMemberFactory(account=account, user=UserFactory(username="otro"))
    assert api.delete(f"/accounts/{account.pk}/team/{member.pk}").status_code == removed
    assert AccountTeamMember.objects.filter(pk=member.pk).exists() is (removed != 204)


@pytest.mark.parametrize("who", TEAM_MATRIX)
def test_page_team_changes_follow_the_owner_line(client, org, teammate, who):
    account, newcomer = org.north_account, UserFactory(username="nuevo")
    added, removed = TEAM_MATRIX[who]
    client.force_login(getattr(org, who))
    response = client.post(reverse("accounts:team_add", args=[account.pk]),
                           {"team-user": newcomer.pk, "team-role": "presales", "team-access": "read"})
    assert response.status_code == {201: 302, 403: 403, 404: 404}[added]
    assert (newcomer.pk in team_ids(account)) is (added == 201)
    member = AccountTeamMemberFactory(account=account, user=UserFactory(username="otro"))
    response = client.post(reverse("accounts:team_remove", args=[account.pk, member.pk]))
    assert response.status_code == {204: 302, 403: 403, 404: 404}[removed]


@pytest.mark.parametrize("who, form_shown", [
    ("vendedor_norte", True), ("gerente_norte", True), ("admin", True), ("vendedor_norte2", False),
])
def test_only_the_owner_line_sees_the_team_form_and_remove_buttons(client, org, teammate, who, form_shown):
    client.force_login(getattr(org, who))
    html = client.get(org.north_account.get_absolute_url()).content.decode()
    assert str(org.vendedor_norte2) in html
    assert (reverse("accounts:team_add", args=[org.north_account.pk]) in html) is form_shown
    assert (reverse("accounts:team_remove", args=[org.north_account.pk, teammate.pk]) in html) is form_shown


def test_api_lists_the_team_to_whoever_sees_the_account_and_404_to_others(org, teammate):
    body = ApiClient(org.vendedor_norte2).get(f"/accounts/{org.north_account.pk}/team").json()
    assert body["count"] == 1
    assert body["items"] == [{"id": teammate.pk, "user": {"id": org.vendedor_norte2.pk, "name": str(org.vendedor_norte2)},
                              "role": "sales_rep", "access": "edit"}]
    assert ApiClient(org.vendedor_sur).get(f"/accounts/{org.north_account.pk}/team").status_code == 404


def test_team_choices_are_active_users_and_a_member_twice_is_a_conflict(client, org, teammate):
    gone = UserFactory(username="ex.vendedor", is_active=False)
    client.force_login(org.vendedor_norte)
    # The form comes on demand (the page shows a button that fetches it).
    form = client.get(reverse("accounts:team_add", args=[org.north_account.pk]),
                      headers={"HX-Request": "true"}).context["team_form"]
    choices = set(form.fields["user"].queryset.values_list("pk", flat=True))
    assert org.vendedor_sur.pk in choices and gone.pk not in choices
    api = ApiClient(org.vendedor_norte)
    refused = api.post(f"/accounts/{org.north_account.pk}/team", {"user": gone.pk})
    assert refused.status_code == 422 and error_fields(refused) == {"user"}
    assert api.post(f"/accounts/{org.north_account.pk}/team", {"user": 999999}).status_code == 422
    assert api.post(f"/accounts/{org.north_account.pk}/team", {"user": org.vendedor_norte2.pk}).status_code == 409
    assert api.post(f"/accounts/{org.north_account.pk}/team", {"user": org.vendedor_sur.pk,
                                                              "role": "boss"}).status_code == 422
    response = client.post(reverse("accounts:team_add", args=[org.north_account.pk]),
                           {"team-user": org.vendedor_norte2.pk, "team-role": "presales", "team-access": "read"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "is already on this account&#x27;s team" in response.content.decode()
    assert AccountTeamMember.objects.filter(account=org.north_account).count() == 1


def test_team_changes_are_in_the_account_history(client, org):
    account = org.north_account
    api = ApiClient(org.vendedor_norte)
    member = api.post(f"/accounts/{account.pk}/team", {"user": org.vendedor_sur.pk, "role": "presales",
                                                       "access": "edit"}).json()
    entry = account.history().first()
    assert entry.user == org.vendedor_norte
    assert entry.changes[0]["label"] == "Team member added"
    assert entry.changes[0]["new"] == f"{org.vendedor_sur} — Pre-sales engineer · Read and edit"
    assert api.delete(f"/accounts/{account.pk}/team/{member['id']}").status_code == 204
    entry = account.history().first()
    assert (entry.changes[0]["label"], entry.changes[0]["old"]) == (
        "Team member removed", f"{org.vendedor_sur} — Pre-sales engineer · Read and edit")
    client.force_login(org.vendedor_norte)
    html = client.get(account.get_absolute_url()).content.decode()
    assert "Team member added" in html and "Team member removed" in html


def test_the_access_a_membership_grants_comes_and_goes_with_it(client, org):
    account, rep = org.north_account, org.vendedor_sur
    contract = ContractFactory(account=account, number="CT-EQUIPO")
    rep_api = ApiClient(rep)
    client.force_login(rep)

    def sees() -> dict:
        return {
            "page": client.get(account.get_absolute_url()).status_code == 200,
            "contract page": client.get(contract.get_absolute_url()).status_code == 200,
            "contact page": client.get(org.north_contact.get_absolute_url()).status_code == 200,
            "api": rep_api.get(f"/accounts/{account.pk}").status_code == 200,
            "api contract": rep_api.get(f"/contracts/{contract.pk}").status_code == 200,
            "api contact": rep_api.get(f"/contacts/{org.north_contact.pk}").status_code == 200,
            "search": search(Account, rep, "Minera Norte").exists(),
            "list": account.pk in {item["id"] for item in rep_api.get("/accounts").json()["items"]},
        }

    assert not any(sees().values()), sees()
    owner_api = ApiClient(org.vendedor_norte)
    member = owner_api.post(f"/accounts/{account.pk}/team", {"user": rep.pk}).json()
    assert all(sees().values()), sees()
    assert rep.pk in set(Account.policy.users_who_may_see(account).values_list("pk", flat=True))
    # Read access: the account is not theirs to change.
    assert rep_api.patch(f"/accounts/{account.pk}", {"description": "x", "version": account.version}).status_code == 403
    owner_api.delete(f"/accounts/{account.pk}/team/{member['id']}")
    assert not any(sees().values()), sees()
    assert rep.pk not in set(Account.policy.users_who_may_see(account).values_list("pk", flat=True))


def test_htmx_team_add_answers_the_section_with_the_new_member(client, org):
    client.force_login(org.gerente_norte)
    response = client.post(reverse("accounts:team_add", args=[org.north_account.pk]),
                           {"team-user": org.vendedor_norte2.pk, "team-role": "support", "team-access": "read"},
                           headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="team"' in html and str(org.vendedor_norte2) in html and "Technical support" in html
    assert "<html" not in html


# ---------- Addresses: whoever may edit the account ----------

# user → status of the API's POST and DELETE; vendedor.norte2 is on the team with read access only.
ADDRESS_MATRIX = {
    "vendedor_norte": (201, 204),
    "gerente_norte": (201, 204),
    "admin": (201, 204),
    "vendedor_norte2": (403, 403),
    "vendedor_sur": (404, 404),
}


@pytest.mark.parametrize("who", ADDRESS_MATRIX)
def test_api_address_changes_follow_the_account_editors(org, who):
    account = org.north_account
    AccountTeamMemberFactory(account=account, user=org.vendedor_norte2, access=AccountTeamMember.Access.READ)
    added, removed = ADDRESS_MATRIX[who]
    api = ApiClient(getattr(org, who))
    assert api.post(f"/accounts/{account.pk}/addresses", CHILEAN).status_code == added
    address = AddressFactory(account=account)
    assert api.delete(f"/accounts/{account.pk}/addresses/{address.pk}").status_code == removed
    address.refresh_from_db()
    assert (address.deleted_at is not None) is (removed == 204)


@pytest.mark.parametrize("who", ADDRESS_MATRIX)
def test_page_address_changes_follow_the_account_editors(client, org, who):
    account = org.north_account
    AccountTeamMemberFactory(account=account, user=org.vendedor_norte2, access=AccountTeamMember.Access.READ)
    added, removed = ADDRESS_MATRIX[who]
    client.force_login(getattr(org, who))
    response = client.post(reverse("accounts:address_add", args=[account.pk]),
                           {f"address-{name}": value for name, value in CHILEAN.items()})
    assert response.status_code == {201: 302, 403: 403, 404: 404}[added]
    assert Address.objects.filter(account=account, street="Avenida Grecia 1234").exists() is (added == 201)
    address = AddressFactory(account=account)
    response = client.post(reverse("accounts:address_remove", args=[account.pk, address.pk]))
    assert response.status_code == {204: 302, 403: 403, 404: 404}[removed]


def test_addresses_need_what_each_country_asks_for(org):
    api = ApiClient(org.vendedor_norte)
    url = f"/accounts/{org.north_account.pk}/addresses"
    refused = api.post(url, {"street": "Avenida Grecia 1234", "country": "CL"})
    assert refused.status_code == 422 and error_fields(refused) == {"municipality", "region"}
    refused = api.post(url, {"street": "Calle Mayor 1", "municipality": "Madrid", "country": "ES"})
    assert refused.status_code == 422 and error_fields(refused) == {"province", "postal_code"}
    refused = api.post(url, {"street": "Calle Mayor 1", "municipality": "Madrid", "province": "Madrid",
                             "postal_code": "53001", "country": "ES"})
    assert refused.status_code == 422 and error_fields(refused) == {"postal_code"}
    assert api.post(url, {"street": "x", "country": "XX"}).status_code == 422
    spanish = api.post(url, {"kind": "shipping", "street": "Calle Mayor 1", "municipality": "Alcalá de Henares",
                             "province": "Madrid", "region": "Comunidad de Madrid", "postal_code": "28801",
                             "country": "es"})
    assert spanish.status_code == 201
    assert spanish.json()["text"] == "Calle Mayor 1, 28801 Alcalá de Henares, Madrid, Comunidad de Madrid, ES"
    chilean = api.post(url, CHILEAN).json()
    assert chilean["text"] == "Avenida Grecia 1234, Antofagasta, Antofagasta, Antofagasta, CL"
    listed = api.get(url).json()
    assert listed["count"] == 2 and [item["kind"] for item in listed["items"]] == ["billing", "shipping"]


def test_a_refused_address_on_the_page_names_the_fields(client, org):
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("accounts:address_add", args=[org.north_account.pk]),
                           {"address-kind": "billing", "address-street": "Avenida Grecia 1234",
                            "address-country": "CL"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    form = response.context["address_form"]
    assert set(form.errors) == {"municipality", "region"}
    assert not Address.objects.filter(account=org.north_account).exists()


def test_address_changes_are_in_the_account_history_and_removed_ones_in_the_recycle_bin(client, org):
    account = org.north_account
    api = ApiClient(org.vendedor_norte)
    address = api.post(f"/accounts/{account.pk}/addresses", CHILEAN).json()
    assert history_labels(account)[0] == "Address added"
    assert account.history().first().changes[0]["new"] == f"Billing: {address['text']}"
    api.delete(f"/accounts/{account.pk}/addresses/{address['id']}")
    assert history_labels(account)[0] == "Address removed"
    assert api.get(f"/accounts/{account.pk}/addresses").json()["count"] == 0
    client.force_login(org.vendedor_norte)
    assert "Avenida Grecia 1234" in client.get(reverse("core:recycle_bin")).content.decode()
    client.post(reverse("core:restore", args=["address", address["id"]]))
    assert api.get(f"/accounts/{account.pk}/addresses").json()["count"] == 1


def test_the_account_page_shows_the_sections_within_its_query_budget(client, org, django_assert_max_num_queries):
    from .test_account_page import MAX_PAGE_QUERIES

    account = org.north_account
    for n in range(5):
        AddressFactory(account=account, street=f"Calle {n}")
        AccountTeamMemberFactory(account=account)
    client.force_login(org.vendedor_norte)
    with django_assert_max_num_queries(MAX_PAGE_QUERIES):
        html = client.get(account.get_absolute_url()).content.decode()
    assert "Calle 4" in html and 'id="team"' in html and "Add an address" in html


# ---------- The sections' forms, fetched when asked for ----------
# The page shows a button; htmx fetches the form into place, and a browser without scripts follows the
# button's link to a page showing the form. Only those who may make the change get it.

FORM_MATRIX = {  # user → status of GET team form, GET address form; vendedor.norte2 reads (team member, read access)
    "vendedor_norte": (200, 200),
    "gerente_norte": (200, 200),
    "admin": (200, 200),
    "vendedor_norte2": (403, 403),
    "vendedor_sur": (404, 404),
}


@pytest.mark.parametrize("who", FORM_MATRIX)
@pytest.mark.parametrize("htmx", [True, False])
def test_only_those_who_may_make_the_change_get_the_sections_forms(client, org, who, htmx):
    AccountTeamMemberFactory(account=org.north_account, user=org.vendedor_norte2, access=AccountTeamMember.Access.READ)
    client.force_login(getattr(org, who))
    headers = {"HX-Request": "true"} if htmx else {}
    for url, status in zip((reverse("accounts:team_add", args=[org.north_account.pk]),
                            reverse("accounts:address_add", args=[org.north_account.pk])), FORM_MATRIX[who], strict=True):
        response = client.get(url, headers=headers)
        assert response.status_code == status, url
        if status == 200:
            assert f'action="{url}"' in response.content.decode()


def test_the_page_offers_buttons_that_fetch_the_forms_instead_of_the_forms(client, org):
    account = org.north_account
    client.force_login(org.vendedor_norte)
    response = client.get(account.get_absolute_url())
    html = response.content.decode()
    for name in ("team_add", "address_add"):
        url = reverse(f"accounts:{name}", args=[account.pk])
        assert f'href="{url}" hx-get="{url}"' in html
    assert 'name="team-user"' not in html and 'name="address-street"' not in html
    assert response.context["team_form"] is None and response.context["address_form"] is None


def test_a_reader_gets_no_add_buttons(client, org):
    AccountTeamMemberFactory(account=org.north_account, user=org.vendedor_norte2, access=AccountTeamMember.Access.READ)
    client.force_login(org.vendedor_norte2)
    html = client.get(org.north_account.get_absolute_url()).content.decode()
    assert reverse("accounts:team_add", args=[org.north_account.pk]) not in html
    assert reverse("accounts:address_add", args=[org.north_account.pk]) not in html


def test_the_fetched_form_posts_in_place_and_the_section_comes_back_with_the_button(client, org):
    account = org.north_account
    url = reverse("accounts:address_add", args=[account.pk])
    client.force_login(org.vendedor_norte)
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert f'hx-post="{url}" hx-target="#addresses"' in fragment and 'name="address-street"' in fragment
    response = client.post(url, {f"address-{name}": value for name, value in CHILEAN.items()},
                           headers={"HX-Request": "true"})
    section = response.content.decode()
    assert 'id="addresses"' in section and "Avenida Grecia 1234" in section
    assert f'hx-get="{url}"' in section and 'name="address-street"' not in section


def test_without_scripts_the_form_is_a_page_of_its_own_and_a_refusal_comes_back_to_it(client, org):
    account = org.north_account
    url = reverse("accounts:team_add", args=[account.pk])
    client.force_login(org.gerente_norte)
    page = client.get(url).content.decode()
    assert "<html" in page and 'name="team-user"' in page and "hx-post" not in page
    assert f'href="{account.get_absolute_url()}#team"' in page  # cancel
    refused = client.post(url, {"team-user": "", "team-role": "presales", "team-access": "read"})
    assert refused.status_code == 200
    assert "<html" in refused.content.decode() and set(refused.context["team_form"].errors) == {"user"}
    assert not AccountTeamMember.objects.filter(account=account).exists()
    added = client.post(url, {"team-user": org.vendedor_norte2.pk, "team-role": "presales", "team-access": "read"})
    assert added.status_code == 302 and added["Location"] == f"{account.get_absolute_url()}#team"
    assert team_ids(account) == {org.vendedor_norte2.pk}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_editor_adds_an_address_through_the_form_fetched_in_place(browser_page, org):
    from playwright.sync_api import expect

    page, account = browser_page, org.north_account
    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    page.goto(account.get_absolute_url())
    page.evaluate("window.notReloaded = true")
    assert page.locator("#id_address-street").count() == 0
    page.locator("#addresses-add a").click()
    expect(page.locator("#id_address-street")).to_be_visible()
    page.fill("#id_address-street", "Avenida Grecia 1234")
    page.fill("#id_address-municipality", "Antofagasta")
    page.fill("#id_address-region", "Antofagasta")
    page.locator("#addresses button[type=submit]").click()
    expect(page.locator("#addresses .address")).to_contain_text("Avenida Grecia 1234")
    expect(page.locator("#addresses-add a")).to_be_visible()  # the button again, for another
    assert page.evaluate("window.notReloaded") is True
    assert Address.objects.filter(account=account, street="Avenida Grecia 1234").exists()
