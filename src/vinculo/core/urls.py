from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.recycle_bin, name="recycle_bin"),
    path("<str:kind>/<int:pk>/restore/", views.restore, name="restore"),
]
