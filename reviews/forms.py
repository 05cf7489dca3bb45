from django import forms

from core.forms import IsoDateInput

from .models import Decision, ReviewSettings


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(required=False, max_length=2000,
                             help_text="Required to change, revoke, or keep flagged access.")
    keep_until = forms.DateField(required=False, label="Keep until (optional)",
                                 widget=IsoDateInput())
    functions_to_remove = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                                    label="Functions to remove")

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        functions = (item.snapshot.get("functions", []) if item else [])
        self.fields["functions_to_remove"].choices = [(f["code"], f["name"]) for f in functions]
        if item is not None and item.kind == "credential":
            self.fields["decision"].choices = [(d.value, d.label) for d in Decision if d != Decision.CHANGE]
            del self.fields["functions_to_remove"]


class BulkDecisionForm(forms.Form):
    # The id matches the template's <label for="bulk-decision">: the select needs its accessible name.
    decision = forms.ChoiceField(choices=[("", "Choose…"), (Decision.KEEP.value, "Keep"),
                                          (Decision.REVOKE.value, "Revoke"), (Decision.NOT_SURE.value, "Not sure")],
                                 widget=forms.Select(attrs={"id": "bulk-decision"}))
    reason = forms.CharField(max_length=2000, help_text="One reason that covers every selected item.")


class ReviewerChoiceForm(forms.Form):
    to_user = forms.ModelChoiceField(queryset=None, label="Reviewer")
    reason = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, reviewers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = reviewers


class SignOffForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                           label="Sign-off note")
    confirm = forms.BooleanField(label="I understand: signing off closes the campaign for good.")


class RemediationForm(forms.Form):
    payer_confirmation = forms.CharField(max_length=300, label="Payer-side confirmation")


class ReviewSettingsForm(forms.ModelForm):
    reminder_days = forms.CharField(
        required=False, label="Remind reviewers this many days before the due date",
        help_text="Comma-separated, e.g. 3, 1.")

    class Meta:
        model = ReviewSettings
        fields = ["cadence_months", "duration_days", "weekly_reminders", "undecided_rule", "escalate_after_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reminder_days"].initial = ", ".join(str(d) for d in self.instance.reminder_days)

    def clean_duration_days(self):
        value = self.cleaned_data["duration_days"]
        if not 1 <= value <= 90:
            raise forms.ValidationError("A review runs between 1 and 90 days.")
        return value

    def clean_reminder_days(self):
        raw = self.cleaned_data.get("reminder_days") or ""
        try:
            days = sorted({int(p) for p in raw.replace(" ", "").split(",") if p}, reverse=True)
        except ValueError:
            raise forms.ValidationError("Write whole numbers of days separated by commas, e.g. 3, 1.") from None
        if any(d < 1 or d > 90 for d in days):
            raise forms.ValidationError("Each reminder is between 1 and 90 days before the due date.")
        return days
