"""The form renderer: Django's, with the one-line <input> templates written out in Python.

A review queue page renders a radio button or a check box per decision and per portal function of each
of its items, a few hundred small templates (input_option.html -> input.html -> attrs.html) at about
0.1 ms each: a quarter of the page's time. These templates are fixed markup, so they are produced here
as the same bytes (tests/core/test_form_renderer.py compares the two on every widget kind the product
uses); anything else, and any context this does not expect, goes to Django's templates as before.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

_WIDGETS = "django/forms/widgets/"
# Templates that are exactly {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(_WIDGETS + name for name in (
    "input.html", "text.html", "checkbox.html", "color.html", "date.html", "datetime.html", "email.html",
    "file.html", "hidden.html", "number.html", "password.html", "search.html", "tel.html", "time.html", "url.html",
))
# Templates that are exactly {% include "django/forms/widgets/input_option.html" %} (and that one).
OPTION_TEMPLATES = frozenset(_WIDGETS + name for name in (
    "input_option.html", "radio_option.html", "checkbox_option.html",
))


def _input(widget) -> str | None:
    kind, name, attrs = widget.get("type"), widget.get("name"), widget.get("attrs")
    if not isinstance(kind, str) or not isinstance(name, str) or not isinstance(attrs, dict):
        return None
    out = [f'<input type="{conditional_escape(kind)}" name="{conditional_escape(name)}"']
    value = widget.get("value")
    if value is not None:  # {% if widget.value != None %} value="{{ widget.value|stringformat:'s' }}"
        out.append(f' value="{conditional_escape(value)}"')
    for key, val in attrs.items():  # attrs.html
        if val is False:
            continue
        out.append(f" {conditional_escape(key)}" if val is True else f' {conditional_escape(key)}="{conditional_escape(val)}"')
    out.append(">")
    return "".join(out)


class FastInputRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict) and (template_name in INPUT_TEMPLATES or template_name in OPTION_TEMPLATES):
            html = self._fast(template_name, widget)
            if html is not None:
                return mark_safe(html)  # noqa: S308  # nosec B308 B703 -- every value in it is escaped above, as the widget template would
        return super().render(template_name, context, request=request)

    @staticmethod
    def _fast(template_name, widget) -> str | None:
        tag = _input(widget)
        if tag is None or template_name in INPUT_TEMPLATES or not widget.get("wrap_label"):
            return tag
        label, ident = widget.get("label"), widget["attrs"].get("id")
        if not isinstance(label, str) or not (ident is None or isinstance(ident, str)):
            return None  # numbers would be localized by the template: leave those to it
        opening = f'<label for="{conditional_escape(ident)}">' if ident else "<label>"
        return f"{opening}{tag}\n {conditional_escape(label)}</label>"  # input.html's own line end, kept by the include
