"""Fill in who/where/what on an audit event before it is written (business events and diffs alike)."""

from django.contrib.contenttypes.models import ContentType

from core.context import Actor, current_actor, current_request_meta

from .actions import canonical_action

AUDITLOG_VERBS = {0: "created", 1: "updated", 2: "deleted", 3: "accessed"}


def stamp(event) -> None:
    """Normalise an AuditEvent in place. Explicit values always win over the context."""
    if event.content_type_id and not event.object_type:
        ct = ContentType.objects.get_for_id(event.content_type_id)
        event.object_type = f"{ct.app_label}.{ct.model}"
    action = event.action
    if isinstance(action, int) or (isinstance(action, str) and action.isdigit()):
        verb = AUDITLOG_VERBS.get(int(action), "changed")
        event.action = f"{event.object_type or 'object'}.{verb}"
    event.action = canonical_action(event.action)  # one name per kind of event (audits.actions)
    if event.object_repr and not event.object_label:
        event.object_label = event.object_repr[:255]
    if event.object_label and not event.object_repr:
        event.object_repr = event.object_label
    if event.object_id is not None and not event.object_pk:
        event.object_pk = str(event.object_id)

    if not event.actor_label:
        actor = current_actor()
        if actor is None:
            # Not auditlog's context variable: django-auditlog never resets it, so it can hold a past request's user.
            user = event.actor if event.actor_id else None
            actor = Actor.for_user(user) if user is not None else Actor(kind="system", label="system")
        apply_actor(event, actor)

    meta = current_request_meta()
    if not event.request_id and meta.request_id:
        event.request_id = meta.request_id
    if not event.user_agent and meta.user_agent:
        event.user_agent = meta.user_agent
    if not event.remote_addr and meta.ip_address:
        event.remote_addr = meta.ip_address


def apply_actor(event, actor: Actor) -> None:
    event.actor_type = actor.kind
    event.actor_ref = str(actor.id or "")[:64]
    event.actor_label = (actor.label or actor.kind)[:254]
    if actor.kind == "user" and actor.user is not None:
        event.actor = actor.user  # also caches it, so auditlog's own actor hook needs no query
        event.actor_email = getattr(actor.user, "email", None)
