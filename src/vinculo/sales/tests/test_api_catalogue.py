"""/api/v1/products and /api/v1/price-lists: read by every user, written only by catalogue managers."""

from decimal import Decimal

import pytest

from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.sales.models import PriceList, PriceListItem, Product

from .factories import PriceListItemFactory, ProductFactory
from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)

pytestmark = pytest.mark.django_db


def test_products_list_with_their_prices(org, catalogue):
    body = ApiClient(org.vendedor_sur).get("/products", ordering="code").json()
    assert [item["code"] for item in body["items"]] == ["BOM-100", "OLD-1", "SRV-INST"]
    pump = body["items"][0]
    assert pump["prices"] == [{"price_list": {"id": catalogue.price_list.pk, "name": "Lista general (CLP)"},
                               "currency": "CLP", "unit_price": "1250000.0000"}]
    assert ApiClient(org.vendedor_sur).get("/products", is_active=False).json()["count"] == 1
    assert ApiClient(org.vendedor_sur).get("/products", q="instalacion").json()["items"][0]["code"] == "SRV-INST"


def test_price_lists_list_with_their_items(org, catalogue):
    body = ApiClient(org.vendedor_norte).get(f"/price-lists/{catalogue.price_list.pk}").json()
    assert body["currency"] == "CLP"
    assert [(item["product"]["id"], item["unit_price"]) for item in body["items"]] == [
        (catalogue.pump.pk, "1250000.0000"), (catalogue.old.pk, "1000.0000"), (catalogue.service.pk, "45000.0000")]


@pytest.mark.parametrize("who", ["vendedor_norte", "gerente_norte", "director"])
def test_readers_are_refused_every_write(org, catalogue, who):
    api = ApiClient(getattr(org, who))
    pump, price_list = catalogue.pump, catalogue.price_list
    item = PriceListItem.objects.get(price_list=price_list, product=pump)
    for response in (
        api.post("/products", {"code": "N-1", "name": "Nuevo"}),
        api.patch(f"/products/{pump.pk}", {"name": "x", "version": pump.version}),
        api.delete(f"/products/{pump.pk}"),
        api.post("/price-lists", {"name": "Nueva"}),
        api.patch(f"/price-lists/{price_list.pk}", {"name": "x", "version": price_list.version}),
        api.delete(f"/price-lists/{price_list.pk}"),
        api.client.put(f"/api/v1/price-lists/{price_list.pk}/items", {"product": pump.pk, "unit_price": "1"},
                       content_type="application/json"),
        api.post(f"/price-lists/{price_list.pk}/items", {"product": pump.pk, "unit_price": "1"}),
        api.delete(f"/price-lists/{price_list.pk}/items/{item.pk}"),
    ):
        assert response.status_code == 403
    item.refresh_from_db()
    assert item.unit_price == Decimal(1250000) and Product.objects.count() == 3 and PriceList.objects.count() == 1


def test_a_catalogue_manager_writes_products_and_prices(org, catalogue):
    api = ApiClient(org.catalogue_manager)
    created = api.post("/products", {"code": "VAL-50", "name": "Válvula 50 mm", "tax_rate": "21", "unit": "unit"})
    assert created.status_code == 201 and created.json()["tax_rate"] == "21.00"
    product_id = created.json()["id"]
    price_list = catalogue.price_list
    put = api.client.put(f"/api/v1/price-lists/{price_list.pk}/items", {"product": product_id, "unit_price": "9990"},
                         content_type="application/json")
    assert put.status_code == 200 and put.json()["unit_price"] == "9990.0000"
    again = api.post(f"/price-lists/{price_list.pk}/items", {"product": product_id, "unit_price": "9500"})
    assert again.json()["id"] == put.json()["id"] and again.json()["unit_price"] == "9500.0000"
    assert api.delete(f"/price-lists/{price_list.pk}/items/{put.json()['id']}").status_code == 204
    assert not PriceListItem.objects.filter(product_id=product_id).exists()
    assert api.delete(f"/products/{product_id}").status_code == 204


def test_bad_catalogue_input_is_refused_naming_the_field(org, catalogue):
    api = ApiClient(org.catalogue_manager)
    assert error_fields(api.post("/products", {"code": "BOM-100", "name": "Otra"})) == {"code"}
    assert error_fields(api.post("/products", {"code": "X", "name": "X", "tax_rate": "150"})) == {"tax_rate"}
    assert error_fields(api.post("/price-lists", {"name": "X", "currency": "GBP"})) == {"currency"}
    assert error_fields(api.post("/price-lists", {"name": "X", "valid_from": "2026-02-01",
                                                  "valid_until": "2026-01-01"})) == {"valid_until"}
    price_list = catalogue.price_list
    assert error_fields(api.post(f"/price-lists/{price_list.pk}/items", {"product": 999999, "unit_price": "1"})) == {
        "product"}
    assert error_fields(api.post(f"/price-lists/{price_list.pk}/items", {"product": catalogue.pump.pk,
                                                                       "unit_price": "-1"})) == {"unit_price"}
    assert api.get("/products/999999").status_code == 404


def test_product_list_queries_do_not_grow(org, catalogue, django_assert_max_num_queries):
    api = ApiClient(org.vendedor_norte)
    with django_assert_max_num_queries(10) as few:
        api.get("/products")
    for _n in range(30):
        PriceListItemFactory(product=ProductFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/products").json()["count"] == 33
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/price-lists").json()["count"] == 31
