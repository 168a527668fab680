from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.recycle_bin, name="recycle_bin"),
]
