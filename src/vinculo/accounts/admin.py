from django.contrib import admin

from vinculo.core.admin import SuperuserOnlyAdmin

from .models import Account, AccountTeamMember, Address, Industry


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0
    fields = ("kind", "street", "city", "region", "postal_code", "country")


class AccountTeamMemberInline(admin.TabularInline):
    model = AccountTeamMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Account)
class AccountAdmin(SuperuserOnlyAdmin):
    """For administrators only (they see all records); everyone else uses the app's own pages."""

    list_display = ("legal_name", "tax_id", "account_type", "owner", "territory", "deleted_at")
    list_filter = ("account_type", "territory", "rating")
    search_fields = ("legal_name", "trade_name", "tax_id")
    raw_id_fields = ("owner", "supervisor", "support_user", "parent")
    list_select_related = ("owner", "territory")
    inlines = [AddressInline, AccountTeamMemberInline]

    def get_queryset(self, request):
        return Account.all_objects.select_related("owner", "territory")


admin.site.register(Industry)
