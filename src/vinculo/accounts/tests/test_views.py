import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.accounts.forms import AccountForm
from vinculo.accounts.models import Account, AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory, AddressFactory
from vinculo.contacts.models import ContactAccountLink
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.services import update_record

pytestmark = pytest.mark.django_db

# who → (sees north account, sees south account); the same matrix as core/tests/test_access.py.
VISIBLE = {
    "admin": (True, True),
    "director": (True, True),
    "gerente_norte": (True, False),
    "gerente_sur": (False, True),
    "vendedor_norte": (True, False),
    "vendedor_norte2": (False, False),
    "vendedor_sur": (False, True),
}


def form_data(account, user, **changes):
    """What the edit form posts when the user changes nothing but `changes`."""
    form = AccountForm(instance=account, user=user)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = value
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def queries_for(client, url):
    cache.clear()  # count the org-default lookup too, as on a cold worker
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", VISIBLE)
def test_account_list_shows_exactly_the_accounts_the_user_may_see(client, org, who):
    client.force_login(getattr(org, who))
    html = client.get(reverse("accounts:list")).content.decode()
    sees_north, sees_south = VISIBLE[who]
    assert (org.north_account.legal_name in html) is sees_north
    assert (org.south_account.legal_name in html) is sees_south


@pytest.mark.parametrize("who", VISIBLE)
def test_account_page_is_404_for_users_who_may_not_see_it(client, org, who):
    client.force_login(getattr(org, who))
    sees_north, sees_south = VISIBLE[who]
    north = client.get(reverse("accounts:detail", args=[org.north_account.pk]))
    south = client.get(reverse("accounts:detail", args=[org.south_account.pk]))
    assert north.status_code == (200 if sees_north else 404)
    assert south.status_code == (200 if sees_south else 404)


def test_rep_cannot_open_other_reps_private_account_nor_its_edit_form(client, org):
    client.force_login(org.vendedor_sur)
    pk = org.north_account.pk
    assert client.get(reverse("accounts:detail", args=[pk])).status_code == 404
    assert client.get(reverse("accounts:edit", args=[pk])).status_code == 404
    assert client.post(reverse("accounts:delete", args=[pk])).status_code == 404
    assert client.get(reverse("accounts:contacts", args=[pk])).status_code == 404
    assert Account.objects.filter(pk=pk).exists()


def test_missing_account_is_404_like_an_invisible_one(client, org):
    client.force_login(org.vendedor_sur)
    assert client.get(reverse("accounts:detail", args=[999_999])).status_code == 404


@pytest.mark.parametrize("who, shown", [("admin", True), ("finance", True), ("vendedor_norte", False),
                                        ("gerente_norte", False), ("director", False)])
def test_financial_fields_are_absent_without_the_permission(client, org, who, shown):
    client.force_login(getattr(org, who))
    html = client.get(reverse("accounts:detail", args=[org.north_account.pk])).content.decode()
    assert ("Banco de Chile 123" in html) is shown
    assert ("bank details" in html.lower()) is shown


def test_financial_fields_are_not_in_the_edit_form_without_the_permission(client, org):
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("accounts:edit", args=[org.north_account.pk])).content.decode()
    assert "Banco de Chile 123" not in html
    assert 'name="bank_details"' not in html


def test_saving_without_the_permission_keeps_the_financial_fields(client, org):
    client.force_login(org.vendedor_norte)
    account = org.north_account
    data = form_data(account, org.vendedor_norte, trade_name="Norte Grande", bank_details="hacked")
    response = client.post(reverse("accounts:edit", args=[account.pk]), data)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.trade_name == "Norte Grande"
    assert account.bank_details == "Banco de Chile 123"


def test_financial_changes_are_hidden_from_the_history_without_the_permission(client, org):
    account = Account.objects.get(pk=org.north_account.pk)
    account.bank_details = "Banco Estado 999"
    update_record(account, by=org.admin, expected_version=account.version)
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "Banco Estado 999" not in html
    assert "Banco de Chile 123" not in html
    client.force_login(org.admin)
    assert "Banco Estado 999" in client.get(reverse("accounts:detail", args=[account.pk])).content.decode()


# The financial group as the product defines it, written out (field → its label): a field dropped from the
# code's group would reach users without the permission through the history or the edit form.
FINANCIAL = {
    "credit_behaviour": "credit behaviour", "commercial_reports": "commercial reports",
    "credit_bureau_status": "credit bureau status", "risk_analysis": "risk analysis", "bank_details": "bank details",
    "other_suppliers": "other suppliers", "credit_grade": "credit grade",
}
SECRET = {
    "credit_behaviour": "Paga siempre a 120 días", "commercial_reports": "Informe comercial con protestos",
    "credit_bureau_status": "flagged", "risk_analysis": "Riesgo alto por concentración",
    "bank_details": "Banco Estado 999", "other_suppliers": "Compra también a Finning", "credit_grade": "E",
}


@pytest.mark.parametrize("field", FINANCIAL)
def test_each_financial_field_and_its_changes_are_shown_only_with_the_permission(client, org, field):
    account = Account.objects.get(pk=org.north_account.pk)
    setattr(account, field, SECRET[field])
    account.trade_name = "Norte Grande Visible"
    update_record(account, by=org.admin, expected_version=account.version)
    detail, edit = reverse("accounts:detail", args=[account.pk]), reverse("accounts:edit", args=[account.pk])

    client.force_login(org.vendedor_norte)
    page = client.get(detail).content.decode().lower()
    form = client.get(edit).content.decode()
    assert "norte grande visible" in page  # the visible side of the same change
    assert FINANCIAL[field] not in page
    if len(SECRET[field]) > 1:  # a one-letter grade is found in any page
        assert SECRET[field].lower() not in page
    assert f'name="{field}"' not in form and 'name="trade_name"' in form

    client.force_login(org.finance)
    page = client.get(detail).content.decode().lower()
    assert FINANCIAL[field] in page
    assert f'name="{field}"' in client.get(edit).content.decode()


def test_read_only_team_member_sees_no_edit_button_and_cannot_post_edits(client, org):
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur)
    client.force_login(org.vendedor_sur)
    url = reverse("accounts:detail", args=[org.north_account.pk])
    html = client.get(url).content.decode()
    assert org.north_account.legal_name in html
    assert reverse("accounts:edit", args=[org.north_account.pk]) not in html
    assert reverse("accounts:delete", args=[org.north_account.pk]) not in html
    data = form_data(org.north_account, org.vendedor_sur, trade_name="Changed by a reader")
    assert client.post(reverse("accounts:edit", args=[org.north_account.pk]), data).status_code == 403
    assert client.post(reverse("accounts:delete", args=[org.north_account.pk])).status_code == 403
    org.north_account.refresh_from_db()
    assert org.north_account.trade_name == ""
    assert org.north_account.deleted_at is None


def test_owner_sees_edit_and_delete_buttons(client, org):
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("accounts:detail", args=[org.north_account.pk])).content.decode()
    assert reverse("accounts:edit", args=[org.north_account.pk]) in html
    assert reverse("accounts:delete", args=[org.north_account.pk]) in html


def test_account_page_shows_its_field_groups_contacts_and_team(client, org):
    account = org.north_account
    AddressFactory(account=account, street="Avenida Grecia 1234", city="Antofagasta")
    AccountTeamMember.objects.create(account=account, user=org.vendedor_norte2,
                                     role=AccountTeamMember.Role.PRESALES)
    child = AccountFactory(owner=org.vendedor_norte, legal_name="Filial Calama SpA", parent=account)
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    for text in ("Responsibility", "Identification", "Classification", "How it buys", "Commercial terms",
                 "Sales information", "Avenida Grecia 1234", str(org.vendedor_norte2), child.legal_name,
                 org.north_contact.last_name, account.tax_id_display):
        assert text in html, text
    assert "Financial information" not in html


def test_parent_account_is_named_only_if_the_viewer_may_see_it(client, org):
    account = org.north_account
    account.parent = org.south_account
    account.save()
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert account.legal_name in html and org.south_account.legal_name not in html
    client.force_login(org.director)  # sees both accounts
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert org.south_account.legal_name in html and org.south_account.get_absolute_url() in html


def test_contacts_related_list_pages_through_an_htmx_fragment(client, org):
    account = org.north_account
    for n in range(12):
        ContactFactory(account=account, last_name=f"Zapata {n:02d}")
    linked = ContactFactory(account=org.south_account, owner=org.vendedor_norte, last_name="Enlazado")
    ContactAccountLink.objects.create(contact=linked, account=account)
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "(14)" in page
    assert f"{reverse('contacts:list')}?account={account.pk}" in page
    fragment = client.get(reverse("accounts:contacts", args=[account.pk]) + "?page=2", HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "<html" not in html
    assert 'id="contacts"' in html
    assert "Zapata 11" in html
    assert "Araya" not in html  # on page 1


def test_create_account_stores_it_with_the_user_as_creator(client, org):
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("accounts:create"), {
        "owner": org.vendedor_norte.pk, "legal_name": "Nueva Minera SpA", "country": "CL",
        "tax_id": "76.086.428-5", "account_type": "prospect", "currency": "CLP", "relationship_status": "new",
        "purchase_methods": ["b2b_portal", "public_tender"], "phone": "+56 2 2345 6789",
    })
    account = Account.objects.get(legal_name="Nueva Minera SpA")
    assert response.status_code == 302 and response["Location"] == account.get_absolute_url()
    assert account.tax_id == "760864285"
    assert account.phone == "+56223456789"
    assert account.purchase_methods == ["b2b_portal", "public_tender"]
    assert account.created_by == org.vendedor_norte
    assert account.history().first().action == "create"


@pytest.mark.parametrize("changes, field, message", [
    ({"tax_id": "76.086.428-4"}, "tax_id", "not a valid Chilean RUT"),
    ({"country": "ES", "tax_id": "B12345678"}, "tax_id", "not a valid Spanish NIF"),
    ({"email": "ventas(at)minera"}, "email", "valid email"),
    ({"phone": "12"}, "phone", "phone number"),
    ({"legal_name": ""}, "legal_name", "required"),
    ({"owner": "999999"}, "owner", "valid choice"),
    ({"parent": "999999"}, "parent", "valid choice"),
    ({"discount_level": "150"}, "discount_level", "between 0 and 100"),
])
def test_bad_input_on_the_create_form_names_the_field_and_stores_nothing(client, org, changes, field, message):
    client.force_login(org.vendedor_norte)
    data = {"owner": org.vendedor_norte.pk, "legal_name": "Mala SpA", "country": "CL", "account_type": "prospect",
            "currency": "CLP", "relationship_status": "new", **changes}
    before = Account.all_objects.count()
    response = client.post(reverse("accounts:create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in " ".join(response.context["form"].errors[field])
    html = response.content.decode()
    assert "error-summary" in html and f'id="id_{field}_error"' in html
    assert Account.all_objects.count() == before


def test_parent_chooser_rejects_an_account_the_user_may_not_see(client, org):
    client.force_login(org.vendedor_norte)
    data = form_data(org.north_account, org.vendedor_norte, parent=str(org.south_account.pk))
    response = client.post(reverse("accounts:edit", args=[org.north_account.pk]), data)
    assert "parent" in response.context["form"].errors
    org.north_account.refresh_from_db()
    assert org.north_account.parent_id is None


def test_autocomplete_offers_only_visible_accounts(client, org):
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("accounts:autocomplete"), {"q": "SpA"}).content.decode()
    assert org.north_account.legal_name in html
    assert org.south_account.legal_name not in html


def test_second_edit_with_a_stale_version_is_refused_and_the_first_survives(client, org):
    url = reverse("accounts:edit", args=[org.north_account.pk])
    client.force_login(org.vendedor_norte)
    first = form_data(org.north_account, org.vendedor_norte, trade_name="Primera")
    second = form_data(org.north_account, org.gerente_norte, trade_name="Segunda")
    assert client.get(url).status_code == 200

    assert client.post(url, first).status_code == 302
    client.force_login(org.gerente_norte)
    response = client.post(url, second)

    assert response.status_code == 200
    assert response.context["form"].conflict
    html = response.content.decode()
    assert "changed this record while you were editing it" in html
    account = Account.objects.get(pk=org.north_account.pk)
    assert account.trade_name == "Primera"
    assert account.version == 2


def test_edit_shows_in_the_history_with_old_and_new_values(client, org):
    client.force_login(org.vendedor_norte)
    account = org.north_account
    data = form_data(account, org.vendedor_norte, legal_name="Minera Norte Chico SpA")
    client.post(reverse("accounts:edit", args=[account.pk]), data)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    history = html[html.index('id="history"'):]
    assert "<del>Minera Norte Grande SpA</del>" in history
    assert "<ins>Minera Norte Chico SpA</ins>" in history
    assert str(org.vendedor_norte) in history


def test_delete_moves_the_account_to_the_recycle_bin(client, org):
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("accounts:delete", args=[org.north_account.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:list")
    assert "Open the recycle bin" in response.content.decode()
    assert not Account.objects.filter(pk=org.north_account.pk).exists()
    assert Account.all_objects.get(pk=org.north_account.pk).deleted_by == org.vendedor_norte


def test_delete_needs_post(client, org):
    client.force_login(org.vendedor_norte)
    assert client.get(reverse("accounts:delete", args=[org.north_account.pk])).status_code == 405


def test_list_filters_sorts_and_searches(client, org):
    AccountFactory(owner=org.vendedor_norte, legal_name="Alfa Prospecto SpA", account_type="prospect")
    AccountFactory(owner=org.vendedor_norte, legal_name="Zeta Cliente SpA", account_type="customer")
    client.force_login(org.vendedor_norte)
    url = reverse("accounts:list")

    prospects = client.get(url, {"account_type": "prospect"}).content.decode()
    assert "Alfa Prospecto" in prospects and "Zeta Cliente" not in prospects

    descending = client.get(url, {"sort": "-name"}).content.decode()
    assert descending.index("Zeta Cliente") < descending.index("Alfa Prospecto")
    ascending = client.get(url, {"sort": "name"}).content.decode()
    assert ascending.index("Alfa Prospecto") < ascending.index("Zeta Cliente")

    found = client.get(url, {"q": "zeta"}).content.decode()
    assert "Zeta Cliente" in found and "Alfa Prospecto" not in found


def test_unknown_sort_and_bad_filters_fall_back_instead_of_failing(client, org):
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("accounts:list"), {"sort": "bank_details", "owner": "abc", "page": "99"})
    assert response.status_code == 200
    assert org.north_account.legal_name in response.content.decode()


def test_list_is_paginated(client, org):
    AccountFactory.create_batch(30, owner=org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    first = client.get(reverse("accounts:list"))
    assert len(first.context["object_list"]) == 25
    second = client.get(reverse("accounts:list"), {"page": 2})
    assert len(second.context["object_list"]) == 6


def test_htmx_list_request_gets_only_the_table_fragment(client, org):
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("accounts:list"), {"sort": "-name"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<div id="account-results"')
    assert org.north_account.legal_name in html


def test_column_choice_is_remembered_per_user(client, org):
    client.force_login(org.vendedor_norte)
    url = reverse("accounts:list")
    response = client.post(url + "?sort=-name", {"columns": ["name", "industry", "email"]})
    assert response.status_code == 302 and response["Location"] == url + "?sort=-name"
    org.vendedor_norte.refresh_from_db()
    assert org.vendedor_norte.list_preferences["accounts"]["columns"] == ["name", "industry", "email"]
    page = client.get(url)
    assert page.context["shown"] == {"name", "industry", "email"}
    # Another user keeps the defaults.
    client.force_login(org.gerente_norte)
    assert "owner" in client.get(url).context["shown"]


def test_column_choice_ignores_unknown_columns_and_always_keeps_the_name(client, org):
    client.force_login(org.vendedor_norte)
    client.post(reverse("accounts:list"), {"columns": ["email", "bank_details"]}, HTTP_HX_REQUEST="true")
    org.vendedor_norte.refresh_from_db()
    assert org.vendedor_norte.list_preferences["accounts"]["columns"] == ["name", "email"]


@pytest.mark.parametrize("rows", [10, 200])
def test_account_list_runs_a_bounded_number_of_queries(client, org, rows, django_assert_max_num_queries):
    AccountFactory.create_batch(rows, owner=org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    url = reverse("accounts:list")
    with django_assert_max_num_queries(12):
        client.get(url)
    assert queries_for(client, url) == queries_for(client, url + "?sort=-owner&account_type=customer")


def test_account_list_query_count_does_not_grow_with_rows(client, org):
    client.force_login(org.gerente_norte)
    url = reverse("accounts:list") + "?sort=territory"
    AccountFactory.create_batch(10, owner=org.vendedor_norte)
    few = queries_for(client, url)
    AccountFactory.create_batch(190, owner=org.vendedor_norte)
    assert queries_for(client, url) == few


def _grow_account(account, owner, rows):
    ContactFactory.create_batch(rows, account=account)
    AddressFactory.create_batch(rows // 10, account=account)
    AccountFactory.create_batch(rows // 10, owner=owner, parent=account)
    for n in range(rows // 10):
        account.trade_name = f"Nombre {n}"
        update_record(account, by=owner)


def test_account_page_query_count_does_not_grow_with_related_rows(client, org, django_assert_max_num_queries):
    account = org.north_account
    client.force_login(org.gerente_norte)
    url = reverse("accounts:detail", args=[account.pk])
    _grow_account(account, org.vendedor_norte, 10)
    few = queries_for(client, url)
    _grow_account(account, org.vendedor_norte, 190)
    with django_assert_max_num_queries(30):  # the full page with every list: see test_account_page.py
        client.get(url)
    assert queries_for(client, url) == few


def test_editing_an_account_whose_owner_left_keeps_the_owner(client, org):
    org.vendedor_norte.is_active = False
    org.vendedor_norte.save()
    client.force_login(org.gerente_norte)
    data = form_data(org.north_account, org.gerente_norte, trade_name="Sin dueño activo")
    assert client.post(reverse("accounts:edit", args=[org.north_account.pk]), data).status_code == 302
    org.north_account.refresh_from_db()
    assert org.north_account.owner == org.vendedor_norte
    assert org.north_account.trade_name == "Sin dueño activo"
