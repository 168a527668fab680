from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    BusinessUnit,
    ExchangeRate,
    Office,
    OrgDefault,
    Role,
    SalesTeam,
    SalesTeamMember,
    Territory,
    TerritoryRule,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Profile"), {"fields": ("role", "manager", "business_unit", "office", "territories", "language",
                                   "currency", "time_zone", "phone")}),
    )
    list_display = ("username", "first_name", "last_name", "role", "manager", "office", "is_active")
    list_filter = ("role", "business_unit", "office", "is_active", "is_superuser")
    list_select_related = ("role", "manager", "office")
    filter_horizontal = ("territories", "groups", "user_permissions")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "path")
    list_select_related = ("parent",)


class TerritoryRuleInline(admin.TabularInline):
    model = TerritoryRule
    extra = 1


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "grants_access", "path")
    list_filter = ("kind", "grants_access")
    list_select_related = ("parent",)
    inlines = [TerritoryRuleInline]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("date", "currency", "rate", "source")
    list_filter = ("currency",)
    date_hierarchy = "date"


class SalesTeamMemberInline(admin.TabularInline):
    model = SalesTeamMember
    extra = 1


@admin.register(SalesTeam)
class SalesTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "business_unit")
    inlines = [SalesTeamMemberInline]


@admin.register(OrgDefault)
class OrgDefaultAdmin(admin.ModelAdmin):
    list_display = ("record_type", "access")


admin.site.register(BusinessUnit)
admin.site.register(Office)
