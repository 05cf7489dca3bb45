"""Reading the audit log: filters (shared by the pages, the API and exports) and keyset pages."""

import base64
import binascii
import datetime as dt
from dataclasses import asdict, dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .actions import action_names, grouped_choices
from .models import AuditCheckpoint, AuditEvent, AuditSeal, AuditVerification


class FilterError(ValueError):
    """Bad filter input; the message is meant for people."""


@dataclass(frozen=True)
class AuditFilter:
    organization_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    action: str = ""
    actor: str = ""
    actor_ref: str = ""
    object_type: str = ""
    object_pk: str = ""
    q: str = ""

    def as_dict(self) -> dict:
        out = {}
        for key, value in asdict(self).items():
            if value in (None, ""):
                continue
            out[key] = value.isoformat() if isinstance(value, dt.datetime) else value
        return out


def parse_when(value: str, *, name: str, end: bool = False) -> dt.datetime | None:
    """'2026-11-01' (a whole day) or an ISO date-time; naive values are in the site's time zone."""
    value = (value or "").strip()
    if not value:
        return None
    parsed = None
    if len(value) > 10:  # a bare date is a whole day, not its midnight
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise FilterError(f"{name}: {value!r} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM).")
    if parsed is None:
        try:
            day = parse_date(value)
        except ValueError:
            day = None
        if day is None:
            raise FilterError(f"{name}: {value!r} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM).")
        if end and day >= dt.date.max:
            raise FilterError(f"{name}: {value!r} is out of range.")
        parsed = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time())
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def build_filter(*, organization_id=None, since="", until="", action="", actor="", actor_ref="",
                 object_type="", object_pk="", q="") -> AuditFilter:
    """Validate raw strings into an AuditFilter; raise FilterError with a clear message."""
    start = parse_when(since, name="since") if isinstance(since, str) else since
    stop = parse_when(until, name="until", end=True) if isinstance(until, str) else until
    if start and stop and start >= stop:
        raise FilterError("since must be before until.")
    for name, value, limit in (("action", action, 100), ("actor", actor, 254), ("object type", object_type, 100),
                               ("object id", object_pk, 255), ("search", q, 200)):
        if len(value or "") > limit:
            raise FilterError(f"{name} is too long (at most {limit} characters).")
    return AuditFilter(
        organization_id=organization_id, since=start, until=stop, action=(action or "").strip(),
        actor=(actor or "").strip(), actor_ref=(actor_ref or "").strip(), object_type=(object_type or "").strip(),
        object_pk=(object_pk or "").strip(), q=(q or "").strip(),
    )


def actor_refs_named(text: str) -> list[str]:
    """The logins whose name contains the text (the actor filter matches a name or an e-mail)."""
    from django.contrib.auth import get_user_model

    return [str(pk) for pk in get_user_model().objects.filter(full_name__icontains=text)
            .values_list("pk", flat=True)[:200]]


# The action menu is a convenience (the filter itself reads the log): a kind of event first written a few
# minutes ago may join the menu up to this long after. Reading the kinds probes the action index of every
# monthly partition (about 40 ms at 2,000,000 events over 29 months), on every view of the audit page.
ACTION_MENU_SECONDS = 300


def action_choices(organization_id) -> list:
    """The action filter's grouped choices: the kinds of event this organization's log holds (cached)."""
    from django.core.cache import cache

    key = f"audits:action-menu:{organization_id}"
    stored = cache.get(key)
    if stored is None:
        stored = _distinct_actions(organization_id)
        cache.set(key, stored, ACTION_MENU_SECONDS)
    return grouped_choices(stored)


def _distinct_actions(organization_id) -> list[str]:
    if connection.vendor == "postgresql":
        return _distinct_actions_pg(organization_id, limit=1000)
    return list(AuditEvent.objects.filter(organization_id=organization_id).order_by()
                .values_list("action", flat=True).distinct()[:1000])


def _distinct_actions_pg(organization_id, *, limit: int) -> list[str]:
    """The distinct actions of one organization's log by a loose index scan: one probe of the
    (organization_id, action, timestamp) index (audit_org_action) per distinct action, instead of the
    SELECT DISTINCT that reads every event of the organization (190 ms at 75,000 events, growing with
    the log; this takes a few ms whatever the log's size, as a log holds a few dozen kinds of event)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"""
        WITH RECURSIVE found(action) AS (
            (SELECT action FROM {table} WHERE organization_id = %s ORDER BY action LIMIT 1)
            UNION ALL
            SELECT (SELECT e.action FROM {table} e WHERE e.organization_id = %s AND e.action > found.action
                    ORDER BY e.action LIMIT 1)
            FROM found WHERE found.action IS NOT NULL
        )
        SELECT action FROM found WHERE action IS NOT NULL LIMIT %s"""  # noqa: S608 (the model's own table name)
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization_id, organization_id, limit])
        return [row[0] for row in cursor.fetchall()]


def events(f: AuditFilter) -> QuerySet:
    qs = AuditEvent.objects.all()
    if f.organization_id is not None:
        qs = qs.filter(organization_id=f.organization_id)
    if f.since:
        qs = qs.filter(timestamp__gte=f.since)
    if f.until:
        qs = qs.filter(timestamp__lt=f.until)
    if f.action:
        names, prefixes = action_names(f.action)  # old names of the same kind of event too
        match = Q(action__in=names) if names else Q()
        for prefix in prefixes:
            match |= Q(action__startswith=prefix)
        qs = qs.filter(match)
    if f.actor:
        who = Q(actor_label__icontains=f.actor)
        refs = actor_refs_named(f.actor)
        if refs:
            who |= Q(actor_type="user", actor_ref__in=refs)
        qs = qs.filter(who)
    if f.actor_ref:
        qs = qs.filter(actor_ref=f.actor_ref)
    if f.object_type:
        qs = qs.filter(object_type=f.object_type)
    if f.object_pk:
        qs = qs.filter(object_pk=f.object_pk)
    if f.q:
        if connection.vendor == "postgresql":
            qs = qs.alias(search_text=search_text()).filter(search_text__contains=f.q.lower())
        else:  # the embedded SQLite demo: no trigram index, the same match field by field
            qs = qs.filter(Q(object_label__icontains=f.q) | Q(message__icontains=f.q) | Q(action__icontains=f.q)
                           | Q(actor_label__icontains=f.q))
    return qs


# The free-text search matches the object label, message, action and actor as one lower-cased text, the
# expression of the trigram index audit_search_trgm (migration 0006_i12c_search), so a word anywhere in
# 2,000,000 events is an index lookup. chr(31) (unit separator) between the fields keeps a search from
# matching across two of them. Keep this, filter_sql and the migration's expression identical.
SEARCH_FIELDS = ("object_label", "message", "action", "actor_label")


def search_text():
    """LOWER(object_label || chr(31) || message || chr(31) || action || chr(31) || actor_label) (PostgreSQL)."""
    from django.db.models import F, Func, TextField

    return Func(*[F(n) for n in SEARCH_FIELDS], function="LOWER", arg_joiner=" || chr(31) || ",
                output_field=TextField())


def filter_sql(f: AuditFilter, alias: str = "e") -> tuple[str, list]:
    """The same filter as events(), as SQL for COPY-based exports."""
    clauses, params = ["TRUE"], []

    def like(value):
        return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower() + "%"

    if f.organization_id is not None:
        clauses.append(f"{alias}.organization_id = %s")
        params.append(f.organization_id)
    if f.since:
        clauses.append(f'{alias}."timestamp" >= %s')
        params.append(connection.ops.adapt_datetimefield_value(f.since))
    if f.until:
        clauses.append(f'{alias}."timestamp" < %s')
        params.append(connection.ops.adapt_datetimefield_value(f.until))
    if f.action:
        names, prefixes = action_names(f.action)
        ors = [f"{alias}.action IN ({', '.join(['%s'] * len(names))})"] if names else []
        params += names
        for prefix in prefixes:
            ors.append(f"{alias}.action LIKE %s ESCAPE '\\'")
            params.append(prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        clauses.append("(" + " OR ".join(ors) + ")")
    if f.actor:
        refs = actor_refs_named(f.actor)
        who = f"LOWER({alias}.actor_label) LIKE %s ESCAPE '\\'"
        params.append(like(f.actor))
        if refs:
            who += f" OR ({alias}.actor_type = 'user' AND {alias}.actor_ref IN ({', '.join(['%s'] * len(refs))}))"
            params += refs
        clauses.append(f"({who})")
    if f.actor_ref:
        clauses.append(f"{alias}.actor_ref = %s")
        params.append(f.actor_ref)
    if f.object_type:
        clauses.append(f"{alias}.object_type = %s")
        params.append(f.object_type)
    if f.object_pk:
        clauses.append(f"{alias}.object_pk = %s")
        params.append(f.object_pk)
    if f.q:
        if connection.vendor == "postgresql":  # the indexed expression (see search_text)
            clauses.append("LOWER(" + " || chr(31) || ".join(f"{alias}.{c}" for c in SEARCH_FIELDS)
                           + ") LIKE %s ESCAPE '\\'")
            params.append(like(f.q))
        else:
            clauses.append("(" + " OR ".join(f"LOWER({alias}.{c}) LIKE %s ESCAPE '\\'" for c in SEARCH_FIELDS) + ")")
            params += [like(f.q)] * 4
    return " AND ".join(clauses), params


# --- keyset pagination: newest first, (timestamp, id) cursor ------------------------------------

def encode_cursor(event) -> str:
    raw = f"{event.timestamp.isoformat()}|{event.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        when, pk = raw.rsplit("|", 1)
        parsed = parse_datetime(when)
        if parsed is None:
            raise ValueError
        return parsed, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise FilterError("The page link is not valid; start again from the first page.")


def page(qs: QuerySet, *, after: str = "", size: int = 50) -> tuple[list, str | None]:
    """One page of events older than the cursor, and the cursor of the next page (or None)."""
    qs = qs.order_by("-timestamp", "-id")
    if after:
        when, pk = decode_cursor(after)
        # timestamp__lte bounds the index range scan; the OR only trims the rows of that same instant.
        qs = qs.filter(timestamp__lte=when).filter(Q(timestamp__lt=when) | Q(id__lt=pk))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)


def events_for_object_ref(*, organization, object_type: str, object_pk: str) -> QuerySet:
    return AuditEvent.objects.filter(
        organization_id=getattr(organization, "pk", organization), object_type=object_type, object_pk=str(object_pk)
    ).order_by("-timestamp", "-id")


def events_for_object(*, organization, obj) -> QuerySet:
    return events_for_object_ref(organization=organization, object_type=obj._meta.label_lower, object_pk=str(obj.pk))


def seal_of(event_id: int):
    return AuditSeal.objects.filter(event_id=event_id).first()


def latest_verification(organization_id: int | None = None):
    """The newest run that covered this organization (a whole-log run covers everyone)."""
    return (
        AuditVerification.objects.filter(Q(organization_id=organization_id) | Q(organization_id__isnull=True))
        .exclude(finished_at=None).order_by("-started_at").first()
    )


def latest_checkpoint():
    return AuditCheckpoint.objects.order_by("-tree_size").first()
