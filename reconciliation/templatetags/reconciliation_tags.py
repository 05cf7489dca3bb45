from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (a row's cell by its header, a resolution's label)."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
