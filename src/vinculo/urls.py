from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from vinculo.api.urls import api
from vinculo.core import views as core_views
from vinculo.home import home
from vinculo.org.account_forms import PasswordResetForm, SetPasswordForm
from vinculo.org.signin import LoginForm

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Forgotten password: Django's signed, expiring, single-use link; the same answer whether or not the
    # address belongs to someone. The e-mail is in the language of the user it goes to.
    path("password-reset/", auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
         name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/",
         auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordForm), name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("language/", core_views.set_language, name="set_language"),
    path("currency/", core_views.set_currency, name="set_currency"),
    path("search/", core_views.global_search, name="search"),
    path("recycle-bin/", include("vinculo.core.urls")),
    path("duplicates/", include("vinculo.core.duplicate_urls")),
    path("accounts/", include("vinculo.accounts.urls")),
    path("contacts/", include("vinculo.contacts.urls")),
    path("plans/", include("vinculo.plans.urls")),
    path("activities/", include("vinculo.activities.urls")),
    path("sales/", include("vinculo.sales.urls")),
    path("marketing/", include("vinculo.marketing.urls")),
    path("exchange/", include("vinculo.exchange.urls")),
    path("work/", include("vinculo.work.urls")),
    path("reports/", include("vinculo.reports.urls")),
    path("org/", include("vinculo.org.urls")),
    path("account/tokens/", include("vinculo.api.page_urls")),
    path("account/", include("vinculo.org.account_urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
