from django.urls import path

from .views import quotes as views

urlpatterns = [
    path("", views.quote_list, name="quote_list"),
    path("new/", views.quote_create, name="quote_create"),
    path("<int:pk>/", views.quote_detail, name="quote_detail"),
    path("<int:pk>/edit/", views.quote_edit, name="quote_edit"),
    path("<int:pk>/pdf/", views.quote_pdf, name="quote_pdf"),
    path("<int:pk>/send/", views.quote_send, name="quote_send"),
    path("<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("<int:pk>/reject/", views.quote_reject, name="quote_reject"),
    path("<int:pk>/revise/", views.quote_revise, name="quote_revise"),
    path("<int:pk>/delete/", views.quote_delete, name="quote_delete"),
    path("<int:pk>/lines/", views.quote_line_add, name="quote_line_add"),
    path("<int:pk>/lines/<int:line_pk>/", views.quote_line_edit, name="quote_line_edit"),
    path("<int:pk>/lines/<int:line_pk>/delete/", views.quote_line_delete, name="quote_line_delete"),
]
