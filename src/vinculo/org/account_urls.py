"""The user's own pages under /account/ (the API tokens page, /account/tokens/, is the api app's)."""

from django.urls import path

from . import account_views

urlpatterns = [
    path("", account_views.profile_page, name="profile"),
    path("password/", account_views.password_change, name="password_change"),
    path("sessions/end-others/", account_views.sessions_end_others, name="sessions_end_others"),
    path("sessions/<int:pk>/end/", account_views.session_end, name="session_end"),
    path("photo/<int:pk>/", account_views.photo, name="user_photo"),
]
