from django import forms
from django.utils import timezone

from core.forms import IsoDateInput

from .services import CREDENTIAL_PERMISSIONS

LABELS = {
    "accounts.view_organization": "Read the organization's profile",
    "accounts.view_staff": "Read the staff roster",
    "accounts.manage_staff": "Add, change and terminate staff (HR sync)",
    "accounts.view_portal_accounts": "Read portal accounts (no password data)",
    "accounts.view_findings": "Read open findings",
    "accounts.view_audit_log": "Read the audit log",
    "accounts.export_audit_log": "Export the audit log",
    "scim": "SCIM provisioning: identity provider creates, changes and deactivates people (/scim/v2/)",
}


class CredentialForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Which system uses it, e.g. “HR system (BambooHR)”.")
    permissions = forms.MultipleChoiceField(
        choices=[(p, LABELS.get(p, p)) for p in CREDENTIAL_PERMISSIONS], widget=forms.CheckboxSelectMultiple,
        help_text="Only what the integration needs.",
    )
    expires_on = forms.DateField(required=False, help_text="Optional: the token stops working at the start of this day.",
                                 widget=IsoDateInput())

    def clean_expires_on(self):
        value = self.cleaned_data.get("expires_on")
        if value and value <= timezone.localdate():
            raise forms.ValidationError("The expiry must be after today.")
        return value
