from django.urls import path

from .views import catalogue as views

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/choices/", views.product_autocomplete, name="product_autocomplete"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/delete/", views.product_delete, name="product_delete"),
    path("price-lists/", views.pricelist_list, name="pricelist_list"),
    path("price-lists/new/", views.pricelist_create, name="pricelist_create"),
    path("price-lists/<int:pk>/", views.pricelist_detail, name="pricelist_detail"),
    path("price-lists/<int:pk>/edit/", views.pricelist_edit, name="pricelist_edit"),
    path("price-lists/<int:pk>/delete/", views.pricelist_delete, name="pricelist_delete"),
    path("price-lists/<int:pk>/prices/", views.pricelist_price_add, name="pricelist_price_add"),
    path("price-lists/<int:pk>/prices/<int:item_pk>/", views.pricelist_price_edit, name="pricelist_price_edit"),
    path("price-lists/<int:pk>/prices/<int:item_pk>/delete/", views.pricelist_price_delete,
         name="pricelist_price_delete"),
]
