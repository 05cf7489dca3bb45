"""{% navlink "url_name" "Label" %}: a navigation item that marks where the person is.

aria-current="page" on the link to the page itself; aria-current="true" on the link whose section the page
belongs to (the staff roster while a staff member's page is open), so both screen readers and the eye see it.
"""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html

register = template.Library()


@lru_cache(maxsize=4096)
def _reverse(url_name, org_slug, prefix, urlconf):
    """reverse(), remembered: the navigation asks for the same twenty URLs on every page (two reverses per
    link, ~40 a page). The script prefix and URLconf are part of the key, so the answer is reverse()'s."""
    if org_slug is None:
        return reverse(url_name, urlconf=urlconf)
    return reverse(url_name, kwargs={"org_slug": org_slug}, urlconf=urlconf)


@register.simple_tag(takes_context=True)
def navlink(context, url_name, label, in_organization=True):
    request = context["request"]
    org = context.get("current_organization")
    prefix, urlconf = get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
    url = _reverse(url_name, org.slug if org and in_organization else None, prefix, urlconf)
    path = request.path
    org_root = _reverse("dashboard", org.slug, prefix, urlconf) if org else "/"
    if path == url:
        current = "page"
    elif url != org_root and path.startswith(url):
        current = "true"
    else:
        current = ""
    if current:
        return format_html('<li><a href="{}" aria-current="{}">{}</a></li>', url, current, label)
    return format_html('<li><a href="{}">{}</a></li>', url, label)
