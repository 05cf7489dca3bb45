from django.contrib import admin

from .models import ComplianceSnapshot


@admin.register(ComplianceSnapshot)
class ComplianceSnapshotAdmin(admin.ModelAdmin):
    list_display = ["organization", "day", "taken_at"]
    list_filter = ["day"]
    readonly_fields = ["figures"]
