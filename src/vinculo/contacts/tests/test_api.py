import pytest

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact, ContactAccountLink
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.tests.api_client import ApiClient, error_fields

pytestmark = pytest.mark.django_db

# who → (sees vendedor.norte's contact, sees vendedor.sur's contact); seeing implies editing here.
MATRIX = {
    "admin": (True, True),
    "director": (True, True),
    "gerente_norte": (True, False),
    "gerente_sur": (False, True),
    "vendedor_norte": (True, False),
    "vendedor_norte2": (False, False),
    "vendedor_sur": (False, True),
}
CASES = [(who, side) for who in MATRIX for side in ("north", "south")]


def expected(who, side) -> bool:
    return MATRIX[who][0 if side == "north" else 1]


@pytest.mark.parametrize("who", MATRIX)
def test_list_shows_exactly_the_contacts_the_user_may_see(org, who):
    response = ApiClient(getattr(org, who)).get("/contacts")
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert (org.north_contact.pk in ids) is expected(who, "north")
    assert (org.south_contact.pk in ids) is expected(who, "south")
    assert response.json()["count"] == len(ids)


@pytest.mark.parametrize(("who", "side"), CASES)
def test_detail_of_a_contact_the_user_may_not_see_is_404_like_a_missing_one(org, who, side):
    api = ApiClient(getattr(org, who))
    contact = getattr(org, f"{side}_contact")
    response = api.get(f"/contacts/{contact.pk}")
    if expected(who, side):
        assert response.status_code == 200
        assert response.json()["last_name"] == contact.last_name
    else:
        missing = api.get("/contacts/999999")
        assert (response.status_code, response.content) == (404, missing.content)


@pytest.mark.parametrize(("who", "side"), CASES)
def test_update_succeeds_only_on_contacts_the_user_may_see(org, who, side):
    contact = getattr(org, f"{side}_contact")
    response = ApiClient(getattr(org, who)).patch(f"/contacts/{contact.pk}", {"title": "CFO", "version": 1})
    contact.refresh_from_db()
    if expected(who, side):
        assert response.status_code == 200
        assert (response.json()["title"], response.json()["version"]) == ("CFO", 2)
        assert contact.title == "CFO"
    else:
        assert response.status_code == 404
        assert contact.title != "CFO"


def test_rep_cannot_delete_other_reps_private_contact(org):
    assert ApiClient(org.vendedor_sur).delete(f"/contacts/{org.north_contact.pk}").status_code == 404
    assert Contact.objects.filter(pk=org.north_contact.pk).exists()


def test_output_names_the_owner_and_the_account(org):
    data = ApiClient(org.vendedor_norte).get(f"/contacts/{org.north_contact.pk}").json()
    assert data["account"] == {"id": org.north_account.pk, "name": str(org.north_account)}
    assert data["owner"] == {"id": org.vendedor_norte.pk, "name": str(org.vendedor_norte)}
    assert data["full_name"] == org.north_contact.full_name


def test_accounts_the_caller_may_not_see_are_not_named(org):
    # vendedor.norte owns this contact, but its main and other accounts belong to vendedor.sur.
    contact = ContactFactory(account=org.south_account, owner=org.vendedor_norte)
    ContactAccountLink.objects.create(contact=contact, account=org.south_account, role="Asesor")
    ContactAccountLink.objects.create(contact=contact, account=org.north_account, role="Comprador")
    data = ApiClient(org.vendedor_norte).get(f"/contacts/{contact.pk}").json()
    assert data["account"] is None
    assert data["other_accounts"] == [{"id": org.north_account.pk, "name": str(org.north_account), "role": "Comprador"}]
    assert ApiClient(org.admin).get(f"/contacts/{contact.pk}").json()["account"]["id"] == org.south_account.pk


def test_create_links_a_visible_account_and_normalises_phones(org):
    response = ApiClient(org.vendedor_norte).post("/contacts", {
        "first_name": "Ana", "last_name": "Rojas", "account": org.north_account.pk, "email": "Ana@Norte.CL",
        "mobile": "9 8765 4321", "executive_level": "c_level", "purchase_role": "decision_maker",
    })
    assert response.status_code == 201
    data = response.json()
    assert (data["email"], data["mobile"], data["mobile_display"]) == ("ana@norte.cl", "+56987654321", "+56 9 8765 4321")
    assert data["account"]["id"] == org.north_account.pk
    assert Contact.objects.get(pk=data["id"]).owner == org.vendedor_norte


@pytest.mark.parametrize(("payload", "field"), [
    ({"last_name": "Rojas", "email": "rojas@"}, "email"),
    ({"last_name": "Rojas", "phone": "12"}, "phone"),
    ({"last_name": "Rojas", "mobile": "abc"}, "mobile"),
    ({"first_name": "Ana"}, "last_name"),
    ({"last_name": ""}, "last_name"),
    ({"last_name": "Rojas", "owner": 99999}, "owner"),
    ({"last_name": "Rojas", "account": 99999}, "account"),
    ({"last_name": "Rojas", "executive_level": "emperor"}, "executive_level"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(org, payload, field):
    before = Contact.all_objects.count()
    response = ApiClient(org.vendedor_norte).post("/contacts", payload)
    assert response.status_code == 422
    assert field in error_fields(response)
    assert Contact.all_objects.count() == before


def test_account_the_caller_may_not_see_is_refused_like_a_missing_one(org):
    api = ApiClient(org.vendedor_norte)
    response = api.post("/contacts", {"last_name": "Rojas", "account": org.south_account.pk})
    assert response.status_code == 422
    assert error_fields(response) == {"account"}
    moved = api.patch(f"/contacts/{org.north_contact.pk}", {"account": org.south_account.pk, "version": 1})
    assert moved.status_code == 422
    org.north_contact.refresh_from_db()
    assert org.north_contact.account == org.north_account


def test_stale_version_is_refused_with_409_and_the_first_edit_survives(org):
    path = f"/contacts/{org.north_contact.pk}"
    assert ApiClient(org.vendedor_norte).patch(path, {"title": "Primera", "version": 1}).status_code == 200
    second = ApiClient(org.gerente_norte).patch(path, {"title": "Segunda", "version": 1})
    assert second.status_code == 409
    assert second.json()["detail"]
    org.north_contact.refresh_from_db()
    assert org.north_contact.title == "Primera"


def test_deleted_contact_answers_404_and_leaves_the_list(org):
    api = ApiClient(org.vendedor_norte)
    path = f"/contacts/{org.north_contact.pk}"
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    assert api.get("/contacts").json()["count"] == 0


def test_quick_search_and_filters(org):
    other = ContactFactory(account=AccountFactory(owner=org.vendedor_norte), last_name="Zúñiga",
                           executive_level=Contact.ExecutiveLevel.VP, purchase_role=Contact.PurchaseRole.INFLUENCER)
    api = ApiClient(org.director)

    def ids(**params):
        return {item["id"] for item in api.get("/contacts", **params).json()["items"]}

    assert ids(q="zuniga") == {other.pk}
    assert ids(q="araya norte") == {org.north_contact.pk}
    assert ids(account=org.south_account.pk) == {org.south_contact.pk}
    assert ids(owner=org.vendedor_sur.pk) == {org.south_contact.pk}
    assert ids(email="ARAYA@norte.cl") == {org.north_contact.pk}
    assert ids(executive_level="vp") == ids(purchase_role="influencer") == {other.pk}
    assert ApiClient(org.vendedor_sur).get("/contacts", q="zuniga").json()["count"] == 0


def test_list_pages_and_orders(org):
    ContactFactory.create_batch(11, account=org.north_account)
    api = ApiClient(org.vendedor_norte)
    page = api.get("/contacts", limit=5, offset=10, ordering="-last_name,first_name").json()
    assert (page["count"], len(page["items"])) == (12, 2)
    names = [item["last_name"] for item in api.get("/contacts", ordering="-last_name").json()["items"]]
    assert names == sorted(names, reverse=True)


@pytest.mark.parametrize("rows", [10, 200])
def test_list_runs_a_bounded_number_of_queries(org, rows, django_assert_max_num_queries):
    contacts = ContactFactory.create_batch(rows, account=org.north_account)
    ContactAccountLink.objects.bulk_create(
        ContactAccountLink(contact=contact, account=org.south_account) for contact in contacts
    )
    api = ApiClient(org.director)
    # 7: one of them reads the versions of the tables the count reads (core.versioned).
    with django_assert_max_num_queries(7):
        response = api.get("/contacts", limit=200)
    assert response.json()["count"] == rows + 2
    assert len(response.json()["items"]) == min(rows + 2, 200)
