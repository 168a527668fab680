from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued through the API; here an administrator sees and revokes them."""

    list_display = ["prefix", "name", "user", "created_at", "expires_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "user__username"]
    readonly_fields = ["user", "prefix", "name", "created_at", "expires_at", "last_used_at"]

    def has_add_permission(self, request):
        return False
