"""Writing the audit log. Services call record_event inside their own transaction.

Sealing, checkpoints, verification and exports live in chain.py, signing.py, verify.py and
exporting.py; this module is the front door the rest of PortalGov and the jobs use.
"""

from django.db import models

from core.context import Actor

from .models import AuditEvent
from .stamping import apply_actor


def _actor_of(actor) -> Actor | None:
    if actor is None:
        return None  # stamp() takes it from the context (request, task, job), else "system"
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
    severity: str = AuditEvent.Severity.INFO,
    extra: dict | None = None,
) -> AuditEvent:
    """Append one business event (e.g. "membership.granted", "auth.login_failed").

    actor: a User, an Actor, or None for whoever the current context says is acting.
    organization: an Organization, its id, or None for deployment-wide events.
    target: the object acted on; kept as type, id and label so nothing cascades into the log.
    """
    event = _event(action, actor=actor, organization=organization, target=target, object_type=object_type,
                   object_id=object_id, object_label=object_label, changes=changes, message=message,
                   severity=severity, extra=extra)
    event.save(force_insert=True)
    return event


def record_events(events: list[dict]) -> list[AuditEvent]:
    """Append several business events at once, each exactly as record_event(**kwargs) would write it (same
    stamping, same order), in one INSERT: for jobs that write one event per recipient or per person."""
    from .stamping import stamp

    built = []
    for kwargs in events:
        event = _event(**kwargs)
        stamp(event)
        built.append(event)
    if built:
        AuditEvent.objects.bulk_create(built, batch_size=1000)
    return built


def _event(action: str, *, actor=None, organization=None, target=None, object_type: str = "", object_id: str = "",
           object_label: str = "", changes: dict | None = None, message: str = "",
           severity: str = AuditEvent.Severity.INFO, extra: dict | None = None) -> AuditEvent:
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_label = object_label or str(target)[:255]
    event = AuditEvent(
        action=action,
        organization_id=getattr(organization, "pk", organization),
        object_type=object_type,
        object_pk=str(object_id or ""),
        object_id=int(object_id) if str(object_id).isdigit() else None,
        object_label=object_label[:255],
        object_repr=object_label,
        changes=changes or {},
        message=message,
        severity=severity,
        additional_data=extra or None,
    )
    who = _actor_of(actor)
    if who is not None:
        apply_actor(event, who)
    return event


# --- checkpoints ---------------------------------------------------------------------------------

def checkpoint_create(*, reason: str = "scheduled", force: bool = False):
    """Sign the current chain head. Returns the new checkpoint, or the latest if nothing changed."""
    import datetime as dt

    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from .chain import chain_head
    from .models import AuditCheckpoint
    from .signing import make_note

    tree_size, root = chain_head()
    latest = AuditCheckpoint.objects.order_by("-tree_size").first()
    if latest is not None and latest.tree_size >= tree_size and not force:
        return latest
    if latest is not None and latest.tree_size == tree_size:
        return latest
    when = timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    note, key_id = make_note(tree_size, root, when)
    try:
        with transaction.atomic():
            return AuditCheckpoint.objects.create(tree_size=tree_size, root=root, key_id=key_id, reason=reason,
                                                  note=note)
    except IntegrityError:  # another process signed the same head a moment ago
        return AuditCheckpoint.objects.get(tree_size=tree_size)


def seal_and_checkpoint(*, reason: str):
    from .chain import seal_pending

    seal_pending()
    return checkpoint_create(reason=reason)


# --- verification --------------------------------------------------------------------------------

def verification_run(*, organization=None, checkpoint_note: str | None = None, triggered_by: str = "", actor=None):
    """Verify the log, keep the result for the UI, and record it as an audit event."""
    return _verify_and_record(organization=organization, checkpoint_note=checkpoint_note,
                              triggered_by=triggered_by, actor=actor)[1]


def _verify_and_record(*, organization=None, checkpoint_note=None, triggered_by="", actor=None):
    from django.utils import timezone

    from .models import AuditVerification
    from .verify import verify_log

    org_id = getattr(organization, "pk", organization)
    started = timezone.now()
    result = verify_log(organization_id=org_id, checkpoint_note=checkpoint_note)
    first = result.first
    row = AuditVerification.objects.create(
        started_at=started, finished_at=timezone.now(), organization_id=org_id, ok=result.ok,
        events_checked=result.events_checked, tree_size=result.tree_size,
        problem=str(first) if first else "", first_bad_event_id=first.event_id if first else None,
        triggered_by=triggered_by[:254],
    )
    record_event(
        "audit.verified" if result.ok else "audit.verification_failed",
        actor=actor, organization=org_id,
        severity=AuditEvent.Severity.INFO if result.ok else AuditEvent.Severity.CRITICAL,
        changes={"events_checked": result.events_checked, "tree_size": result.tree_size,
                 "problems": [str(p) for p in result.problems[:5]]},
        message=str(first) if first else "",
    )
    if not result.ok:
        from .signals import verification_failed

        verification_failed.send(sender=AuditVerification, message=f"Audit log verification failed: {first}",
                                 result=result, organization_id=org_id)
    return row, result


def run_daily_verification():
    """The daily job: seal, checkpoint, verify everything.

    A failure reaches the findings app (a critical finding) through signals.verification_failed,
    and the run is recorded on the jobs page by whoever listens to daily_verification_finished
    (hygiene): the audit layer imports neither. -> (AuditVerification row, result)
    """
    from django.utils import timezone

    from core.context import current_actor

    from .models import AuditVerification
    from .partitions import ensure_partitions
    from .signals import daily_verification_finished

    actor = current_actor()
    actor_label = actor.label if actor else "system"
    started = timezone.now()
    ensure_partitions()
    seal_and_checkpoint(reason="daily_verify")
    row, result = _verify_and_record(triggered_by=actor_label)
    daily_verification_finished.send(
        sender=AuditVerification, job="audit_verify", started_at=started, finished_at=timezone.now(),
        actor_label=actor_label, result=result,
    )
    return row, result


# --- exports -------------------------------------------------------------------------------------

def export_prepare(*, fmt: str, flt, actor=None):
    """Seal, checkpoint and record the export (committed before any byte is sent). -> ExportPlan."""
    from .exporting import FORMATS, ExportError, ExportPlan

    if fmt not in FORMATS:
        raise ExportError(f"Unknown format {fmt!r}: use csv or jsonl.")
    checkpoint = seal_and_checkpoint(reason="export")
    event = record_event(
        "audit.exported", actor=actor, organization=flt.organization_id,
        changes={"format": fmt, "filter": flt.as_dict(), "checkpoint_tree_size": checkpoint.tree_size},
        message=f"Export ({fmt}) of events covered by checkpoint {checkpoint.tree_size}",
    )
    root = bytes(checkpoint.root)
    return ExportPlan(fmt=fmt, flt=flt, tree_size=checkpoint.tree_size, checkpoint_note=checkpoint.note, root=root,
                      event_id=event.pk)
