"""How many rows a page shows, at the limit and one past it: record lists 25 a page, the search page 25 of
each type, the search dropdown 5 of each type."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
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


@pytest.mark.parametrize("rows, exact, shown", [
    (59, True, "59 records"), (60, True, "60 records"), (61, False, "More than 60 records")])
def test_a_list_counts_exactly_up_to_the_cap_and_says_more_than_past_it(client, org, settings, rows, exact, shown):
    settings.VINCULO = {**settings.VINCULO, "EXACT_COUNT_UP_TO": 60}
    Contact.objects.bulk_create(Contact(account=org.north_account, owner=org.vendedor_norte, first_name="Ana",
                                        last_name=f"Contacto {n:02d}") for n in range(rows - 1))
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("contacts:list"))
    paginator = response.context["paginator"]
    assert (paginator.is_exact, paginator.at_least) == (exact, min(rows, 60))
    html = response.content.decode()
    assert shown in html
    assert ("Count them all" in html) is not exact
    assert ("Page 1 of 3" in html) is exact
    # The next pages are reached either way, and asking counts them all.
    assert len(client.get(reverse("contacts:list"), {"page": 3}).context["object_list"]) == rows - 50
    counted = client.get(reverse("contacts:list"), {"count": "exact"}).context["paginator"]
    assert (counted.is_exact, counted.count) == (True, rows)


def test_a_page_past_the_cap_counts_a_page_further_so_next_stays_offered(client, org, settings):
    settings.VINCULO = {**settings.VINCULO, "EXACT_COUNT_UP_TO": 30}
    Contact.objects.bulk_create(Contact(account=org.north_account, owner=org.vendedor_norte, first_name="Ana",
                                        last_name=f"Contacto {n:03d}") for n in range(119))  # 120 with hers
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("contacts:list"), {"page": 3}).context["page_obj"]
    # Page 3 counts up to 100 rows (a page past it): there are more, so page 4 is offered.
    assert (page.number, page.has_next(), page.paginator.is_exact, page.paginator.at_least) == (3, True, False, 100)
    last = client.get(reverse("contacts:list"), {"page": 5}).context["page_obj"]
    assert (last.number, last.has_next(), last.paginator.count, len(last.object_list)) == (5, False, 120, 20)


def test_the_capped_count_does_not_sort_the_rows_it_counts(client, org, settings):
    settings.VINCULO = {**settings.VINCULO, "EXACT_COUNT_UP_TO": 60}
    client.force_login(org.vendedor_norte)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("contacts:list"), {"sort": "name"})
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    assert counts and all("LIMIT" in sql and "ORDER BY" not in sql for sql in counts)
