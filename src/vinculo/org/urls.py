from django.urls import path

from . import admin_views, currencies, views
from .team_settings import teams

app_name = "org"
urlpatterns = [
    path("settings/", admin_views.settings_page, name="settings"),
    path("currencies/", currencies.currencies_page, name="currencies"),
    path("access-defaults/", admin_views.access_defaults_page, name="access_defaults"),
    path("company/", admin_views.company_profile, name="company_profile"),
    path("structure/", admin_views.structure, name="structure"),
    path("structure/<str:kind>/new/", admin_views.structure, name="structure_add"),
    path("structure/<str:kind>/<int:pk>/", admin_views.structure, name="structure_edit"),
    path("structure/<str:kind>/<int:pk>/delete/", admin_views.structure_delete, name="structure_delete"),
    path("users/", admin_views.user_list, name="user_list"),
    path("users/invite/", admin_views.user_invite, name="user_invite"),
    path("users/<int:pk>/", admin_views.user_edit, name="user_edit"),
    path("users/<int:pk>/reassign/", admin_views.user_reassign, name="user_reassign"),
    path("territories/", views.territory_list, name="territory_list"),
    path("territories/new/", views.territory_create, name="territory_create"),
    path("territories/apply-rules/", views.territory_apply_rules, name="territory_apply_rules"),
    path("territories/<int:pk>/", views.territory_detail, name="territory_detail"),
    path("territories/<int:pk>/edit/", views.territory_edit, name="territory_edit"),
    path("territories/<int:pk>/rules/", views.territory_rule_add, name="territory_rule_add"),
    path("territories/<int:pk>/rules/<int:rule_pk>/delete/", views.territory_rule_delete, name="territory_rule_delete"),
    path("sales-teams/", views.sales_team_list, name="sales_team_list"),
    *teams.urls("sales-teams/manage"),
    path("sales-teams/<int:pk>/", views.sales_team_detail, name="sales_team_detail"),
    path("sales-teams/<int:pk>/members/", views.sales_team_member_add, name="sales_team_member_add"),
    path("sales-teams/<int:pk>/members/<int:user_pk>/remove/", views.sales_team_member_remove,
         name="sales_team_member_remove"),
    path("exchange-rates/", views.exchange_rate_list, name="exchange_rate_list"),
    path("exchange-rates/new/", views.exchange_rate_create, name="exchange_rate_create"),
    path("exchange-rates/import/", views.exchange_rate_import, name="exchange_rate_import"),
    path("exchange-rates/<int:pk>/edit/", views.exchange_rate_edit, name="exchange_rate_edit"),
    path("exchange-rates/<int:pk>/delete/", views.exchange_rate_delete, name="exchange_rate_delete"),
]
