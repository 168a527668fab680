from django.urls import path

from . import routes, views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_create, name="create"),
    path("autocomplete/", views.account_autocomplete, name="autocomplete"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/delete/", views.account_delete, name="delete"),
    path("<int:pk>/make-customer/", views.account_make_customer, name="make_customer"),
    path("<int:pk>/contacts/", views.account_section, {"name": "contacts"}, name="contacts"),
    path("<int:pk>/timeline/", views.account_section, {"name": "timeline"}, name="timeline"),
    path("<int:pk>/sales/", views.account_sales, name="sales"),
    path("<int:pk>/team/", views.team_add, name="team_add"),
    path("<int:pk>/team/<int:member_pk>/remove/", views.team_remove, name="team_remove"),
    path("<int:pk>/addresses/", views.address_add, name="address_add"),
    path("<int:pk>/addresses/<int:address_pk>/remove/", views.address_remove, name="address_remove"),
    path("<int:pk>/lists/<slug:name>/", views.account_section, name="related"),
    *routes.patterns(),
]
