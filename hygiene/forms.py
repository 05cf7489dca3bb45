from django import forms
from django_celery_beat.validators import crontab_validator


class ScheduleForm(forms.Form):
    """A crontab in five fields, as cron writes it: minute hour day-of-month month day-of-week."""

    crontab = forms.CharField(
        label="Schedule (cron)", max_length=100,
        help_text="Five fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * *' for 06:00 daily.",
    )
    enabled = forms.BooleanField(required=False)

    def clean_crontab(self):
        value = " ".join(self.cleaned_data["crontab"].split())
        if len(value.split(" ")) != 5:
            raise forms.ValidationError("A schedule has exactly five fields: minute hour day-of-month month day-of-week.")
        try:
            crontab_validator(value)
        except Exception as exc:
            raise forms.ValidationError(f"Not a valid schedule: {exc}") from None
        return value
