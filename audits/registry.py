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


def govern(model, *, bulk: str = "audit", **auditlog_kwargs):
    """Register `model` with django-auditlog and cover its bulk paths. Returns the model."""
    from auditlog.registry import auditlog

    if bulk not in ("audit", "refuse"):
        raise ValueError("bulk must be 'audit' or 'refuse'")
    if not auditlog.contains(model):
        auditlog.register(model, **auditlog_kwargs)
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
