import pytest
from django.conf import settings
from django.urls import reverse

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact
from vinculo.core.services import soft_delete, update_record

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


@pytest.mark.parametrize("who", VISIBLE)
def test_global_search_finds_only_what_the_user_may_see(client, org, who):
    client.force_login(getattr(org, who))
    sees_north, sees_south = VISIBLE[who]
    accounts = client.get(reverse("search"), {"q": "SpA"}, HTTP_HX_REQUEST="true").content.decode()
    assert (org.north_account.legal_name in accounts) is sees_north
    assert (org.south_account.legal_name in accounts) is sees_south
    contacts = client.get(reverse("search"), {"q": "araya"}).content.decode()
    assert (org.north_contact.get_absolute_url() in contacts) is sees_north
    contacts = client.get(reverse("search"), {"q": "bustos"}).content.decode()
    assert (org.south_contact.get_absolute_url() in contacts) is sees_south


def test_search_dropdown_is_a_fragment_grouped_by_type_and_capped(client, org):
    for n in range(8):
        AccountFactory(owner=org.vendedor_norte, legal_name=f"Norte Filial {n} SpA")
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("search"), {"q": "norte"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert len(response.context["accounts"]) == 5
    assert "Accounts" in html and "Contacts" in html  # araya@norte.cl matches too
    assert f"{reverse('search')}?q=norte" in html

    page = client.get(reverse("search"), {"q": "norte"})
    assert "<html" in page.content.decode()
    assert len(page.context["accounts"]) == 9


def test_empty_search_returns_nothing(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("search"), {"q": "  "}, HTTP_HX_REQUEST="true")
    assert response.content.decode().strip() == ""


def test_pages_need_login(client, org):
    for url in (reverse("home"), reverse("accounts:list"), reverse("contacts:list"), reverse("search"),
                reverse("core:recycle_bin"), reverse("accounts:detail", args=[org.north_account.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_login_page_and_logout_by_post(client, org):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and 'name="username"' in page.content.decode()
    response = client.post(reverse("login"), {"username": "vendedor.norte", "password": "demo"})
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert reverse("logout") in home.content.decode()
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_home_counts_only_visible_records_and_recent_changes(client, org):
    for account, user in ((org.north_account, org.vendedor_norte), (org.south_account, org.vendedor_sur)):
        account.trade_name = "Cambio"
        update_record(account, by=user)
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("home"))
    assert response.context["account_count"] == 1
    assert response.context["contact_count"] == 1
    assert [entry.object_id for entry in response.context["recent"]] == [org.north_account.pk]


def test_language_switch_is_stored_on_the_user_and_renders_the_page_in_it(client, org):
    user = org.vendedor_norte
    client.force_login(user)
    url = reverse("accounts:list")

    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    user.refresh_from_db()
    assert user.language == "en"
    assert '<html lang="en">' in client.get(url).content.decode()

    response = client.post(reverse("set_language"), {"language": "es", "next": url})
    user.refresh_from_db()
    assert user.language == "es"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert '<html lang="es">' in client.get(url).content.decode()


def test_user_language_wins_over_the_browser(client, org):
    org.vendedor_norte.language = "es"
    org.vendedor_norte.save()
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="es">' in html


def test_without_a_preference_the_browser_language_is_used(client, org):
    org.vendedor_norte.language = ""
    org.vendedor_norte.save()
    client.force_login(org.vendedor_norte)
    assert '<html lang="en">' in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="es">' in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="es-CL").content.decode()


def test_language_switch_refuses_foreign_redirects_and_unknown_languages(client, org):
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/accounts/"})
    org.vendedor_norte.refresh_from_db()
    assert org.vendedor_norte.language == "en"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_language_switch_works_before_login_with_the_cookie(client, org):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get(reverse("login")).content.decode()


def test_language_switch_needs_post(client, org):
    client.force_login(org.vendedor_norte)
    assert client.get(reverse("set_language"), {"language": "es"}).status_code == 405


def test_deleted_account_goes_to_the_bin_and_restore_brings_it_back_with_its_contacts(client, org):
    client.force_login(org.vendedor_norte)
    account, contact = org.north_account, org.north_contact
    client.post(reverse("accounts:delete", args=[account.pk]))
    assert not Account.objects.filter(pk=account.pk).exists()

    bin_page = client.get(reverse("core:recycle_bin")).content.decode()
    restore_url = reverse("core:restore", args=["account", account.pk])
    assert account.legal_name in bin_page and restore_url in bin_page

    response = client.post(restore_url)
    assert response.status_code == 302 and response["Location"] == account.get_absolute_url()
    restored = Account.objects.get(pk=account.pk)
    assert restored.deleted_at is None
    assert list(restored.contacts.all()) == [contact]
    page = client.get(account.get_absolute_url()).content.decode()
    assert contact.last_name in page
    assert "Restored" in page  # the history


def test_deleted_contact_can_be_restored(client, org):
    client.force_login(org.vendedor_norte)
    contact = org.north_contact
    client.post(reverse("contacts:delete", args=[contact.pk]))
    assert "Araya" in client.get(reverse("core:recycle_bin")).content.decode()
    client.post(reverse("core:restore", args=["contact", contact.pk]))
    assert Contact.objects.get(pk=contact.pk).account == org.north_account


def test_recycle_bin_shows_only_records_the_user_may_edit(client, org):
    soft_delete(org.north_account, by=org.vendedor_norte)
    soft_delete(org.south_account, by=org.vendedor_sur)
    client.force_login(org.vendedor_sur)
    html = client.get(reverse("core:recycle_bin")).content.decode()
    assert org.south_account.legal_name in html
    assert org.north_account.legal_name not in html
    assert client.post(reverse("core:restore", args=["account", org.north_account.pk])).status_code == 404
    assert Account.all_objects.get(pk=org.north_account.pk).deleted_at is not None


def test_recycle_bin_shows_each_user_their_own_records_on_every_view(client, org):
    """Its queries are compiled once per shape of user (core.compiled): vendedor.norte and vendedor.sur
    share one, and each sees their own deleted accounts, before and after a restore."""
    soft_delete(org.north_account, by=org.vendedor_norte)
    soft_delete(org.south_account, by=org.vendedor_sur)

    def shown(user):
        client.force_login(user)
        html = client.get(reverse("core:recycle_bin")).content.decode()
        return [account.legal_name for account in (org.north_account, org.south_account) if account.legal_name in html]

    for _view in range(2):
        assert shown(org.vendedor_norte) == [org.north_account.legal_name]
        assert shown(org.vendedor_sur) == [org.south_account.legal_name]
        assert shown(org.director) == [org.north_account.legal_name, org.south_account.legal_name]
    client.force_login(org.vendedor_norte)
    client.post(reverse("core:restore", args=["account", org.north_account.pk]), follow=True)  # its message read
    assert shown(org.vendedor_norte) == []
    assert shown(org.director) == [org.south_account.legal_name]


def test_restore_of_a_live_record_or_unknown_kind_is_404(client, org):
    client.force_login(org.admin)
    assert client.post(reverse("core:restore", args=["account", org.north_account.pk])).status_code == 404
    assert client.post(reverse("core:restore", args=["user", org.vendedor_sur.pk])).status_code == 404


def test_restore_is_refused_with_a_message_when_the_tax_id_was_taken(client, org):
    account = org.north_account
    soft_delete(account, by=org.vendedor_norte)
    AccountFactory(owner=org.vendedor_norte, tax_id=account.tax_id)
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("core:restore", args=["account", account.pk]), follow=True)
    assert "could not be restored" in response.content.decode()
    assert Account.all_objects.get(pk=account.pk).deleted_at is not None


def test_restore_needs_post(client, org):
    soft_delete(org.north_account, by=org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    assert client.get(reverse("core:restore", args=["account", org.north_account.pk])).status_code == 405


def test_base_layout_has_skip_link_search_box_and_csrf_header_for_htmx(client, org):
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("home")).content.decode()
    assert 'class="skip-link" href="#main"' in html
    assert 'id="global-search"' in html and 'hx-get="/search/"' in html
    assert "X-CSRFToken" in html
    assert "htmx" in html and "vinculo/app.js" in html
    assert "https://" not in html.split("<body")[0]  # no CDN


def test_currency_switch_is_stored_on_the_user_and_refuses_unknown_codes(client, org):
    client.force_login(org.vendedor_norte)
    page = client.get("/")
    assert b'name="currency" value="CLF"' in page.content

    response = client.post("/currency/", {"currency": "USD", "next": "/accounts/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    org.vendedor_norte.refresh_from_db()
    assert org.vendedor_norte.currency == "USD"

    client.post("/currency/", {"currency": "XYZ", "next": "https://evil.example/"})
    org.vendedor_norte.refresh_from_db()
    assert org.vendedor_norte.currency == "USD"
