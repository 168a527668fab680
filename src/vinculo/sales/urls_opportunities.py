from django.urls import path

from .views import opportunities as views

urlpatterns = [
    path("", views.opportunity_list, name="opportunity_list"),
    path("board/", views.opportunity_board, name="opportunity_board"),
    path("contacts/choices/", views.opportunity_contact_choices, name="opportunity_contact_choices"),
    path("new/", views.opportunity_create, name="opportunity_create"),
    path("<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("<int:pk>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("<int:pk>/delete/", views.opportunity_delete, name="opportunity_delete"),
    path("<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("<int:pk>/close/", views.opportunity_close, name="opportunity_close"),
    path("<int:pk>/reopen/", views.opportunity_reopen, name="opportunity_reopen"),
    path("<int:pk>/contacts/", views.opportunity_contact_add, name="opportunity_contact_add"),
    path("<int:pk>/contacts/<int:entry_pk>/remove/", views.opportunity_contact_remove,
         name="opportunity_contact_remove"),
    path("<int:pk>/lines/", views.opportunity_line_add, name="opportunity_line_add"),
    path("<int:pk>/lines/<int:line_pk>/remove/", views.opportunity_line_remove, name="opportunity_line_remove"),
    path("<int:pk>/competitors/", views.opportunity_competitor_add, name="opportunity_competitor_add"),
    path("<int:pk>/competitors/<int:entry_pk>/", views.opportunity_competitor_edit,
         name="opportunity_competitor_edit"),
    path("<int:pk>/competitors/<int:entry_pk>/remove/", views.opportunity_competitor_remove,
         name="opportunity_competitor_remove"),
]
