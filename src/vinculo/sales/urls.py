from django.urls import include, path

from .stage_settings import stages

app_name = "sales"
urlpatterns = [
    path("leads/", include("vinculo.sales.urls_leads")),
    path("opportunities/", include("vinculo.sales.urls_opportunities")),
    path("competitors/", include("vinculo.sales.urls_competitors")),
    path("catalogue/", include("vinculo.sales.urls_catalogue")),
    path("quotes/", include("vinculo.sales.urls_quotes")),
    *stages.urls("stages"),
]
