"""{% navlink "url_name" "Label" %}: a navigation item that marks where the person is.

aria-current="page" on the link to the page itself; aria-current="true" on the link whose section the page
belongs to (the staff roster while a staff member's page is open), so both screen readers and the eye see it.
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def navlink(context, url_name, label, in_organization=True):
    request = context["request"]
    org = context.get("current_organization")
    url = reverse(url_name, kwargs={"org_slug": org.slug}) if org and in_organization else reverse(url_name)
    path = request.path
    org_root = reverse("dashboard", kwargs={"org_slug": org.slug}) if org else "/"
    if path == url:
        current = "page"
    elif url != org_root and path.startswith(url):
        current = "true"
    else:
        current = ""
    if current:
        return format_html('<li><a href="{}" aria-current="{}">{}</a></li>', url, current, label)
    return format_html('<li><a href="{}">{}</a></li>', url, label)
