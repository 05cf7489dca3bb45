from django import forms

from .models import GroupNPI, MedicarePTAN, Organization, PracticeLocation, Role
from .validators import STATE_CHOICES, format_tin, normalize_tin, validate_tin


class OrganizationForm(forms.ModelForm):
    billing_states = forms.MultipleChoiceField(
        choices=STATE_CHOICES, required=False, widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Hold Ctrl (Cmd on a Mac) to choose several.",
    )
    tin = forms.CharField(label="TIN (EIN)", max_length=12, help_text="9 digits, e.g. 12-3456789.")

    class Meta:
        model = Organization
        fields = ["legal_name", "tin", "billing_states", "practice_state", "practice_county", "time_zone"]
        widgets = {"practice_state": forms.Select(choices=[("", "—")] + STATE_CHOICES)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["tin"] = format_tin(self.instance.tin)
        self.fields["time_zone"].required = False  # left out: the zone stays as it is

    def clean_time_zone(self):
        return self.cleaned_data.get("time_zone") or self.instance.time_zone or "America/New_York"

    def clean_tin(self):
        value = self.cleaned_data["tin"]
        validate_tin(value)
        return normalize_tin(value)


class _OrganizationChildForm(forms.ModelForm):
    """A form for a row that belongs to one organization, unique within it by `unique_field`."""

    unique_field = ""
    unique_message = "This organization already has this number."

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.instance.organization = organization

    def clean(self):
        cleaned = super().clean()
        value = cleaned.get(self.unique_field)
        model = self._meta.model
        if value and model.objects.filter(organization=self.organization, **{self.unique_field: value}).exists():
            self.add_error(self.unique_field, self.unique_message)
        return cleaned


class GroupNPIForm(_OrganizationChildForm):
    unique_field = "npi"

    class Meta:
        model = GroupNPI
        fields = ["npi", "label"]


class MedicarePTANForm(_OrganizationChildForm):
    unique_field = "ptan"

    class Meta:
        model = MedicarePTAN
        fields = ["ptan", "state", "npi"]
        widgets = {"state": forms.Select(choices=STATE_CHOICES)}

    def clean_ptan(self):
        return self.cleaned_data["ptan"].strip().upper()


class PracticeLocationForm(_OrganizationChildForm):
    unique_field = "name"
    unique_message = "This practice already has a location with this name."

    class Meta:
        model = PracticeLocation
        fields = ["name", "state", "county"]
        widgets = {"state": forms.Select(choices=STATE_CHOICES)}

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_county(self):
        return self.cleaned_data["county"].strip()


class GrantRoleForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    full_name = forms.CharField(
        label="Full name", max_length=200, required=False,
        help_text="Needed for anyone who has no role here yet: they get an invitation by e-mail.",
    )
    role = forms.ChoiceField(choices=Role.choices)

    def clean_email(self):
        return self.cleaned_data["email"].lower()
