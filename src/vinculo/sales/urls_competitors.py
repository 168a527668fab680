from django.urls import path

from .views import competitors as views

urlpatterns = [
    path("", views.competitor_list, name="competitor_list"),
    path("new/", views.competitor_create, name="competitor_create"),
    path("<int:pk>/", views.competitor_detail, name="competitor_detail"),
    path("<int:pk>/edit/", views.competitor_edit, name="competitor_edit"),
    path("<int:pk>/delete/", views.competitor_delete, name="competitor_delete"),
    path("<int:pk>/contacts/", views.competitor_contact_add, name="competitor_contact_add"),
    path("<int:pk>/contacts/<int:contact_pk>/remove/", views.competitor_contact_remove,
         name="competitor_contact_remove"),
]
