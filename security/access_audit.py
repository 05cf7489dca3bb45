"""The audit trail of what a request was refused and of every file it downloaded.

Refusals (403 on pages and the API, 404 on an object id inside an organization, failed API
authentication) are recorded per source (acting identity + client address) and per window of
REFUSAL_WINDOW_SECONDS (60): the first refusal of a window is one audit event in full (who, from
where, which route and ids, status, count 1); later ones in the same window only increase a
counter (security.models.RefusalBurst); when the window is over one more event, `<action>_burst`,
carries the window's total. A scan of 2,000 refused requests in a minute from one address thus
writes two events, or two per minute it lasts, instead of 2,000. The total is written by the next
refusal from anyone after the window ends, and by the security.tasks.flush_refusal_bursts job.

Downloads: every response sent as a file (Content-Disposition: attachment) is export.downloaded,
whatever view made it, so a new export cannot be added without its trail.
"""

import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from audits.services import record_event
from core.context import Actor, RequestMeta, acting_as, current_request_meta
from core.middleware import client_ip

from .models import RefusalBurst

log = logging.getLogger(__name__)

REFUSED = "request.refused"
API_AUTH_FAILED = "api.authentication_failed"
RECORDED_FLAG = "portalgov_refusal_recorded"


def window_seconds() -> int:
    return int(getattr(settings, "REFUSAL_WINDOW_SECONDS", 60))


def actor_of(user) -> Actor:
    """The acting identity of a request: a login, an API credential, or anonymous."""
    if getattr(user, "is_api_credential", False):
        return Actor(kind="api", id=str(user.credential.pk), label=str(user))
    return Actor.for_user(user)


def _source(actor: Actor) -> str:
    return f"{actor.kind}:{actor.id}"[:100] if actor.id else actor.kind


def _window_start(now) -> dt.datetime:
    size = window_seconds()
    return dt.datetime.fromtimestamp(int(now.timestamp()) // size * size, tz=dt.UTC)


def record_refusal(*, action: str, actor: Actor, address: str | None, status: int, path: str, method: str = "",
                   organization_id=None, object_type: str = "url", object_id: str = "", object_label: str = "",
                   now=None):
    """Count one refusal; write the audit event if it is the first of its source's window. -> event or None"""
    now = now or timezone.now()
    key = {"action": action, "source": _source(actor), "address": address or "", "window_start": _window_start(now)}
    bump = {"count": F("count") + 1, "last_seen": now, "last_path": path[:500], "last_status": status}
    if RefusalBurst.objects.filter(**key).update(**bump):
        return None
    flush_refusal_bursts(now=now)  # windows that are over, whoever they belong to
    try:
        with transaction.atomic():
            burst = RefusalBurst.objects.create(
                **key, actor_label=actor.label[:254], organization_id=organization_id, last_path=path[:500],
                last_status=status, last_seen=now)
    except IntegrityError:  # another process opened this window a moment ago
        RefusalBurst.objects.filter(**key).update(**bump)
        return None
    with acting_as(actor, dataclasses.replace(current_request_meta(), ip_address=address or None)):
        event = record_event(
            action, actor=actor, organization=organization_id, object_type=object_type, object_id=object_id,
            object_label=(object_label or path)[:255], severity="warning",
            message=f"{status} {method} {path}"[:500],
            changes={"status": status, "method": method, "path": path[:500], "count": 1,
                     "window_start": key["window_start"].isoformat(), "window_seconds": window_seconds()},
        )
    RefusalBurst.objects.filter(pk=burst.pk).update(first_event_id=event.pk)
    return event


def flush_refusal_bursts(*, now=None) -> int:
    """Write one `<action>_burst` event with the total for every window that is over and had more than
    one refusal. Safe to run twice or from several processes: each window is claimed once."""
    now = now or timezone.now()
    over = now - dt.timedelta(seconds=window_seconds())
    written = 0
    for pk in list(RefusalBurst.objects.filter(reported_at__isnull=True, window_start__lte=over)
                   .order_by("pk").values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            if not RefusalBurst.objects.filter(pk=pk, reported_at__isnull=True).update(reported_at=now):
                continue
            burst = RefusalBurst.objects.get(pk=pk)
            if burst.count <= 1:
                continue  # the first event already tells it all
            kind, _, ident = burst.source.partition(":")
            actor = Actor(kind=kind, id=ident, label=burst.actor_label or kind)
            with acting_as(actor, RequestMeta(ip_address=burst.address or None)):
                record_event(
                    f"{burst.action}_burst", actor=actor, organization=burst.organization_id,
                    object_type="url", object_label=burst.last_path[:255], severity="warning",
                    message=(f"{burst.count} refused requests from {burst.actor_label or kind} at "
                             f"{burst.address or 'an unknown address'} in {window_seconds()} s"),
                    changes={"count": burst.count, "first_event_id": burst.first_event_id,
                             "window_start": burst.window_start.isoformat(), "window_seconds": window_seconds(),
                             "last_path": burst.last_path, "last_status": burst.last_status,
                             "last_seen": burst.last_seen.isoformat()},
                )
            written += 1
    RefusalBurst.objects.filter(reported_at__lt=now - dt.timedelta(days=1)).delete()
    return written


# --- the middleware --------------------------------------------------------------------------------

def _organization_id(request):
    org = getattr(request, "organization", None)
    if org is not None:
        return org.pk
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("org_slug") if match else None
    if not slug:
        return None
    from accounts.models import Organization

    return Organization.objects.filter(slug=slug).values_list("pk", flat=True).first()


def _target(request) -> tuple[str, str]:
    """(object id, label): the route's name and the ids in its URL, e.g. "staff_detail pk=12"."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "", request.path[:255]
    ids = {k: v for k, v in match.kwargs.items() if k != "org_slug"}
    object_id = next((str(v) for v in ids.values() if str(v).isdigit()), "")
    label = " ".join([match.view_name or request.path, *(f"{k}={v}" for k, v in ids.items())])
    return object_id, label[:255]


def _is_refusal(request, response) -> bool:
    status = response.status_code
    if status == 403:
        return True
    match = getattr(request, "resolver_match", None)
    if status == 404 and match is not None and "org_slug" in match.kwargs and len(match.kwargs) > 1:
        # An object id inside an organization: from outside, another organization's id and a missing
        # one look alike (both 404, nothing leaks), so both count; a scan of ids shows as one.
        return True
    return status == 401 and request.path.startswith("/api/")


def _attachment_name(response) -> str | None:
    disposition = response.get("Content-Disposition", "")
    if not disposition.lower().startswith("attachment"):
        return None
    name = disposition.partition("filename=")[2].strip().strip('"')
    return name or "(unnamed)"


class AccessAuditMiddleware:
    """After the view: record refusals (aggregated) and file downloads. Placed after
    audits.middleware.AuditContextMiddleware, so the request's acting identity and address apply."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if _is_refusal(request, response) and not getattr(request, RECORDED_FLAG, False):
            object_id, label = _target(request)
            action = API_AUTH_FAILED if response.status_code == 401 else REFUSED
            record_refusal(action=action, actor=actor_of(user), address=client_ip(request),
                           status=response.status_code, path=request.get_full_path(), method=request.method,
                           organization_id=_organization_id(request), object_id=object_id, object_label=label)
        elif 200 <= response.status_code < 300 and (name := _attachment_name(response)) is not None:
            object_id, label = _target(request)
            actor = actor_of(user)
            with acting_as(actor):
                record_event(
                    "export.downloaded", actor=actor, organization=_organization_id(request), object_type="file",
                    object_id=object_id, object_label=name[:255],
                    changes={"route": label, "path": request.get_full_path()[:500], "filename": name,
                             "content_type": response.get("Content-Type", "")},
                )
        return response
