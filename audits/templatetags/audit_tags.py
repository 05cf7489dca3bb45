from django import template

from audits.actions import action_label as _action_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """An audit event's action in words ("Provisioning task: created"), never its code."""
    return _action_label(action or "")
