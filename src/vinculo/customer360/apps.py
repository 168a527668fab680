from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Customer360Config(AppConfig):
    name = "vinculo.customer360"
    verbose_name = _("Customer 360")

    def ready(self):
        from .report_types import register_types as register_report_types

        register_report_types()
        from vinculo.core import lists

        lists.register("contracts", _("Contracts"), "accounts:contract_list", [
            lists.Preset("expiring-60-days", _("Contracts expiring in 60 days"), query={"expiring": "60"}),
        ])
        lists.register("invoices", _("Invoices"), "accounts:invoice_list", [
            lists.Preset("overdue", _("Overdue invoices"), query={"balance": "overdue"}),
        ])
        for key, label, page in (("assets", _("Assets"), "asset"), ("notes", _("Notes"), "note"),
                                 ("deliveries", _("Content deliveries"), "delivery"),
                                 ("documents", _("Files"), "document")):
            lists.register(key, label, f"accounts:{page}_list")
        from vinculo.accounts import routes
        from vinculo.contacts import page as contact_page
        from vinculo.core import records, subjects
        from vinculo.core.api import routers

        from . import api, services, urls
        from . import page as sections
        from .models import ContentDelivery, Contract, CustomerAsset, Document, Note

        subjects.register_mover(Note, services.move_notes)
        # Invoices are in the recycle bin too (order 60): accounts registers them, with their model.
        for key, model, order in (("asset", CustomerAsset, 40), ("contract", Contract, 50), ("note", Note, 70),
                                  ("delivery", ContentDelivery, 80), ("document", Document, 90)):
            records.register(key, model, order=order)
        sections.register_sections()
        contact_page.sections.register("notes", "customer360/_contact_notes.html", load=sections.contact_notes,
                                       order=40)
        routes.register(urls.urlpatterns)
        for prefix, router, order in (
            ("/assets", api.assets, 40), ("/contracts", api.contracts, 50),
            ("/invoices", api.invoices, 60), ("/payments", api.payments, 70),
            ("/notes", api.notes, 80), ("/files", api.files, 90),
            ("/content-deliveries", api.content_deliveries, 100),
        ):
            routers.register(prefix, router, order=order)
