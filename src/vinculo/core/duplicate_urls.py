from django.urls import path

from . import duplicate_views as views

app_name = "duplicates"
urlpatterns = [
    path("<slug:kind>/", views.pairs, name="list"),
    path("<slug:kind>/check/", views.check, name="check"),
    path("<slug:kind>/<int:pk>/merge/<int:other_pk>/", views.merge, name="merge"),
]
