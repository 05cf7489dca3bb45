"""The SCIM filters identity providers actually send (RFC 7644 3.4.2.2): `attr eq "value"`, joined by
`and`. Okta and Entra ID look people up with `userName eq "..."` (and Entra with `externalId eq "..."`).

Anything else (or, not, co, sw, gt, pr, grouping) is refused with scimType invalidFilter rather than
half-understood: a look-up that silently matched too much would provision into the wrong person.
scim2-filter-parser was considered; it transpiles to raw SQL and has not been released since 2024,
for a grammar this small a few lines are safer.
"""

from __future__ import annotations

import json
import re

from django.db.models import Q

from .errors import ScimError

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
MAX_FILTER = 1000

# attribute path (lower case, schema URN removed) -> (lookup, kind)
ATTRIBUTES = {
    "username": ("work_email__iexact", "str"),
    "emails.value": ("work_email__iexact", "str"),
    "emails": ("work_email__iexact", "str"),
    'emails[type eq "work"].value': ("work_email__iexact", "str"),
    "externalid": ("scim_identity__external_id", "str"),
    "id": ("pk", "id"),
    "displayname": ("full_name__iexact", "str"),
    "active": ("active", "bool"),
    "title": ("scim_identity__title__iexact", "str"),
    "employeenumber": ("scim_identity__employee_number", "str"),
}

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<word>[^\s"]+(?:\[[^\]]*\][^\s"]*)?))')


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ScimError(400, "invalidFilter", f"Cannot read the filter at: {text[pos:pos + 30]!r}.")
        out.append(("str", m.group("str")) if m.group("str") else ("word", m.group("word")))
        pos = m.end()
    return out


def _path(raw: str) -> str:
    path = raw.strip()
    low = path.lower()
    for urn in (CORE.lower() + ":", ENTERPRISE.lower() + ":"):
        if low.startswith(urn):
            low = low[len(urn):]
    low = re.sub(r"\s+", " ", low)
    if low.startswith("emails[") and low.replace(" ", "") == 'emails[typeeq"work"].value':
        return 'emails[type eq "work"].value'
    return low


def parse(text: str) -> list[tuple[str, str, object]]:
    """[(lookup, kind, value), ...] for `a eq v and b eq w`, or ScimError(invalidFilter)."""
    if len(text) > MAX_FILTER:
        raise ScimError(400, "invalidFilter", f"The filter is longer than {MAX_FILTER} characters.")
    tokens = _tokens(text)
    if not tokens:
        raise ScimError(400, "invalidFilter", "The filter is empty.")
    terms, i = [], 0
    while True:
        if i + 3 > len(tokens):
            raise ScimError(400, "invalidFilter", 'Write the filter as: userName eq "someone@practice.example".')
        (k1, attr), (k2, op), (k3, raw) = tokens[i:i + 3]
        if k1 != "word" or k2 != "word" or op.lower() != "eq":
            raise ScimError(400, "invalidFilter",
                            f"Only the eq operator is supported (joined by and), not {op!r}.")
        key = _path(attr)
        if key not in ATTRIBUTES:
            raise ScimError(400, "invalidFilter", f"Filtering on {attr!r} is not supported; use userName, externalId, "
                                                  "id, displayName, emails.value, active, title or employeeNumber.")
        lookup, kind = ATTRIBUTES[key]
        terms.append((lookup, kind, _value(k3, raw, kind, attr)))
        i += 3
        if i == len(tokens):
            return terms
        if tokens[i][0] != "word" or tokens[i][1].lower() != "and":
            raise ScimError(400, "invalidFilter", f"Only and joins filter terms, not {tokens[i][1]!r}.")
        i += 1


def _value(lexeme: str, raw: str, kind: str, attr: str):
    if kind == "bool":
        if lexeme == "word" and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise ScimError(400, "invalidFilter", f"{attr} is compared with true or false.")
    if lexeme != "str":
        raise ScimError(400, "invalidFilter", f"{attr} is compared with a quoted string, e.g. {attr} eq \"...\".")
    try:
        value = json.loads(raw)
    except ValueError:
        raise ScimError(400, "invalidFilter", f"The string {raw[:40]!r} is not a valid quoted string.")
    if kind == "id":
        if not value.isdigit() or len(value) > 18:
            return None  # no such id: matches nothing
        return int(value)
    return value


def to_q(terms) -> Q:
    from staff.models import EmploymentStatus

    q = Q()
    for lookup, kind, value in terms:
        if kind == "id" and value is None:
            return Q(pk__in=[])
        if lookup == "active":
            q &= Q(employment_status=EmploymentStatus.ACTIVE) if value else ~Q(employment_status=EmploymentStatus.ACTIVE)
        else:
            q &= Q(**{lookup: value})
    return q
