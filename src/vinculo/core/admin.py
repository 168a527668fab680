from django.contrib import admin


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Record admins bypass the privacy model, so only superusers (who see everything anyway) get them."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_change_permission = has_add_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False  # deletion goes through the recycle bin
