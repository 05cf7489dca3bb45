from django.contrib import admin

from .models import TrainingCompletion, TrainingModule


@admin.register(TrainingModule)
class TrainingModuleAdmin(admin.ModelAdmin):
    list_display = ("title", "organization", "scope", "renewal_months", "is_active")
    list_filter = ("scope", "is_active")
    search_fields = ("title",)
    list_select_related = ("organization",)
    raw_id_fields = ("organization", "portal", "function")


@admin.register(TrainingCompletion)
class TrainingCompletionAdmin(admin.ModelAdmin):
    list_display = ("staff_member", "module", "completed_on", "expires_on", "method")
    list_filter = ("method",)
    list_select_related = ("staff_member", "module")
    raw_id_fields = ("organization", "staff_member", "module", "recorded_by")
