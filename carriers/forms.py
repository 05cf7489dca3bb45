"""Forms for the directory pages. They check input shape; the services check the rules and save."""

from django import forms

from accounts.validators import STATE_CHOICES
from core.forms import IsoDateInput

from .models import Carrier, LineOfBusiness, Portal, PortalEnrollment, PortalFunction
from .selectors import visible_carriers, visible_portals

DATE = IsoDateInput()
STATES_HELP = "Hold Ctrl (Cmd on a Mac) to choose several."


class StatesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", STATES_HELP)
        super().__init__(choices=STATE_CHOICES, widget=forms.SelectMultiple(attrs={"size": 6}), **kwargs)
        self.error_messages["invalid_choice"] = "%(value)s is not a US state, DC or territory code."


class ContractForm(forms.Form):
    carrier = forms.ModelChoiceField(queryset=Carrier.objects.none())
    line_of_business = forms.ChoiceField(choices=LineOfBusiness.choices)
    effective_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE, required=False)
    states = StatesField(label="States covered", help_text="Leave empty for every state the practice bills in. " + STATES_HELP)
    provider_services_phone = forms.CharField(
        label="Provider services phone", max_length=40, required=False,
        help_text="From the contract or provider manual: the fallback when the portal is down.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].queryset = visible_carriers(organization).order_by("name")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("effective_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date is before the effective date.")
        return cleaned


class EnrollmentForm(forms.Form):
    portal = forms.ModelChoiceField(queryset=Portal.objects.none())
    tin = forms.CharField(label="TIN used", max_length=12, required=False)
    npi = forms.CharField(label="NPI used", max_length=10, required=False)
    ptan = forms.CharField(label="PTAN used", max_length=10, required=False)
    status = forms.ChoiceField(choices=PortalEnrollment.Status.choices)
    started_on = forms.DateField(widget=DATE, required=False)
    registered_on = forms.DateField(widget=DATE, required=False)
    closed_on = forms.DateField(widget=DATE, required=False)
    downtime_protocol = forms.CharField(
        label="Our downtime steps", widget=forms.Textarea(attrs={"rows": 4}), required=False,
        help_text="What staff do when this portal is down. Leave empty to use the default steps.",
    )
    support_phone = forms.CharField(label="Our support line", max_length=40, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, organization, fixed_portal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["portal"].queryset = visible_portals(organization).order_by("name")
        if fixed_portal is not None:
            self.fields["portal"].initial = fixed_portal.pk
            self.fields["portal"].widget = forms.HiddenInput()


class CustomPortalForm(forms.Form):
    name = forms.CharField(max_length=200)
    architecture = forms.ChoiceField(choices=Portal.Architecture.choices)
    operator = forms.CharField(max_length=200, required=False)
    url = forms.URLField(label="Direct URL", max_length=500, assume_scheme="https",
                         error_messages={"invalid": "Enter a full web address, e.g. https://portal.example.org/login."})
    states = StatesField(label="States served", help_text="Leave empty if it serves every state. " + STATES_HELP)
    support_phone = forms.CharField(max_length=40, required=False)
    downtime_protocol = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    functions = forms.ModelMultipleChoiceField(
        queryset=PortalFunction.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, to_field_name="code",
    )
    carriers = forms.ModelMultipleChoiceField(
        queryset=Carrier.objects.none(), required=False, label="Carriers reached",
        widget=forms.SelectMultiple(attrs={"size": 8}), help_text=STATES_HELP,
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carriers"].queryset = visible_carriers(organization).order_by("name")


class CustomCarrierForm(forms.Form):
    name = forms.CharField(max_length=200)
    payer_ids = forms.CharField(max_length=200, required=False, label="Payer IDs")
    lines_of_business = forms.MultipleChoiceField(choices=LineOfBusiness.choices, required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    provider_services_phone = forms.CharField(max_length=40, required=False)
    website = forms.URLField(required=False, assume_scheme="https")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
