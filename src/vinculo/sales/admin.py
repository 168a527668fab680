from django.contrib import admin

from vinculo.core.admin import SuperuserOnlyAdmin

from .models import (
    Competitor,
    CompetitorContact,
    Lead,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    PipelineStage,
    PriceList,
    PriceListItem,
    Product,
    Quote,
    QuoteLine,
)


@admin.register(PipelineStage)
class PipelineStageAdmin(admin.ModelAdmin):
    """The pipeline, edited in place: order, default probability and whether the board shows the stage.
    A stage in use by deals cannot be deleted; take it out of use instead."""

    list_display = ("name", "order", "probability", "is_active")
    list_editable = ("order", "probability", "is_active")
    list_display_links = ("name",)
    ordering = ("order", "id")


class OpportunityContactInline(admin.TabularInline):
    model = OpportunityContact
    extra = 0
    raw_id_fields = ("contact",)


class OpportunityLineInline(admin.TabularInline):
    model = OpportunityLine
    extra = 0
    raw_id_fields = ("product",)


class OpportunityCompetitorInline(admin.TabularInline):
    model = OpportunityCompetitor
    extra = 0


@admin.register(Opportunity)
class OpportunityAdmin(SuperuserOnlyAdmin):
    """For administrators only (they see all records); everyone else uses the app's own pages."""

    list_display = ("name", "account", "stage", "status", "amount", "currency", "expected_close_date", "owner",
                    "deleted_at")
    list_filter = ("status", "stage", "currency", "business_unit")
    search_fields = ("name", "account__legal_name")
    raw_id_fields = ("account", "owner", "campaign")
    list_select_related = ("account", "stage", "owner")
    inlines = [OpportunityContactInline, OpportunityLineInline, OpportunityCompetitorInline]

    def get_queryset(self, request):
        return Opportunity.all_objects.select_related("account", "stage", "owner")


@admin.register(Lead)
class LeadAdmin(SuperuserOnlyAdmin):
    list_display = ("__str__", "email", "status", "source", "owner", "deleted_at")
    list_filter = ("status", "source", "rating")
    search_fields = ("first_name", "last_name", "company", "email")
    raw_id_fields = ("owner", "campaign", "industry", "territory")
    list_select_related = ("owner",)

    def get_queryset(self, request):
        return Lead.all_objects.select_related("owner")


class CompetitorContactInline(admin.TabularInline):
    model = CompetitorContact
    extra = 0


@admin.register(Competitor)
class CompetitorAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "country", "website", "deleted_at")
    search_fields = ("name",)
    inlines = [CompetitorContactInline]

    def get_queryset(self, request):
        return Competitor.all_objects.all()


@admin.register(Product)
class ProductAdmin(SuperuserOnlyAdmin):
    list_display = ("code", "name", "family", "unit", "tax_rate", "is_active", "deleted_at")
    list_filter = ("is_active", "family", "unit")
    search_fields = ("code", "name")

    def get_queryset(self, request):
        return Product.all_objects.all()


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    extra = 0
    raw_id_fields = ("product",)


@admin.register(PriceList)
class PriceListAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "currency", "is_active", "valid_from", "valid_until", "deleted_at")
    list_filter = ("currency", "is_active")
    inlines = [PriceListItemInline]

    def get_queryset(self, request):
        return PriceList.all_objects.all()


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    raw_id_fields = ("product",)
    readonly_fields = ("net_amount", "tax_amount", "total_amount")


@admin.register(Quote)
class QuoteAdmin(SuperuserOnlyAdmin):
    """Read mostly: totals and status follow from the quote's lines and workflow (sales.quoting)."""

    list_display = ("number", "revision", "opportunity", "status", "total", "currency", "issued_on", "deleted_at")
    list_filter = ("status", "currency")
    search_fields = ("number", "opportunity__name")
    raw_id_fields = ("opportunity", "contact", "owner", "price_list")
    list_select_related = ("opportunity",)
    inlines = [QuoteLineInline]

    def get_queryset(self, request):
        return Quote.all_objects.select_related("opportunity")
