"""Writing business audit events. Services call record_event inside their own transaction."""

from django.db import models

from core.context import Actor, current_actor, current_request_meta

from .models import AuditEvent


def _actor_of(actor) -> Actor:
    if actor is None:
        return current_actor() or Actor(kind="system", label="system")
    if isinstance(actor, Actor):
        return actor
    return Actor.for_user(actor)


def record_event(
    action: str,
    *,
    actor=None,
    organization=None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    changes: dict | None = None,
    message: str = "",
) -> AuditEvent:
    """Append one business event (e.g. "membership.granted", "auth.login_failed").

    actor: a User, an Actor, or None for whoever the current context says is acting.
    organization: an Organization, its id, or None for deployment-wide events.
    target: the object acted on; kept as type, id and label so nothing cascades into the log.
    """
    who = _actor_of(actor)
    meta = current_request_meta()
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_label = object_label or str(target)[:255]
    org_id = getattr(organization, "pk", organization)
    return AuditEvent.objects.create(
        actor_type=who.kind,
        actor_id=who.id,
        actor_label=who.label[:254],
        organization_id=org_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_label=object_label[:255],
        changes=changes or {},
        message=message,
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        request_id=meta.request_id,
    )
