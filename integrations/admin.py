from django.contrib import admin

from .models import ApiCredential


@admin.register(ApiCredential)
class ApiCredentialAdmin(admin.ModelAdmin):
    """Read-only: credentials are created and revoked on the Integrations page (audited, token shown once)."""

    list_display = ["name", "organization", "key_id", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["organization"]
    readonly_fields = [f.name for f in ApiCredential._meta.fields if f.name != "secret_hash"]
    exclude = ["secret_hash"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
