import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.accounts.models import AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.forms import ContactForm
from vinculo.contacts.models import Contact, ContactAccountLink
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.services import update_record

pytestmark = pytest.mark.django_db

VISIBLE = {
    "admin": (True, True),
    "director": (True, True),
    "gerente_norte": (True, False),
    "gerente_sur": (False, True),
    "vendedor_norte": (True, False),
    "vendedor_norte2": (False, False),
    "vendedor_sur": (False, True),
}


def form_data(contact, user, **changes):
    form = ContactForm(instance=contact, user=user)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    data.update(changes)
    return data


def queries_for(client, url):
    # Count from the same cold start every time: the org-default cache and the process-wide content-type
    # cache (whichever test ran first in this worker may or may not have filled it).
    cache.clear()
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", VISIBLE)
def test_contact_list_shows_exactly_the_contacts_the_user_may_see(client, org, who):
    client.force_login(getattr(org, who))
    html = client.get(reverse("contacts:list")).content.decode()
    sees_north, sees_south = VISIBLE[who]
    assert ("araya@norte.cl" in html) is sees_north
    assert ("bustos@sur.cl" in html) is sees_south


@pytest.mark.parametrize("who", VISIBLE)
def test_contact_page_is_404_for_users_who_may_not_see_it(client, org, who):
    client.force_login(getattr(org, who))
    sees_north, sees_south = VISIBLE[who]
    assert client.get(reverse("contacts:detail", args=[org.north_contact.pk])).status_code == (200 if sees_north else 404)
    assert client.get(reverse("contacts:detail", args=[org.south_contact.pk])).status_code == (200 if sees_south else 404)


def test_rep_cannot_edit_or_delete_other_reps_contact(client, org):
    client.force_login(org.vendedor_sur)
    pk = org.north_contact.pk
    assert client.get(reverse("contacts:edit", args=[pk])).status_code == 404
    assert client.post(reverse("contacts:delete", args=[pk])).status_code == 404
    assert Contact.objects.filter(pk=pk).exists()


def test_read_only_team_member_sees_no_edit_button_and_cannot_post_edits(client, org):
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur)
    client.force_login(org.vendedor_sur)
    contact = org.north_contact
    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert contact.email in html
    assert reverse("contacts:edit", args=[contact.pk]) not in html
    data = form_data(contact, org.vendedor_sur, title="Cambiado")
    assert client.post(reverse("contacts:edit", args=[contact.pk]), data).status_code == 403
    contact.refresh_from_db()
    assert contact.title != "Cambiado"


def test_contact_page_shows_account_and_visible_other_accounts(client, org):
    contact = org.north_contact
    mine = AccountFactory(owner=org.vendedor_norte, legal_name="Consultora Propia SpA")
    ContactAccountLink.objects.create(contact=contact, account=mine, role="Asesor")
    ContactAccountLink.objects.create(contact=contact, account=org.south_account, role="Asesor externo")
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert org.north_account.get_absolute_url() in html
    assert "Consultora Propia SpA" in html
    assert org.south_account.legal_name not in html


def test_contact_owned_by_the_user_does_not_reveal_an_invisible_account(client, org):
    contact = ContactFactory(account=org.south_account, owner=org.vendedor_norte, last_name="Cruzado")
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    listing = client.get(reverse("contacts:list")).content.decode()
    assert "Cruzado" in page and "Cruzado" in listing
    assert org.south_account.legal_name not in page
    assert org.south_account.legal_name not in listing


def test_create_contact_for_an_account_normalises_phones(client, org):
    client.force_login(org.vendedor_norte)
    form_page = client.get(reverse("contacts:create"), {"account": org.north_account.pk})
    assert form_page.context["form"]["account"].value() == org.north_account.pk
    response = client.post(reverse("contacts:create"), {
        "owner": org.vendedor_norte.pk, "account": org.north_account.pk, "first_name": "Paula",
        "last_name": "Rojas", "email": "Paula.Rojas@Norte.cl", "phone": "2 2345 6789", "mobile": "9 8765 4321",
        "country": "CL", "purchase_role": "decision_maker",
    })
    contact = Contact.objects.get(last_name="Rojas")
    assert response.status_code == 302 and response["Location"] == contact.get_absolute_url()
    assert contact.phone == "+56223456789"
    assert contact.mobile == "+56987654321"
    assert contact.email == "paula.rojas@norte.cl"
    assert contact.account == org.north_account


@pytest.mark.parametrize("changes, field, message", [
    ({"email": "no-es-un-correo"}, "email", "valid email"),
    ({"phone": "abc"}, "phone", "phone number"),
    ({"mobile": "+56 9 1"}, "mobile", "phone number"),
    ({"last_name": ""}, "last_name", "required"),
    ({"account": "999999"}, "account", "valid choice"),
])
def test_bad_input_on_the_contact_form_names_the_field_and_stores_nothing(client, org, changes, field, message):
    client.force_login(org.vendedor_norte)
    data = {"owner": org.vendedor_norte.pk, "account": org.north_account.pk, "last_name": "Inválido",
            "country": "CL", **changes}
    before = Contact.all_objects.count()
    response = client.post(reverse("contacts:create"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Contact.all_objects.count() == before


def test_account_chooser_rejects_an_account_the_user_may_not_see(client, org):
    client.force_login(org.vendedor_norte)
    data = {"owner": org.vendedor_norte.pk, "account": org.south_account.pk, "last_name": "Intruso", "country": "CL"}
    response = client.post(reverse("contacts:create"), data)
    assert "account" in response.context["form"].errors
    assert not Contact.objects.filter(last_name="Intruso").exists()


def test_second_contact_edit_with_a_stale_version_is_refused(client, org):
    url = reverse("contacts:edit", args=[org.north_contact.pk])
    client.force_login(org.vendedor_norte)
    first = form_data(org.north_contact, org.vendedor_norte, title="Primera")
    second = form_data(org.north_contact, org.vendedor_norte, title="Segunda")
    assert client.post(url, first).status_code == 302
    response = client.post(url, second)
    assert response.context["form"].conflict
    assert Contact.objects.get(pk=org.north_contact.pk).title == "Primera"


def test_contact_edit_shows_in_its_history(client, org):
    client.force_login(org.vendedor_norte)
    contact = org.north_contact
    client.post(reverse("contacts:edit", args=[contact.pk]), form_data(contact, org.vendedor_norte, title="Gerente General"))
    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "<del>Gerente de compras</del>" in html
    assert "<ins>Gerente General</ins>" in html


def test_delete_contact_moves_it_to_the_recycle_bin(client, org):
    client.force_login(org.vendedor_norte)
    client.post(reverse("contacts:delete", args=[org.north_contact.pk]))
    assert not Contact.objects.filter(pk=org.north_contact.pk).exists()
    assert Contact.all_objects.filter(pk=org.north_contact.pk, deleted_at__isnull=False).exists()


def test_contact_list_filters_by_account_including_linked_contacts(client, org):
    other = ContactFactory(account=AccountFactory(owner=org.vendedor_norte), last_name="Externo")
    ContactAccountLink.objects.create(contact=other, account=org.north_account)
    ContactFactory(account=AccountFactory(owner=org.vendedor_norte), last_name="Ajeno")
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("contacts:list"), {"account": org.north_account.pk})
    names = {contact.last_name for contact in response.context["object_list"]}
    assert names == {"Araya", "Externo"}
    assert org.north_account.legal_name in response.content.decode()  # the filter chip


def test_contact_list_ignores_an_account_filter_the_user_may_not_see(client, org):
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("contacts:list"), {"account": org.south_account.pk})
    assert response.status_code == 200
    assert "araya@norte.cl" in response.content.decode()  # the filter is dropped, the user's list stays
    assert "bustos@sur.cl" not in response.content.decode()
    assert org.south_account.legal_name not in response.content.decode()


def test_contact_list_filters_by_purchase_role_and_sorts_by_account(client, org):
    ContactFactory(account=org.north_account, last_name="Decide", purchase_role="decision_maker")
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("contacts:list"), {"purchase_role": "decision_maker", "sort": "-account"})
    assert [c.last_name for c in response.context["object_list"]] == ["Decide"]


def test_contact_column_choice_is_remembered_separately_from_accounts(client, org):
    client.force_login(org.vendedor_norte)
    client.post(reverse("contacts:list"), {"columns": ["name", "mobile"]})
    org.vendedor_norte.refresh_from_db()
    assert org.vendedor_norte.list_preferences == {"contacts": {"columns": ["name", "mobile"]}}
    assert client.get(reverse("contacts:list")).context["shown"] == {"name", "mobile"}


def test_contact_list_query_count_does_not_grow_with_rows(client, org, django_assert_max_num_queries):
    client.force_login(org.gerente_norte)
    url = reverse("contacts:list") + "?sort=account"
    ContactFactory.create_batch(10, account=org.north_account)
    few = queries_for(client, url)
    ContactFactory.create_batch(190, account=org.north_account)
    with django_assert_max_num_queries(12):
        client.get(url)
    assert queries_for(client, url) == few


def test_contact_page_query_count_does_not_grow_with_links_or_history(client, org):
    contact = org.north_contact
    client.force_login(org.vendedor_norte)
    url = reverse("contacts:detail", args=[contact.pk])
    editors = [org.vendedor_norte, org.gerente_norte, org.director, org.admin]

    def change(count):
        for n in range(count):
            stored = Contact.objects.get(pk=contact.pk)
            stored.title = f"Jefe de compras {n}"
            update_record(stored, by=editors[n % len(editors)])

    for account in AccountFactory.create_batch(10, owner=org.vendedor_norte):
        ContactAccountLink.objects.create(contact=contact, account=account)
    change(1)
    few = queries_for(client, url)
    for account in AccountFactory.create_batch(40, owner=org.vendedor_norte):
        ContactAccountLink.objects.create(contact=contact, account=account)
    change(12)
    assert queries_for(client, url) == few
    assert few <= 10  # the count today, from cold caches (1 of them the permissions the menu reads)
