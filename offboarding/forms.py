from django import forms

from core.forms import IsoDateInput
from staff.models import EmploymentStatus


class LeaverForm(forms.Form):
    staff_member = forms.ModelChoiceField(queryset=None, label="Person")
    reason = forms.ChoiceField(choices=[(EmploymentStatus.TERMINATED, "Left the practice"),
                                        (EmploymentStatus.ON_LEAVE, "Going on leave")])
    end_date = forms.DateField(required=False, label="Last day (left the practice)",
                               widget=IsoDateInput(),
                               help_text="Leave blank for today.")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        from staff.models import StaffMember

        self.fields["staff_member"].queryset = StaffMember.objects.filter(
            organization=organization).exclude(employment_status=EmploymentStatus.TERMINATED).order_by("full_name")


class CompleteForm(forms.Form):
    confirmation = forms.CharField(max_length=300, label="Portal confirmation",
                                   help_text="The confirmation number or message the portal gave.")


class SuccessorForm(forms.Form):
    successor = forms.ModelChoiceField(queryset=None, label="Successor (new primary administrator)")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = candidates


class SettingsForm(forms.Form):
    deadline_minutes = forms.IntegerField(min_value=5, max_value=10080, label="Offboarding deadline (minutes)",
                                          help_text="From recording a leaver to every portal access gone. 60 = the one-hour target.")
    reminder_days = forms.CharField(max_length=60, label="Reminder days",
                                    help_text="Days before a password expiry, lock-out or re-certification date, e.g. 14, 7, 3, 1, 0.")

    def clean_reminder_days(self):
        raw = self.cleaned_data["reminder_days"]
        try:
            days = sorted({int(x) for x in raw.replace(";", ",").split(",") if x.strip()}, reverse=True)
        except ValueError:
            raise forms.ValidationError("Give whole numbers of days separated by commas.") from None
        if not days or any(d < 0 or d > 90 for d in days):
            raise forms.ValidationError("Give one or more whole days between 0 and 90.")
        return days


class RecertificationForm(forms.Form):
    enrollment = forms.ModelChoiceField(queryset=None, label="Portal enrollment")
    portal_account = forms.ModelChoiceField(queryset=None, required=False, label="Portal account",
                                            help_text="Leave empty when the date applies to the whole enrollment.")
    last_certified_on = forms.DateField(required=False, widget=IsoDateInput())
    due_on = forms.DateField(required=False, widget=IsoDateInput(),
                             help_text="Leave empty to compute it from the portal's re-certification interval.")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        from access.models import LIVE_STATUSES, PortalAccount
        from carriers.models import PortalEnrollment

        self.fields["enrollment"].queryset = PortalEnrollment.objects.filter(
            organization=organization).select_related("portal").order_by("portal__name")
        self.fields["portal_account"].queryset = PortalAccount.objects.filter(
            organization=organization, status__in=LIVE_STATUSES).select_related(
            "staff_member", "enrollment__portal").order_by("staff_member__full_name")
