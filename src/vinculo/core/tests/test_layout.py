"""The shell's layout rules that need no browser: one breadcrumb separator, the menu's current entry, the
filters a phone folds and how many of them are set (the phone and 1440 px checks are in test_layout_browser.py)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

import vinculo
from vinculo.core import nav


def test_every_breadcrumb_separates_its_links_with_one_sign():
    root = Path(vinculo.__file__).parent
    breadcrumbs = [line for path in root.rglob("*.html") for line in path.read_text().splitlines()
                   if 'class="breadcrumb"' in line]
    assert len(breadcrumbs) > 10
    for line in breadcrumbs:
        between_links = re.findall(r"</a>(.*?)<a ", re.sub(r"{%.*?%}", "", line))
        assert all(text.strip() == "›" for text in between_links), line


def test_the_menu_names_the_entry_the_page_belongs_to(rf, admin_user):
    from django.urls import resolve

    menu = nav.menu(admin_user, resolve(reverse("sales:product_list")))
    assert menu["current"] == "products" and menu["more_current"]
    assert nav.menu(admin_user, resolve(reverse("home")))["current"] == ""


@pytest.mark.django_db
def test_a_list_folds_its_filters_behind_one_button_that_counts_those_set(client, org):
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("accounts:list")).content.decode()
    fold = html[html.index('<details class="filters-fold">'):html.index("</details>", html.index("filters-fold"))]
    assert 'name="account_type"' in fold and 'name="q"' not in fold  # the quick search stays out
    assert re.search(r"<summary[^>]*>Filters</summary>", fold)
    html = client.get(reverse("accounts:list"), {"account_type": "customer", "q": "minera"}).content.decode()
    assert re.search(r'<summary[^>]*>Filters <span class="count">\(1\)</span></summary>', html)
