"""Route discovery for the permission matrix: every URL pattern, its permission rule, a URL to call."""

import re
import uuid
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from accounts.tenancy import HasOrganizationPermission

PLACEHOLDERS = {
    "int": 999999,
    "str": "zz-none",
    "slug": "zz-none",
    "uuid": uuid.UUID("00000000-0000-4000-8000-000000000000"),
    "path": "zz-none",
}


@dataclass
class Route:
    route: str  # e.g. "o/<slug:org_slug>/staff/<int:pk>/"
    name: str | None  # namespaced, reversible name
    callback: object
    converters: dict = field(default_factory=dict)  # kwarg -> converter type name

    @property
    def kwargs(self) -> list[str]:
        return list(self.converters)

    @property
    def is_org_route(self) -> bool:
        return "org_slug" in self.converters

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def label(self) -> str:
        return self.name or self.route

    def required_permission(self) -> str | None:
        """The rule this route declares: org_view(...) on a function, or a DRF view using
        HasOrganizationPermission with required_permission."""
        perm = getattr(self.callback, "required_permission", None)
        if perm:
            return perm
        cls = self.view_class
        if cls is None:
            return None
        classes = getattr(cls, "permission_classes", None) or []
        if not any(isinstance(c, type) and issubclass(c, HasOrganizationPermission) for c in classes):
            return None
        return getattr(cls, "required_permission", None)

    def url(self, values: dict) -> str:
        kwargs = {}
        for name, conv in self.converters.items():
            kwargs[name] = values[name] if name in values else PLACEHOLDERS.get(conv, "zz-none")
        if self.name:
            return reverse(self.name, kwargs=kwargs)
        path = self.route
        for name, value in kwargs.items():
            path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
        return "/" + path


def _converter_names(pattern) -> dict:
    if isinstance(pattern, RoutePattern):
        found = re.findall(r"<(?:(\w+):)?(\w+)>", pattern._route)
        return {name: (conv or "str") for conv, name in found}
    return {name: "str" for name in pattern.regex.groupindex}


def all_routes(patterns=None, prefix="", namespace="", converters=None) -> list[Route]:
    patterns = get_resolver().url_patterns if patterns is None else patterns
    converters = converters or {}
    found = []
    for p in patterns:
        here = {**converters, **_converter_names(p.pattern)}
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            found += all_routes(p.url_patterns, prefix + str(p.pattern), ns, here)
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else None
            found.append(Route(prefix + str(p.pattern), name, p.callback, here))
    return found
