"""The user's own pages under /account/ (the API tokens page, /account/tokens/, is the api app's)."""

from django.urls import include, path

from . import account_views, twofactor_views

urlpatterns = [
    path("", account_views.profile_page, name="profile"),
    path("password/", account_views.password_change, name="password_change"),
    path("sessions/end-others/", account_views.sessions_end_others, name="sessions_end_others"),
    path("sessions/<int:pk>/end/", account_views.session_end, name="session_end"),
    path("photo/<int:pk>/", account_views.photo, name="user_photo"),
    path("two-factor/", twofactor_views.overview, name="two_factor"),
    path("two-factor/verify/", twofactor_views.verify, name="two_factor_verify"),
    path("two-factor/app/", twofactor_views.totp_setup, name="two_factor_totp"),
    path("two-factor/<str:kind>/<int:pk>/remove/", twofactor_views.remove, name="two_factor_remove"),
    path("two-factor/recovery-codes/", twofactor_views.recovery_codes, name="two_factor_recovery_codes"),
    path("two-factor/webauthn/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
]
