from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.upload, name="upload"),
    path("import/<int:pk>/mapping/", views.mapping, name="mapping"),
    path("import/<int:pk>/", views.detail, name="detail"),
    path("import/<int:pk>/rejected.csv", views.rejected, name="rejected"),
    path("import/<int:pk>/revert/", views.revert, name="revert"),
    path("import/<int:pk>/resume/", views.resume, name="resume"),
    path("export/job/<int:pk>/", views.export_detail, name="export_detail"),
    path("export/job/<int:pk>/download/", views.export_download, name="export_download"),
    path("export/<str:kind>.<str:fmt>", views.export, name="export"),
]
