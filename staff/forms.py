from django import forms

from .models import EnrollmentAdministrator, StaffMember


class DateInput(forms.DateInput):
    input_type = "date"


class StaffForm(forms.ModelForm):
    class Meta:
        model = StaffMember
        fields = ["full_name", "work_email", "job_role", "employment_status", "start_date", "end_date", "manager",
                  "user"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        labels = {"user": "PortalGov login"}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        managers = StaffMember.objects.filter(organization=organization).exclude(employment_status="terminated")
        if self.instance.pk:
            managers = managers.exclude(pk=self.instance.pk)
        self.fields["manager"].queryset = managers.order_by("full_name")
        from accounts.models import User

        self.fields["user"].queryset = User.objects.filter(memberships__organization=organization).order_by("full_name")
        self.fields["user"].required = False


class NewHireForm(StaffForm):
    class Meta(StaffForm.Meta):
        fields = ["full_name", "work_email", "job_role", "start_date", "manager", "user"]


class RosterUploadForm(forms.Form):
    file = forms.FileField(label="Roster CSV file",
                           help_text="Columns: full_name, work_email, job_role, employment_status, start_date, "
                                     "end_date, manager_email. UTF-8.")


class AdministratorForm(forms.Form):
    staff_member = forms.ModelChoiceField(queryset=StaffMember.objects.none(), label="Staff member")
    role = forms.ChoiceField(choices=EnrollmentAdministrator.AdminRole.choices)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff_member"].queryset = StaffMember.objects.filter(
            organization=organization, employment_status="active").order_by("full_name")
