from django.contrib import admin

from .models import RefusalBurst


@admin.register(RefusalBurst)
class RefusalBurstAdmin(admin.ModelAdmin):
    """Read-only working state of refusal counting; the evidence is in the audit log."""

    list_display = ["action", "source", "address", "window_start", "count", "reported_at"]
    search_fields = ["source", "actor_label", "address"]
    readonly_fields = [f.name for f in RefusalBurst._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
