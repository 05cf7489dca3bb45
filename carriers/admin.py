"""Admin for odd fix-ups only; the directory pages are the product UI."""

from django.contrib import admin

from . import models


@admin.register(models.PortalFunction)
class PortalFunctionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sensitivity", "sort_order"]


@admin.register(models.Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "reference_key", "mac_type", "verification", "is_active"]
    list_filter = ["verification", "is_active", "mac_type"]
    search_fields = ["name", "reference_key"]
    list_select_related = ["organization"]


@admin.register(models.Portal)
class PortalAdmin(admin.ModelAdmin):
    list_display = ["name", "architecture", "organization", "reference_key", "verification", "is_active"]
    list_filter = ["architecture", "verification", "is_active"]
    search_fields = ["name", "operator", "reference_key"]
    list_select_related = ["organization"]


@admin.register(models.PortalAccountRule)
class PortalAccountRuleAdmin(admin.ModelAdmin):
    list_display = ["portal", "kind", "value", "number", "verification", "as_of"]
    list_filter = ["kind", "verification"]
    list_select_related = ["portal"]


@admin.register(models.PortalReach)
class PortalReachAdmin(admin.ModelAdmin):
    list_display = ["carrier", "portal", "organization", "verification"]
    list_select_related = ["carrier", "portal", "organization"]


class MacCoverageInline(admin.TabularInline):
    model = models.MacCoverage
    extra = 0


@admin.register(models.MacJurisdiction)
class MacJurisdictionAdmin(admin.ModelAdmin):
    list_display = ["code", "jurisdiction_type", "contractor", "portal", "verification"]
    list_select_related = ["portal"]
    inlines = [MacCoverageInline]


@admin.register(models.MacCoverage)
class MacCoverageAdmin(admin.ModelAdmin):
    list_display = ["state", "jurisdiction", "part"]
    list_select_related = ["jurisdiction"]


@admin.register(models.Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["organization", "carrier", "line_of_business", "effective_date", "end_date"]
    list_select_related = ["organization", "carrier"]


@admin.register(models.PortalEnrollment)
class PortalEnrollmentAdmin(admin.ModelAdmin):
    list_display = ["organization", "portal", "tin", "npi", "ptan", "status"]
    list_filter = ["status"]
    list_select_related = ["organization", "portal"]
