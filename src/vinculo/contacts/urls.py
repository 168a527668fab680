from django.urls import path

from . import views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("new/", views.contact_create, name="create"),
    path("<int:pk>/", views.contact_detail, name="detail"),
    path("<int:pk>/sections/<slug:key>/", views.contact_section, name="section"),
    path("<int:pk>/edit/", views.contact_edit, name="edit"),
    path("<int:pk>/accounts/", views.account_link_add, name="account_link_add"),
    path("<int:pk>/accounts/<int:link_pk>/remove/", views.account_link_remove, name="account_link_remove"),
    path("<int:pk>/delete/", views.contact_delete, name="delete"),
]
