from django.contrib import admin

from vinculo.core.admin import SuperuserOnlyAdmin

from .models import Contact


@admin.register(Contact)
class ContactAdmin(SuperuserOnlyAdmin):
    list_display = ("last_name", "first_name", "email", "account", "owner", "deleted_at")
    search_fields = ("last_name", "first_name", "email")
    raw_id_fields = ("owner", "account")
    list_select_related = ("account", "owner")

    def get_queryset(self, request):
        return Contact.all_objects.select_related("account", "owner")
