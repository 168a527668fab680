from django.urls import path

from . import saved_view_pages, views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.builder, name="builder"),
    path("new/export.<str:fmt>", views.builder_export, name="builder_export"),
    path("save/", views.save, name="save"),
    path("p/<slug:slug>/", views.predefined, name="predefined"),
    path("p/<slug:slug>/export.<str:fmt>", views.predefined_export, name="predefined_export"),
    path("<int:pk>/", views.saved, name="saved"),
    path("<int:pk>/export.<str:fmt>", views.saved_export, name="saved_export"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("views/save/", saved_view_pages.save, name="view_save"),
    path("views/<int:pk>/", saved_view_pages.edit, name="view_edit"),
    path("views/<int:pk>/delete/", saved_view_pages.delete, name="view_delete"),
    path("<int:pk>/subscription/", views.subscription, name="subscribe"),
]
