"""The account list read with SQL compiled once per process (core.lists.CompiledRows): each user still sees
their own accounts, filtered, sorted, paged and counted as the page asks, and the count follows a write.

Standing users (conftest `org`): accounts are private by default; vendedor.norte owns "Minera Norte Grande
SpA", vendedor.sur "Pesquera Sur Austral SpA". Both are reps (a role, not admins): one shape of user.
"""

import re

import pytest
from django.urls import reverse

from vinculo.core import compiled

from .factories import AccountFactory

pytestmark = pytest.mark.django_db

LIST = "list:vinculo.accounts.views.AccountListView:"


@pytest.fixture(autouse=True)
def _fresh():
    compiled.forget()
    yield
    compiled.forget()


def names(response) -> list[str]:
    return re.findall(r'class="primary-cell"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def shapes(part: str) -> list[tuple]:
    return [shape for shape in compiled._compiled if shape[0] == LIST + part]


def view(client, user, **query):
    client.force_login(user)
    response = client.get(reverse("accounts:list"), query)
    assert response.status_code == 200
    return response


def test_two_reps_see_their_own_accounts_through_one_compiled_page_and_count(client, org):
    north = view(client, org.vendedor_norte)
    south = view(client, org.vendedor_sur)
    assert names(north) == ["Minera Norte Grande SpA"]
    assert names(south) == ["Pesquera Sur Austral SpA"]
    assert "1 record" in north.content.decode() and "1 record" in south.content.decode()
    assert len(shapes("page")) == 1 and len(shapes("count")) == 1
    assert compiled._compiled[shapes("page")[0]] is not None  # compiled once, not built per request

    admin = view(client, org.admin)  # another shape (no access rules): sees both lines
    assert names(admin) == ["Minera Norte Grande SpA", "Pesquera Sur Austral SpA"]
    assert len(shapes("page")) == 2


def test_a_filtered_list_is_compiled_per_user_and_finds_only_what_each_may_see(client, org):
    AccountFactory(owner=org.vendedor_sur, legal_name="Minera Sur Profunda SpA")
    assert names(view(client, org.vendedor_norte, q="Minera")) == ["Minera Norte Grande SpA"]
    assert names(view(client, org.vendedor_sur, q="Minera")) == ["Minera Sur Profunda SpA"]
    assert names(view(client, org.vendedor_sur, q="Pesquera")) == ["Pesquera Sur Austral SpA"]
    # One compiled page per user and filter value: the filter's own values are in the key.
    assert len(shapes("page")) == 3


def test_the_sort_and_the_pages_are_each_read_as_asked(client, org):
    # 25 rows a page: the rep's 26 accounts are 25 on page 1 and 1 on page 2.
    for number in range(25):
        AccountFactory(owner=org.vendedor_norte, legal_name=f"Cliente {number:02d} SpA")
    first = view(client, org.vendedor_norte)
    second = view(client, org.vendedor_norte, page=2)
    assert names(first) == [f"Cliente {number:02d} SpA" for number in range(25)]
    assert names(second) == ["Minera Norte Grande SpA"]
    assert "26 records" in first.content.decode()
    descending = view(client, org.vendedor_norte, sort="-name")
    assert names(descending)[:2] == ["Minera Norte Grande SpA", "Cliente 24 SpA"]
    assert len(shapes("page")) == 3  # page 1, page 2, page 1 in the other order
    assert len(shapes("count")) == 1  # the order does not change what is counted


def test_the_count_follows_a_new_account_and_a_deleted_one(client, org):
    assert "1 record" in view(client, org.vendedor_norte).content.decode()
    added = AccountFactory(owner=org.vendedor_norte, legal_name="Agrícola Nueva SpA")
    page = view(client, org.vendedor_norte)
    assert "2 records" in page.content.decode()
    assert names(page) == ["Agrícola Nueva SpA", "Minera Norte Grande SpA"]
    added.delete()
    assert "1 record" in view(client, org.vendedor_norte).content.decode()


def test_above_the_cap_the_count_says_more_than_and_counts_all_on_demand(client, org, settings):
    # Counted up to 50 (also the end of page 2, the page after the first): 50 accounts are exactly 50, 51 are
    # "more than 50" until counted on demand.
    settings.VINCULO = {**settings.VINCULO, "EXACT_COUNT_UP_TO": 50}
    for number in range(49):
        AccountFactory(owner=org.vendedor_norte, legal_name=f"Cliente {number:02d} SpA")
    assert "50 records" in view(client, org.vendedor_norte).content.decode()
    AccountFactory(owner=org.vendedor_norte, legal_name="Cliente 49 SpA")
    assert "More than 50 records" in view(client, org.vendedor_norte).content.decode()
    assert "51 records" in view(client, org.vendedor_norte, count="exact").content.decode()
