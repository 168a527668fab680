"""How many rows a page shows, at the limit and one past it: record lists 25 a page, the search page 25 of
each type, the search dropdown 5 of each type."""

import pytest
from django.urls import reverse

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rows, first_page, pages", [(25, 25, 1), (26, 25, 2)])
def test_a_record_list_shows_25_rows_a_page(client, org, rows, first_page, pages):
    # vendedor.norte sees org.north_contact and these.
    Contact.objects.bulk_create(Contact(account=org.north_account, owner=org.vendedor_norte, first_name="Ana",
                                        last_name=f"Contacto {n:02d}") for n in range(rows - 1))
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("contacts:list"))
    paginator = response.context["paginator"]
    assert (len(response.context["object_list"]), paginator.count, paginator.num_pages) == (first_page, rows, pages)
    if pages == 2:
        assert len(client.get(reverse("contacts:list"), {"page": 2}).context["object_list"]) == 1


@pytest.mark.parametrize("matches, on_page, in_dropdown", [(5, 5, 5), (6, 6, 5), (25, 25, 5), (26, 25, 5)])
def test_search_shows_25_accounts_on_its_page_and_5_in_the_dropdown(client, org, matches, on_page, in_dropdown):
    for n in range(matches):
        AccountFactory(owner=org.vendedor_norte, legal_name=f"Cobre Andino {n:02d} SpA")
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("search"), {"q": "andino"})
    dropdown = client.get(reverse("search"), {"q": "andino"}, HTTP_HX_REQUEST="true")
    assert (len(page.context["accounts"]), len(dropdown.context["accounts"])) == (on_page, in_dropdown)
