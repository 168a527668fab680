"""Product and price list pages: everyone reads them, only catalogue managers change them (no buttons
for others, 403 on their writes); prices set in place (htmx); filters; the product chooser; bounded
query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from vinculo.core.models import ChangeLog
from vinculo.sales.models import PriceList, PriceListItem, Product

from .factories import PriceListFactory, PriceListItemFactory, ProductFactory
from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
READERS = ["vendedor_norte", "vendedor_sur", "gerente_norte", "director", "finance"]
MANAGERS = ["catalogue_manager", "admin"]


def url(name, *args):
    return reverse(f"sales:{name}", args=args)


def product_data(**changes):
    return {"code": "VAL-50", "name": "Válvula 50 mm", "family": "Válvulas", "unit": "unit", "tax_rate": "19",
            "is_active": "on", "description": "", **changes}


# ---------- Reading ----------

@pytest.mark.parametrize("who", READERS + MANAGERS)
def test_everyone_reads_products_and_price_lists(client, org, catalogue, who):
    client.force_login(getattr(org, who))
    assert "BOM-100" in client.get(url("product_list")).content.decode()
    page = client.get(url("product_detail", catalogue.pump.pk)).content.decode()
    assert "Lista general" in page and "1,250,000" in page
    assert "Lista general" in client.get(url("pricelist_list")).content.decode()
    assert "Bomba centrífuga 100" in client.get(url("pricelist_detail", catalogue.price_list.pk)).content.decode()


@pytest.mark.parametrize("who", READERS)
def test_readers_see_no_edit_buttons_and_are_refused_writes(client, org, catalogue, who):
    client.force_login(getattr(org, who))
    pump, price_list = catalogue.pump, catalogue.price_list
    item = PriceListItem.objects.get(price_list=price_list, product=pump)
    for page, hidden in (
        (url("product_list"), url("product_create")),
        (url("product_detail", pump.pk), url("product_edit", pump.pk)),
        (url("pricelist_list"), url("pricelist_create")),
        (url("pricelist_detail", price_list.pk), url("pricelist_edit", price_list.pk)),
        (url("pricelist_detail", price_list.pk), url("pricelist_price_add", price_list.pk)),
    ):
        assert hidden not in client.get(page).content.decode()
    for response in (
        client.get(url("product_create")),
        client.post(url("product_create"), product_data()),
        client.get(url("product_edit", pump.pk)),
        client.post(url("product_edit", pump.pk), product_data(version=pump.version)),
        client.post(url("product_delete", pump.pk)),
        client.get(url("pricelist_create")),
        client.post(url("pricelist_edit", price_list.pk), {"name": "X", "currency": "CLP", "version": 1}),
        client.post(url("pricelist_delete", price_list.pk)),
        client.post(url("pricelist_price_add", price_list.pk), {"product": pump.pk, "unit_price": "1"}),
        client.post(url("pricelist_price_edit", price_list.pk, item.pk), {f"item-{item.pk}-unit_price": "1"}),
        client.post(url("pricelist_price_delete", price_list.pk, item.pk)),
    ):
        assert response.status_code == 403
    item.refresh_from_db()
    assert item.unit_price == Decimal("1250000") and Product.objects.count() == 3


def test_a_deleted_product_answers_404(client, org, catalogue):
    catalogue.pump.deleted_at = catalogue.pump.created_at
    catalogue.pump.save()
    client.force_login(org.catalogue_manager)
    assert client.get(url("product_detail", catalogue.pump.pk)).status_code == 404
    assert client.get(url("product_detail", 999999)).status_code == 404


# ---------- Writing as a catalogue manager ----------

@pytest.mark.parametrize("who", MANAGERS)
def test_managers_create_edit_and_delete_products(client, org, who):
    client.force_login(getattr(org, who))
    assert url("product_create") in client.get(url("product_list")).content.decode()
    response = client.post(url("product_create"), product_data())
    product = Product.objects.get(code="VAL-50")
    assert response["Location"] == url("product_detail", product.pk)
    response = client.post(url("product_edit", product.pk), product_data(version=product.version, tax_rate="21"))
    product.refresh_from_db()
    assert response.status_code == 302 and product.tax_rate == Decimal(21)
    client.post(url("product_delete", product.pk))
    assert not Product.objects.filter(pk=product.pk).exists()


def test_a_duplicate_code_or_a_bad_tax_rate_is_refused_naming_the_field(client, org, catalogue):
    client.force_login(org.catalogue_manager)
    response = client.post(url("product_create"), product_data(code="BOM-100"))
    assert response.status_code == 200 and "Another product already has this code." in response.content.decode()
    response = client.post(url("product_create"), product_data(tax_rate="120"))
    assert "less than or equal to 100" in response.content.decode()
    assert Product.objects.count() == 3


def test_managers_create_a_price_list_and_set_prices_in_place(client, org, catalogue):
    client.force_login(org.catalogue_manager)
    response = client.post(url("pricelist_create"), {"name": "Dólares 2026", "currency": "USD", "is_active": "on",
                                                     "valid_from": "2026-01-01", "valid_until": "", "description": ""})
    price_list = PriceList.objects.get(name="Dólares 2026")
    assert response["Location"] == url("pricelist_detail", price_list.pk)
    added = client.post(url("pricelist_price_add", price_list.pk), {"product": catalogue.pump.pk,
                                                                    "unit_price": "1499.90"}, **HTMX)
    assert added.status_code == 200 and 'id="prices"' in added.content.decode() and "<html" not in added.content.decode()
    item = PriceListItem.objects.get(price_list=price_list, product=catalogue.pump)
    assert item.unit_price == Decimal("1499.90")
    changed = client.post(url("pricelist_price_edit", price_list.pk, item.pk), {f"item-{item.pk}-unit_price": "1450"},
                          **HTMX)
    assert changed.status_code == 200
    item.refresh_from_db()
    assert item.unit_price == Decimal(1450)
    # Setting the price of a product already in the list changes it rather than adding a row.
    client.post(url("pricelist_price_add", price_list.pk), {"product": catalogue.pump.pk, "unit_price": "1400"}, **HTMX)
    assert price_list.items.count() == 1 and price_list.items.get().unit_price == Decimal(1400)
    client.post(url("pricelist_price_delete", price_list.pk, item.pk), **HTMX)
    assert not price_list.items.exists()
    changes = [change["label"] for entry in ChangeLog.objects.filter(object_id=price_list.pk,
                                                                       action=ChangeLog.Action.UPDATE)
               for change in entry.changes]
    assert len(changes) == 4 and all("BOM-100" in label for label in changes)


def test_a_bad_price_is_shown_in_place_and_not_saved(client, org, catalogue):
    client.force_login(org.catalogue_manager)
    price_list = catalogue.price_list
    item = PriceListItem.objects.get(price_list=price_list, product=catalogue.pump)
    response = client.post(url("pricelist_price_edit", price_list.pk, item.pk), {f"item-{item.pk}-unit_price": "-3"},
                           **HTMX)
    assert response.status_code == 200 and "greater than or equal to 0" in response.content.decode()
    response = client.post(url("pricelist_price_add", price_list.pk), {"product": "", "unit_price": "10"}, **HTMX)
    assert "This field is required." in response.content.decode()
    item.refresh_from_db()
    assert item.unit_price == Decimal("1250000")


# ---------- Filters and the chooser ----------

def test_product_filters_and_quick_search(client, org, catalogue):
    ProductFactory(code="VAL-9", name="Válvula mariposa", family="Válvulas")
    client.force_login(org.vendedor_norte)
    page = client.get(url("product_list"), {"family": "Válvulas"}).content.decode()
    assert "VAL-9" in page and "BOM-100" not in page
    page = client.get(url("product_list"), {"active": "no"}).content.decode()
    assert "OLD-1" in page and "BOM-100" not in page
    page = client.get(url("product_list"), {"q": "centrifuga"}).content.decode()
    assert "BOM-100" in page and "SRV-INST" not in page


def test_the_product_chooser_offers_active_products_with_their_list_price(client, org, catalogue):
    client.force_login(org.vendedor_norte)
    response = client.get(url("product_autocomplete"), {"q": "bomba", "price_list": catalogue.price_list.pk})
    body = response.content.decode()
    assert f'data-choice="{catalogue.pump.pk}"' in body and "1,250,000" in body
    assert "OLD-1" not in client.get(url("product_autocomplete"), {"q": "modelo"}).content.decode()


def test_price_list_prices_can_be_searched(client, org, catalogue):
    client.force_login(org.vendedor_norte)
    response = client.get(url("pricelist_detail", catalogue.price_list.pk), {"pq": "SRV", "fragment": "prices"},
                          **HTMX)
    body = response.content.decode()
    assert "SRV-INST" in body and "BOM-100" not in body and "<html" not in body


# ---------- Bounded queries ----------

def test_product_pages_queries_do_not_grow(client, org, catalogue, django_assert_max_num_queries):
    client.force_login(org.catalogue_manager)
    with django_assert_max_num_queries(12) as list_few:
        client.get(url("product_list"))
    with django_assert_max_num_queries(12) as detail_few:
        client.get(url("product_detail", catalogue.pump.pk))
    for n in range(30):
        product = ProductFactory()
        PriceListItemFactory(price_list=PriceListFactory(), product=catalogue.pump, unit_price=Decimal(n + 1))
        PriceListItemFactory(price_list=catalogue.price_list, product=product)
    with django_assert_max_num_queries(len(list_few.captured_queries)):
        assert client.get(url("product_list")).status_code == 200
    with django_assert_max_num_queries(len(detail_few.captured_queries)):
        page = client.get(url("product_detail", catalogue.pump.pk)).content.decode()
    assert page.count("Lista ") >= 31


def test_price_list_pages_queries_do_not_grow(client, org, catalogue, django_assert_max_num_queries):
    client.force_login(org.catalogue_manager)
    with django_assert_max_num_queries(12) as list_few:
        client.get(url("pricelist_list"))
    with django_assert_max_num_queries(14) as detail_few:
        client.get(url("pricelist_detail", catalogue.price_list.pk))
    for _n in range(60):
        PriceListItemFactory(price_list=catalogue.price_list)
        PriceListFactory()
    with django_assert_max_num_queries(len(list_few.captured_queries)):
        assert client.get(url("pricelist_list")).status_code == 200
    with django_assert_max_num_queries(len(detail_few.captured_queries)):
        page = client.get(url("pricelist_detail", catalogue.price_list.pk)).content.decode()
    assert page.count('<tr id="price-') == 50


def test_a_deleted_product_leaves_the_price_lists(client, org, catalogue):
    client.force_login(org.catalogue_manager)
    client.post(url("product_delete", catalogue.service.pk), follow=True)
    page = client.get(url("pricelist_detail", catalogue.price_list.pk)).content.decode()
    assert "SRV-INST" not in page and "BOM-100" in page
    listed = client.get(url("pricelist_list")).content.decode()
    assert '<td data-label="Products" class="num">2</td>' in listed


def test_deleted_product_goes_to_the_bin_only_catalogue_managers_restore_it(client, org):
    product = ProductFactory(code="BIN-1")
    client.force_login(org.catalogue_manager)
    client.post(reverse("sales:product_delete", args=[product.pk]))
    assert not Product.objects.filter(pk=product.pk).exists()
    restore_url = reverse("core:restore", args=["product", product.pk])
    assert restore_url in client.get(reverse("core:recycle_bin")).content.decode()

    client.force_login(org.vendedor_norte)
    assert restore_url not in client.get(reverse("core:recycle_bin")).content.decode()
    assert client.post(restore_url).status_code == 403

    client.force_login(org.catalogue_manager)
    client.post(restore_url)
    assert Product.objects.filter(pk=product.pk).exists()
