from django import forms

from carriers.models import PortalFunction
from staff.forms import DateInput

from .lifecycle import allowed_next
from .models import AccountStatus, OrganizationCredential, PortalAccount


class TaskCompleteForm(forms.Form):
    portal_user_id = forms.CharField(label="Portal user ID", max_length=150, required=False,
                                     help_text="The person's own login name on the portal.")
    password_reference = forms.CharField(label="Password-manager reference", max_length=300, required=False,
                                         help_text="Where the password lives, e.g. 'op://Billing/Availity - J. Doe'. "
                                                   "Never the password itself.")
    mfa_enrolled = forms.BooleanField(label="MFA enrolled", required=False)
    payer_confirmation = forms.CharField(label="Payer-side confirmation", max_length=300,
                                         help_text="Confirmation number, ticket or message from the portal.")

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        if task.kind != "provision":
            for name in ("portal_user_id", "password_reference", "mfa_enrolled"):
                del self.fields[name]
        else:
            self.fields["portal_user_id"].required = True
            self.fields["portal_user_id"].initial = task.portal_account.portal_user_id


class AccountForm(forms.ModelForm):
    functions = forms.ModelMultipleChoiceField(queryset=PortalFunction.objects.all(), required=False,
                                               widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = PortalAccount
        fields = ["portal_user_id", "functions", "password_reference", "mfa_enrolled", "password_last_changed",
                  "last_login_attested"]
        widgets = {"password_last_changed": DateInput(), "last_login_attested": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["functions"].queryset = self.instance.enrollment.portal.functions.all()


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label="Change status to")
    reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(s, AccountStatus(s).label) for s in allowed_next(account.status)]


class ExceptionRequestForm(forms.Form):
    function = forms.ModelChoiceField(queryset=PortalFunction.objects.all())
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    expires_on = forms.DateField(widget=DateInput())


class CredentialForm(forms.Form):
    kind = forms.ChoiceField(choices=OrganizationCredential.Kind.choices)
    label = forms.CharField(max_length=200)
    login_id = forms.CharField(label="Login ID", max_length=150)
    password_reference = forms.CharField(label="Password-manager reference", max_length=300, required=False,
                                         help_text="Where the password lives; never the password itself.")
    custodians = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple,
                                                help_text="The people who know this login.")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        from staff.models import StaffMember

        self.fields["custodians"].queryset = StaffMember.objects.filter(
            organization=organization, employment_status="active").order_by("full_name")
