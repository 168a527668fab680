"""/api/v1/products and /api/v1/price-lists (with their prices): every caller reads them; catalogue
managers (permission `sales.manage_catalogue`) change them, else 403."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from ninja import Field, Router, Schema, Status

from vinculo.core import money
from vinculo.core.access import get_for_user
from vinculo.core.api import (
    ERRORS,
    FilterSchema,
    InputSchema,
    RecordAPI,
    Ref,
    Versioned,
    choice,
    resolve_references,
)
from vinculo.core.services import create_record

from .. import quoting
from ..models import PriceList, PriceListItem, Product

Currency = Literal[tuple(money.Currency.values)]


# Products

class ProductPriceOut(Schema):
    price_list: Ref
    currency: str
    unit_price: Decimal

    @staticmethod
    def resolve_currency(item):
        return item.price_list.currency


class ProductOut(Schema):
    id: int
    version: int
    code: str
    name: str
    description: str
    family: str
    unit: str
    tax_rate: Decimal
    is_active: bool
    prices: list[ProductPriceOut] = Field(description="Its price in each price list that has it.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_prices(product):
        return product.live_prices


class ProductIn(InputSchema):
    code: str = ""
    name: str = ""
    description: str = ""
    family: str = ""
    unit: choice(Product.Unit) = Product.Unit.UNIT
    tax_rate: Decimal = Field(Decimal("19"), ge=0, le=100, description="e.g. 19 (IVA Chile), 21 (IVA Spain), 0.")
    is_active: bool = True


class ProductCreate(ProductIn):
    code: str
    name: str


class ProductPatch(ProductIn, Versioned):
    pass


class ProductFilters(FilterSchema):
    family: str | None = None
    is_active: bool | None = None
    code: str | None = None


class CatalogueAPI(RecordAPI):
    """Catalogue records: creating one needs the catalogue permission (changes and deletes are refused
    by `get_for_user(write=True)`, since only managers may edit them)."""

    def create(self, data, user):
        if not quoting.can_manage_catalogue(user):
            raise PermissionDenied
        return create_record(self.model(**data), by=user)


class ProductAPI(CatalogueAPI):
    model = Product
    name, singular, plural = "product", "a product", "products"
    Out, Create, Patch, Filters = ProductOut, ProductCreate, ProductPatch, ProductFilters
    lookups = {"family": "family__iexact", "is_active": "is_active", "code": "code__iexact"}
    ordering = ("id", "code", "name", "family", "tax_rate", "created_at", "updated_at")
    indexed = True
    id_name = "product_id"

    def readable(self, queryset, user):
        prices = (PriceListItem.objects.filter(price_list__deleted_at__isnull=True).select_related("price_list")
                  .order_by("price_list__name", "pk"))
        return super().readable(queryset, user).prefetch_related(Prefetch("prices", queryset=prices,
                                                                          to_attr="live_prices"))


# Price lists

class PriceOut(Schema):
    id: int
    product: Ref
    unit_price: Decimal


class PriceListOut(Schema):
    id: int
    version: int
    name: str
    currency: str
    is_active: bool
    valid_from: date | None
    valid_until: date | None
    description: str
    items: list[PriceOut] = Field(description="The products' prices in this list's currency.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_items(price_list):
        return price_list.priced_items


class PriceListIn(InputSchema):
    name: str = ""
    currency: Currency = "CLP"
    is_active: bool = True
    valid_from: date | None = None
    valid_until: date | None = None
    description: str = ""


class PriceListCreate(PriceListIn):
    name: str


class PriceListPatch(PriceListIn, Versioned):
    pass


class PriceListFilters(FilterSchema):
    currency: Currency | None = None
    is_active: bool | None = None


class PriceIn(InputSchema):
    product: int = Field(description="A product id.")
    unit_price: Decimal = Field(ge=0, max_digits=18, decimal_places=4,
                                description="In the price list's currency; replaces the product's price there.")


class PriceListAPI(CatalogueAPI):
    model = PriceList
    name, singular, plural = "price_list", "a price list", "price lists"
    Out, Create, Patch, Filters = PriceListOut, PriceListCreate, PriceListPatch, PriceListFilters
    lookups = {"currency": "currency", "is_active": "is_active"}
    ordering = ("id", "name", "currency", "valid_from", "valid_until", "created_at", "updated_at")
    search_fields = ("name", "description")
    id_name = "price_list_id"
    routes = (*RecordAPI.routes, "prices")

    def readable(self, queryset, user):
        items = (PriceListItem.objects.filter(product__deleted_at__isnull=True).select_related("product")
                 .order_by("product__code", "pk"))
        return super().readable(queryset, user).prefetch_related(Prefetch("items", queryset=items,
                                                                          to_attr="priced_items"))

    def add_prices_route(self, router: Router) -> None:
        def set_price(request, price_list_id: int, payload: PriceIn):
            user = request.auth
            price_list = get_for_user(PriceList, user, price_list_id, write=True)
            data = resolve_references(payload.dict(), {"product": Product.objects.all()})
            item = quoting.set_price(price_list, data["product"], payload.unit_price, user)
            return PriceListItem.objects.select_related("product").get(pk=item.pk)

        description = "Adds the product to the list, or changes its price there. Catalogue managers only."
        router.put("/{int:price_list_id}/items", response={200: PriceOut, **ERRORS}, summary="Set a product's price",
                   description=description, operation_id="price_list_price_set",
                   url_name="price_list_price_set")(set_price)

        @router.post("/{int:price_list_id}/items", response={200: PriceOut, **ERRORS},
                     summary="Set a product's price (same as PUT)", description=description,
                     operation_id="price_list_price_add", url_name="price_list_price_add")
        def add_price(request, price_list_id: int, payload: PriceIn):
            return set_price(request, price_list_id, payload)

        @router.delete("/{int:price_list_id}/items/{int:item_id}", response={204: None, **ERRORS},
                       summary="Remove a product's price", operation_id="price_list_price_delete",
                       url_name="price_list_price_delete")
        def remove_price(request, price_list_id: int, item_id: int):
            user = request.auth
            price_list = get_for_user(PriceList, user, price_list_id, write=True)
            item = PriceListItem.objects.select_related("product").filter(price_list=price_list, pk=item_id).first()
            if item is None:
                raise Http404
            quoting.remove_price(item, user)
            return Status(204, None)


products = ProductAPI().router("products")
price_lists = PriceListAPI().router("price lists")
