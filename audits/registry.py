"""Governed models: django-auditlog diffs for save()/delete(), and audited (or refused) bulk paths.

    from audits.registry import govern
    govern(PortalAccount)                     # in your AppConfig.ready()

Signals never fire for QuerySet.update(), bulk_create() or bulk_update(), so django-auditlog alone
misses them. govern() installs GovernedQuerySetMixin on the model's managers: those calls then write
one diff event per affected row in the same transaction (bulk="audit"), or raise (bulk="refuse").
QuerySet.delete() already sends per-row signals, which auditlog logs.
"""

from django.core import checks
from django.db import models, transaction

GOVERNED: dict[type, str] = {}  # model -> "audit" | "refuse"


class GovernedBulkWriteRefused(Exception):
    """A bulk write on a governed model that must go through a service instead."""


def is_governed(model) -> bool:
    return model in GOVERNED


def _label(model) -> str:
    return model._meta.label_lower


def _diff_fields(model):
    from auditlog.registry import auditlog

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if auditlog.contains(model):
        opts = auditlog.get_model_fields(model)
        include, exclude = opts["include_fields"], opts["exclude_fields"]
        fields = [f for f in fields if (not include or f.name in include) and f.name not in exclude]
    return fields


def _mask(model, name, value):
    from auditlog.registry import auditlog

    if value is not None and auditlog.contains(model) and name in auditlog.get_model_fields(model)["mask_fields"]:
        from auditlog.diff import mask_str

        return mask_str(str(value))
    return value


def _as_text(value):
    return None if value is None else str(value)


def _org_id_of(model, values: dict):
    if _label(model) == "accounts.organization":
        return values.get("id")
    return values.get("organization_id")


def write_bulk_events(model, rows: list[tuple[dict | None, dict | None]], *, via: str) -> None:
    """rows: (old values, new values) by attname, per object; writes diff events in one INSERT."""
    from django.contrib.contenttypes.models import ContentType

    from .models import AuditEvent
    from .stamping import stamp

    ct = ContentType.objects.get_for_model(model)
    fields = _diff_fields(model)
    pk_name = model._meta.pk.attname
    events = []
    for old, new in rows:
        ref = new if new is not None else old
        changes = {}
        for f in fields:
            a = None if old is None else old.get(f.attname)
            b = None if new is None else new.get(f.attname)
            if old is None or new is None or a != b:
                changes[f.name] = [_as_text(_mask(model, f.name, a)), _as_text(_mask(model, f.name, b))]
        if old is not None and new is not None and not changes:
            continue
        verb = "created" if old is None else ("deleted" if new is None else "updated")
        pk = ref.get(pk_name)
        ev = AuditEvent(
            action=f"{_label(model)}.{verb}", content_type_id=ct.pk, object_type=_label(model),
            object_pk=str(pk), object_id=pk if isinstance(pk, int) else None,
            object_label=f"{model._meta.verbose_name} #{pk}", organization_id=_org_id_of(model, ref),
            changes=changes, additional_data={"via": via},
        )
        stamp(ev)
        events.append(ev)
    if events:
        AuditEvent.objects.bulk_create(events, batch_size=1000)


class GovernedQuerySetMixin:
    """Mix into a QuerySet (before models.QuerySet) of a governed model."""

    def _bulk_policy(self) -> str:
        return GOVERNED.get(self.model, "audit")

    def _refuse(self, what):
        raise GovernedBulkWriteRefused(
            f"{what} on {self.model._meta.label} is not allowed: it is a governed model, use its service."
        )

    def _snapshot(self, pks) -> dict:
        names = ["pk", *[f.attname for f in self.model._meta.concrete_fields]]
        base = self.model._base_manager.using(self.db)
        out = {}
        pks = list(pks)
        for i in range(0, len(pks), 2000):
            for row in base.filter(pk__in=pks[i:i + 2000]).values(*names):
                out[row["pk"]] = row
        return out

    def update(self, **kwargs):
        if not is_governed(self.model):
            return super().update(**kwargs)
        if self._bulk_policy() == "refuse":
            self._refuse("QuerySet.update()")
        with transaction.atomic(using=self.db):
            # Lock the rows first so the "before" values are the ones the update overwrites (only this
            # model's rows: FOR UPDATE cannot lock the nullable side of the filter's outer joins).
            pks = list(self.values_list("pk", flat=True))
            base = self.model._base_manager.using(self.db)
            for i in range(0, len(pks), 2000):
                list(base.select_for_update().filter(pk__in=pks[i:i + 2000]).values_list("pk", flat=True))
            before = self._snapshot(pks)
            count = super().update(**kwargs)
            after = self._snapshot(pks)
            write_bulk_events(self.model, [(before.get(pk), after.get(pk)) for pk in pks if pk in after],
                              via="queryset.update")
        return count

    update.alters_data = True
    update.queryset_only = True

    def bulk_create(self, objs, *args, **kwargs):
        if not is_governed(self.model):
            return super().bulk_create(objs, *args, **kwargs)
        if self._bulk_policy() == "refuse":
            self._refuse("bulk_create()")
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
                # Upserts: what happened to each row is unknown, so log the resulting state as an update.
                pks = [o.pk for o in created if o.pk is not None]
                after = self._snapshot(pks)
                write_bulk_events(self.model, [({}, after[pk]) for pk in pks if pk in after], via="bulk_create.upsert")
            else:
                names = [f.attname for f in self.model._meta.concrete_fields]
                rows = [(None, {n: getattr(o, n) for n in names} | {"pk": o.pk}) for o in created]
                write_bulk_events(self.model, rows, via="bulk_create")
        return created

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        if not is_governed(self.model):
            return super().bulk_update(objs, fields, *args, **kwargs)
        if self._bulk_policy() == "refuse":
            self._refuse("bulk_update()")
        objs = list(objs)
        with transaction.atomic(using=self.db):
            pks = [o.pk for o in objs]
            list(self.model._base_manager.using(self.db).select_for_update().filter(pk__in=pks).values_list("pk"))
            before = self._snapshot(pks)
            count = super().bulk_update(objs, fields, *args, **kwargs)
            after = self._snapshot(pks)
            write_bulk_events(self.model, [(before.get(pk), after.get(pk)) for pk in pks if pk in after],
                              via="bulk_update")
        return count

    bulk_update.alters_data = True


class GovernedQuerySet(GovernedQuerySetMixin, models.QuerySet):
    pass


GovernedManager = models.Manager.from_queryset(GovernedQuerySet)


def _govern_managers(model) -> None:
    """Give every manager of `model` a governed queryset, without touching the app's code.

    The new manager class keeps the original's name and module, so migrations see no change.
    """
    for manager in model._meta.managers:
        qs_class = manager._queryset_class
        if issubclass(qs_class, GovernedQuerySetMixin):
            continue
        governed_qs = type(qs_class.__name__, (GovernedQuerySetMixin, qs_class), {"__module__": qs_class.__module__})
        old_class = type(manager)
        new_class = type(old_class.__name__, (old_class,), {"_queryset_class": governed_qs,
                                                             "__module__": old_class.__module__,
                                                             "__qualname__": old_class.__qualname__})
        manager.__class__ = new_class


# --- save()/delete() diffs ------------------------------------------------------------------------
# django-auditlog's receivers diff every field _meta.get_fields() returns, reverse relations included:
# each save then reads every reverse one-to-one (one query each) and records junk such as
# "reports": [null, "staff.StaffMember.None"]. These receivers diff the concrete fields only (as the
# bulk paths above do), with auditlog's own value formatting and masking, and write the same event.

_TRACKED: dict[type, list] = {}


def _tracked_fields(model) -> list:
    """(field, masked) for the concrete, non-m2m fields auditlog would diff, honouring include/exclude."""
    cached = _TRACKED.get(model)
    if cached is None:
        from auditlog.registry import auditlog

        opts = auditlog.get_model_fields(model)
        include, exclude, mask = opts["include_fields"], opts["exclude_fields"], opts["mask_fields"]
        cached = _TRACKED[model] = [
            (f, f.name in mask) for f in model._meta.concrete_fields
            if (not include or f.name in include) and f.name not in exclude
        ]
    return cached


def instance_diff(model, old, new, fields_to_check=None) -> dict | None:
    """auditlog.diff.model_instance_diff (JSON changes) over the concrete fields only."""
    from auditlog.diff import get_field_value, get_mask_function, is_primitive
    from django.utils.encoding import smart_str

    diff = {}
    for field, masked in _tracked_fields(model):
        if fields_to_check and field.name not in fields_to_check and field.attname not in fields_to_check:
            continue
        a = get_field_value(old, field, True) if old is not None else None
        b = get_field_value(new, field, True) if new is not None else None
        if a == b:
            continue
        if masked:
            from auditlog.registry import auditlog

            mask_func = get_mask_function(auditlog.get_model_fields(model).get("mask_callable"))
            diff[field.name] = (mask_func(smart_str(a)), mask_func(smart_str(b)))
        else:
            diff[field.name] = (a if is_primitive(a) else smart_str(a), b if is_primitive(b) else smart_str(b))
    return diff or None


def _logging_off(kwargs) -> bool:
    from auditlog.context import auditlog_disabled
    from django.conf import settings

    try:
        if auditlog_disabled.get():
            return True
    except LookupError:
        pass
    return bool(kwargs.get("raw") and settings.AUDITLOG_DISABLE_ON_RAW_SAVE)


def _log(action, instance, sender, old, new, fields_to_check=None) -> None:
    """auditlog.receivers._create_log_entry with the concrete-field diff (pre_log/post_log still sent)."""
    from auditlog.signals import post_log, pre_log

    from .models import AuditEvent

    pre_results = pre_log.send(sender, instance=instance, action=action) if pre_log.has_listeners(sender) else []
    if any(item[1] is False for item in pre_results):
        return
    error = entry = changes = None
    try:
        changes = instance_diff(sender, old, new, fields_to_check)
        if changes:
            entry = AuditEvent.objects.log_create(instance, action=action, changes=changes)
    except BaseException as exc:  # re-raised below, after post_log, as auditlog does
        error = exc
    finally:
        if (entry or error) and post_log.has_listeners(sender):
            post_log.send(sender, instance=instance, instance_old=old, action=action, error=error,
                          pre_log_results=pre_results, changes=changes, log_entry=entry,
                          log_created=entry is not None, use_json_for_changes=True)
        if error:
            raise error


def _on_create(sender, instance, created, **kwargs):
    if created and not _logging_off(kwargs):
        _log(0, instance, sender, None, instance)


def _on_update(sender, instance, **kwargs):
    if instance._state.adding or instance.pk is None or _logging_off(kwargs):
        return
    from auditlog.models import _get_manager_from_settings

    old = _get_manager_from_settings(sender).filter(pk=instance.pk).first()
    _log(1, instance, sender, old, instance, kwargs.get("update_fields"))


def _on_delete(sender, instance, **kwargs):
    if instance.pk is not None and not _logging_off(kwargs):
        _log(2, instance, sender, instance, None)


def _use_concrete_diffs(model) -> None:
    """Swap auditlog's save/delete receivers of `model` for the concrete-field ones (m2m stays auditlog's)."""
    from auditlog.registry import auditlog
    from django.db.models.signals import post_delete, post_save, pre_save

    ours = {post_save: _on_create, pre_save: _on_update, post_delete: _on_delete}
    for signal, receiver in list(auditlog._signals.items()):
        if signal in ours:
            signal.disconnect(sender=model, dispatch_uid=auditlog._dispatch_uid(signal, receiver))
            signal.connect(ours[signal], sender=model, weak=False,
                           dispatch_uid=("audits.concrete_diff", signal.__class__.__name__, id(signal), model))


def govern(model, *, bulk: str = "audit", **auditlog_kwargs):
    """Register `model` with django-auditlog and cover its bulk paths. Returns the model."""
    from auditlog.registry import auditlog

    if bulk not in ("audit", "refuse"):
        raise ValueError("bulk must be 'audit' or 'refuse'")
    if not auditlog.contains(model):
        auditlog.register(model, **auditlog_kwargs)
    if not auditlog.get_serialize_options(model)["serialize_data"]:
        _use_concrete_diffs(model)  # (serialize_data keeps auditlog's own path: none of ours uses it)
    GOVERNED[model] = bulk
    _govern_managers(model)
    return model


@checks.register(checks.Tags.models)
def check_governed_managers(app_configs=None, **kwargs):
    errors = []
    for model in GOVERNED:
        qs = model._default_manager.get_queryset()
        if not isinstance(qs, GovernedQuerySetMixin):
            errors.append(checks.Error(
                f"{model._meta.label} is governed but its default manager returns a plain QuerySet: bulk writes "
                "would not be audited.", hint="Inherit audits.registry.GovernedQuerySetMixin in its QuerySet.",
                obj=model, id="audits.E001"))
    return errors
