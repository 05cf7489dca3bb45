from django import forms

from staff.models import EmploymentStatus, StaffMember

from .models import FIELDS, Difference


class UserListUploadForm(forms.Form):
    file = forms.FileField(label="User list (CSV or XLSX)",
                           help_text="The list of users the portal's administrator screen exports or the portal mails you.")


class MappingForm(forms.Form):
    """One select per PortalGov field, offering the file's headers."""

    def __init__(self, *args, headers, initial_columns=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "— not in this file —")] + [(h, h) for h in headers]
        guesses = _guess(headers)
        for field, label in FIELDS.items():
            self.fields[field] = forms.ChoiceField(
                label=label, choices=choices, required=(field == "user_id"),
                initial=(initial_columns or {}).get(field) or guesses.get(field, ""))

    def columns(self) -> dict:
        return {f: self.cleaned_data.get(f, "") for f in FIELDS if self.cleaned_data.get(f)}


_HINTS = {
    "user_id": ("user id", "userid", "username", "user name", "login", "login id"),
    "full_name": ("name", "full name", "user", "display name"),
    "email": ("email", "e-mail", "email address"),
    "status": ("status", "account status", "state"),
    "last_login": ("last login", "last logon", "last sign-in", "last login date", "last access"),
    "functions": ("functions", "roles", "role", "permissions", "access"),
    "tin": ("tin", "tax id", "ein"),
}


def _guess(headers) -> dict:
    out = {}
    for field, hints in _HINTS.items():
        for h in headers:
            if h.strip().lower() in hints and h not in out.values():
                out[field] = h
                break
    return out


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(choices=Difference.Resolution.choices)
    reason = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    payer_confirmation = forms.CharField(required=False, max_length=300, label="Portal's confirmation")
    staff_member = forms.ModelChoiceField(queryset=StaffMember.objects.none(), required=False, label="Person")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff_member"].queryset = StaffMember.objects.filter(
            organization=organization, employment_status=EmploymentStatus.ACTIVE).order_by("full_name")


class PolicyForm(forms.Form):
    unresolved_limit_days = forms.IntegerField(min_value=1, max_value=365, label="Days before an unresolved difference becomes a finding")
