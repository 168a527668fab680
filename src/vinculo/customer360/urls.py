"""Routes of an account's related records, served under /accounts/ in the "accounts" namespace (accounts.routes)."""

from django.urls import path

from . import views

urlpatterns = [
    *views.assets.urls(),
    *views.contracts.urls(),
    *views.invoices.urls(),
    *views.notes.urls(),
    *views.deliveries.urls(),
    *views.documents.urls(),
    path("invoices/<int:invoice_pk>/payments/new/", views.payment_create, name="payment_create"),
    path("payments/<int:pk>/delete/", views.payment_delete, name="payment_delete"),
    path("files/<int:pk>/versions/new/", views.document_upload, name="document_upload"),
    path("files/versions/<int:version_pk>/download/", views.document_download, name="document_download"),
]
