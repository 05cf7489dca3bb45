from django import forms
from django.db.models import Q

from carriers.models import Portal, PortalFunction
from staff.models import EmploymentStatus, StaffMember

from .models import TrainingModule


class DateInput(forms.DateInput):
    input_type = "date"


class ModuleForm(forms.ModelForm):
    class Meta:
        model = TrainingModule
        fields = ["title", "description", "scope", "portal", "function", "renewal_months", "is_active"]
        labels = {"function": "Portal function", "renewal_months": "Renew every (months)"}
        help_texts = {"portal": "Only when the scope is one portal.", "function": "Only when the scope is one function."}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["portal"].queryset = Portal.objects.filter(
            Q(organization__isnull=True) | Q(organization=organization), is_active=True).order_by("name")
        self.fields["function"].queryset = PortalFunction.objects.order_by("sort_order", "name")
        self.fields["renewal_months"].min_value = 1
        self.fields["renewal_months"].max_value = 60


class CompletionForm(forms.Form):
    staff_member = forms.ModelChoiceField(queryset=StaffMember.objects.none(), label="Staff member")
    completed_on = forms.DateField(widget=DateInput(), label="Completed on")
    evidence = forms.CharField(max_length=500, required=False, label="Evidence note",
                               help_text="e.g. certificate number, LMS export, sign-in sheet.")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff_member"].queryset = (StaffMember.objects.filter(organization=organization)
                                                .exclude(employment_status=EmploymentStatus.TERMINATED)
                                                .order_by("full_name"))


class AttestForm(forms.Form):
    module = forms.ModelChoiceField(queryset=TrainingModule.objects.none(), widget=forms.HiddenInput)
    completed_on = forms.DateField(widget=DateInput(), label="Completed on")
    evidence = forms.CharField(max_length=500, required=False, label="Certificate or note")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = TrainingModule.objects.filter(organization=organization, is_active=True)
