"""Pages of the product catalogue and the price lists: every user reads them; catalogue managers
(permission `sales.manage_catalogue`) create, change and delete them, and set prices in place (htmx)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.core.access import get_for_user
from vinculo.core.lists import Column, RecordListView
from vinculo.core.search import search
from vinculo.core.views import edit_page, move_to_recycle_bin, visible_history

from .. import quoting
from ..forms_catalogue import PriceForm, PriceListFilterForm, PriceListForm, ProductFilterForm, ProductForm
from ..forms_quotes import plain
from ..models import PriceList, PriceListItem, Product

PRICES_PAGE_SIZE = 50
AUTOCOMPLETE_SIZE = 10


def _label(model, name):
    return capfirst(model._meta.get_field(name).verbose_name)


def _require_manager(user) -> None:
    if not quoting.can_manage_catalogue(user):
        raise PermissionDenied


# ---------- Products ----------

class ProductListView(RecordListView):
    model = Product
    template_name = "sales/catalogue/product_list.html"
    fragment_template_name = "sales/catalogue/_product_table.html"
    filter_form_class = ProductFilterForm
    list_key = "products"
    default_sort = "code"
    search_placeholder = gettext_lazy("Code or name…")
    columns = (
        Column("code", _label(Product, "code"), ("code",), always=True),
        Column("name", _label(Product, "name"), ("name",)),
        Column("family", _label(Product, "family"), ("family",)),
        Column("unit", _label(Product, "unit"), ("unit",)),
        Column("tax_rate", gettext_lazy("Tax %"), ("tax_rate",)),
        Column("is_active", gettext_lazy("Status"), ("is_active",)),
        Column("updated_at", gettext_lazy("Updated"), ("updated_at",), default=False),
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(target="product-results", can_manage=quoting.can_manage_catalogue(self.request.user))
        return context


product_list = ProductListView.as_view()


@login_required
def product_detail(request, pk):
    user = request.user
    product = get_for_user(Product, user, pk)
    prices = (PriceListItem.objects.filter(product=product, price_list__deleted_at__isnull=True)
              .select_related("price_list").order_by("price_list__name", "price_list_id"))
    return render(request, "sales/catalogue/product_detail.html", {
        "product": product,
        "prices": prices,
        "can_manage": quoting.can_manage_catalogue(user),
        "history": visible_history(product, user),
    })


@login_required
def product_create(request):
    _require_manager(request.user)
    form = ProductForm(request.POST if request.method == "POST" else None, instance=Product(), user=request.user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("“%(name)s” was created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "sales/catalogue/product_form.html", {"form": form})


@login_required
def product_edit(request, pk):
    product = get_for_user(Product, request.user, pk, write=True)
    return edit_page(request, product, ProductForm, "sales/catalogue/product_form.html", "sales:product_edit",
                     "product")


@login_required
@require_POST
def product_delete(request, pk):
    product = get_for_user(Product, request.user, pk, write=True)
    move_to_recycle_bin(request, product, _("“%(name)s” was moved to the recycle bin. Quotes that use it keep their lines.")
                        % {"name": product})
    return redirect("sales:product_list")


@login_required
def product_autocomplete(request):
    """Active products whose code or name matches `q`: the choices of product pickers. With
    `price_list`, each shows its price there."""
    query = request.GET.get("q", "").strip()[:200]
    results = []
    if query:
        results = list(search(Product, request.user, query).filter(is_active=True).order_by("code")[:AUTOCOMPLETE_SIZE])
    price_list = None
    list_id = request.GET.get("price_list", "")
    if results and list_id.isdigit():
        price_list = PriceList.objects.filter(pk=list_id).first()
    if price_list is not None:
        prices = dict(PriceListItem.objects.filter(price_list=price_list, product__in=results)
                      .values_list("product_id", "unit_price"))
        for product in results:
            product.list_price = prices.get(product.pk)
    return render(request, "sales/catalogue/_product_choices.html",
                  {"results": results, "query": query, "price_list": price_list})


# ---------- Price lists ----------

class PriceListListView(RecordListView):
    model = PriceList
    template_name = "sales/catalogue/pricelist_list.html"
    fragment_template_name = "sales/catalogue/_pricelist_table.html"
    filter_form_class = PriceListFilterForm
    list_key = "price_lists"
    default_sort = "name"
    search_placeholder = gettext_lazy("Name…")
    columns = (
        Column("name", _label(PriceList, "name"), ("name",), always=True),
        Column("currency", _label(PriceList, "currency"), ("currency",)),
        Column("items", gettext_lazy("Products"), ("item_count",)),
        Column("valid_from", _label(PriceList, "valid_from"), ("valid_from",)),
        Column("valid_until", _label(PriceList, "valid_until"), ("valid_until",)),
        Column("is_active", gettext_lazy("Status"), ("is_active",)),
    )

    def narrow(self, queryset):
        # The products counted here too, so that the list's export (which narrows its own records) has them.
        return super().narrow(queryset).annotate(
            item_count=Count("items", filter=Q(items__product__deleted_at__isnull=True)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(target="pricelist-results", can_manage=quoting.can_manage_catalogue(self.request.user))
        return context


pricelist_list = PriceListListView.as_view()


def _prices_context(request, price_list, add_form=None, failed_item=None):
    """The price list's prices (one page, narrowed by `pq`), with a form per row and an add form for managers."""
    can_manage = quoting.can_manage_catalogue(request.user)
    query = (request.GET.get("pq") or request.POST.get("pq") or "").strip()[:200]
    items = (price_list.items.filter(product__deleted_at__isnull=True).select_related("product")
             .order_by("product__code", "pk"))
    if query:
        for word in query.split()[:8]:
            items = items.filter(Q(product__code__icontains=word) | Q(product__name__icontains=word))
    page = Paginator(items, PRICES_PAGE_SIZE).get_page(request.GET.get("page") or request.POST.get("page"))
    rows = list(page.object_list)
    if can_manage:
        for item in rows:
            if failed_item is not None and failed_item.instance.pk == item.pk:
                item.form = failed_item
            else:
                item.form = PriceForm(with_product=False, prefix=f"item-{item.pk}",
                                      initial={"unit_price": plain(item.unit_price)})
    return {
        "price_list": price_list,
        "page": page,
        "items": rows,
        "pq": query,
        "can_manage": can_manage,
        "add_form": (add_form or PriceForm()) if can_manage else None,
    }


def _prices_response(request, price_list, status=200, **forms):
    context = _prices_context(request, price_list, **forms)
    if request.htmx:
        return render(request, "sales/catalogue/_pricelist_items.html", context, status=status)
    return _pricelist_page(request, price_list, context, status)


def _pricelist_page(request, price_list, prices_context, status=200):
    return render(request, "sales/catalogue/pricelist_detail.html", {
        **prices_context, "history": visible_history(price_list, request.user),
    }, status=status)


@login_required
def pricelist_detail(request, pk):
    price_list = get_for_user(PriceList, request.user, pk)
    context = _prices_context(request, price_list)
    if request.htmx and request.GET.get("fragment") == "prices":
        return render(request, "sales/catalogue/_pricelist_items.html", context)
    return _pricelist_page(request, price_list, context)


@login_required
def pricelist_create(request):
    _require_manager(request.user)
    form = PriceListForm(request.POST if request.method == "POST" else None, instance=PriceList(), user=request.user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("“%(name)s” was created. Add its prices below.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "sales/catalogue/pricelist_form.html", {"form": form})


@login_required
def pricelist_edit(request, pk):
    price_list = get_for_user(PriceList, request.user, pk, write=True)
    return edit_page(request, price_list, PriceListForm, "sales/catalogue/pricelist_form.html",
                     "sales:pricelist_edit", "price_list")


@login_required
@require_POST
def pricelist_delete(request, pk):
    price_list = get_for_user(PriceList, request.user, pk, write=True)
    move_to_recycle_bin(request, price_list, _("“%(name)s” was moved to the recycle bin. Quotes made from it keep their prices.")
                        % {"name": price_list})
    return redirect("sales:pricelist_list")


class _ItemForm(PriceForm):
    """A row's price form, remembering which price it is about."""

    def __init__(self, *args, instance, **kwargs):
        super().__init__(*args, with_product=False, prefix=f"item-{instance.pk}", **kwargs)
        self.instance = instance


def _apply_refusal(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_POST
def pricelist_price_add(request, pk):
    """Add a product's price (or change it, if the product is already in the list)."""
    price_list = get_for_user(PriceList, request.user, pk, write=True)
    form = PriceForm(request.POST)
    return _save_price(request, price_list, form, lambda: form.cleaned_data["product"], "add_form")


@login_required
@require_POST
def pricelist_price_edit(request, pk, item_pk):
    price_list = get_for_user(PriceList, request.user, pk, write=True)
    item = get_object_or_404(PriceListItem.objects.select_related("product"), pk=item_pk, price_list=price_list)
    form = _ItemForm(request.POST, instance=item)
    return _save_price(request, price_list, form, lambda: item.product, "failed_item")


def _save_price(request, price_list, form, product, form_name: str):
    """Set the price the valid `form` gives for `product()`; a refusal re-renders the prices with the form
    (named `form_name` in the fragment) showing its errors."""
    if form.is_valid():
        try:
            quoting.set_price(price_list, product(), form.cleaned_data["unit_price"], request.user)
        except ValidationError as exc:
            _apply_refusal(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("Price saved."))
                return redirect(price_list)
            return _prices_response(request, price_list)
    return _prices_response(request, price_list, status=422 if not request.htmx else 200, **{form_name: form})


@login_required
@require_POST
def pricelist_price_delete(request, pk, item_pk):
    price_list = get_for_user(PriceList, request.user, pk, write=True)
    item = get_object_or_404(PriceListItem.objects.select_related("product"), pk=item_pk, price_list=price_list)
    quoting.remove_price(item, request.user)
    if not request.htmx:
        messages.success(request, _("Price removed."))
        return redirect(price_list)
    return _prices_response(request, price_list)

