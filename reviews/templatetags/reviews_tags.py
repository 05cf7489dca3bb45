from django import template

register = template.Library()

FLAG_LABELS = {
    "terminated": "Left the practice", "on_leave": "On leave", "inactive": "Inactive",
    "beyond_policy": "Beyond policy", "open_findings": "Open findings", "no_mfa": "No MFA",
}


@register.filter
def flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, flag.replace("_", " ").capitalize())
