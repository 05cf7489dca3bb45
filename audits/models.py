"""The audit trail: one append-only table for django-auditlog diffs and business events.

AuditEvent is django-auditlog's swappable log entry (AUDITLOG_LOGENTRY_MODEL), so diffs and business
events share one table and one hash chain. Objects, actors and organizations are kept as identifiers
and labels; the two foreign keys auditlog insists on (content type, actor) carry no database
constraint and never cascade, so deleting anything never rewrites the log.

In PostgreSQL (migrations 0002+): the table is partitioned by month on `timestamp`, owned by a NOLOGIN
role; the application's role may only SELECT and INSERT; triggers refuse UPDATE, DELETE and TRUNCATE.
"""

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from .db import CurrentTxid


def organization_id_of(instance):
    """The tenant an object belongs to (the organization itself, or its organization_id)."""
    if instance._meta.label_lower == "accounts.organization":
        return instance.pk
    return getattr(instance, "organization_id", None)


class AuditEventManager(LogEntryManager):
    """django-auditlog's writer, plus the tenant of the changed object."""

    def log_create(self, instance, force_log: bool = False, **kwargs):
        kwargs.setdefault("organization_id", organization_id_of(instance))
        return super().log_create(instance, force_log=force_log, **kwargs)

    def log_m2m_changes(self, changed_queryset, instance, operation, field_name, **kwargs):
        kwargs.setdefault("organization_id", organization_id_of(instance))
        return super().log_m2m_changes(changed_queryset, instance, operation, field_name, **kwargs)


class AuditEvent(AbstractLogEntry):
    """Who did what to what, when, from where, with what change."""

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    # --- overrides of django-auditlog's fields: no cascading FKs, string actions, our indexes ---
    content_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, db_index=False, related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, db_index=False, related_name="+",
    )
    action = models.CharField(max_length=100)
    object_pk = models.CharField(max_length=255, blank=True, default="")
    object_id = models.BigIntegerField(null=True, blank=True)
    object_repr = models.TextField(blank=True, default="")
    changes = models.JSONField(null=True, blank=True)
    cid = models.CharField(max_length=255, null=True, blank=True)
    timestamp = models.DateTimeField(default=timezone.now)

    # --- PortalGov's columns ---
    # The inserting transaction's id (PostgreSQL): the sealer chains rows in (txid, id) order,
    # which is commit-safe, unlike id or timestamp order.
    txid = models.BigIntegerField(null=True, blank=True, editable=False, db_default=CurrentTxid())
    organization_id = models.BigIntegerField(null=True, blank=True)
    actor_type = models.CharField(max_length=16, default="system")  # user | api | job | system | anonymous
    actor_ref = models.CharField(max_length=64, blank=True, default="")  # user pk, API key id, job name
    actor_label = models.CharField(max_length=254, blank=True, default="")
    object_type = models.CharField(max_length=100, blank=True, default="")  # "app_label.model"
    object_label = models.CharField(max_length=255, blank=True, default="")
    message = models.TextField(blank=True, default="")
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    user_agent = models.CharField(max_length=500, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")

    objects = AuditEventManager()

    class Meta:
        ordering = ["-timestamp", "-id"]
        get_latest_by = "timestamp"
        verbose_name = "audit event"
        indexes = [
            models.Index(fields=["organization_id", "-timestamp", "-id"], name="audit_org_time"),
            models.Index(fields=["organization_id", "action", "-timestamp"], name="audit_org_action"),
            models.Index(fields=["organization_id", "actor_ref", "-timestamp"], name="audit_org_actor"),
            models.Index(fields=["object_type", "object_pk", "-timestamp"], name="audit_object"),
            models.Index(fields=["-timestamp", "-id"], name="audit_time"),
            models.Index(fields=["txid", "id"], name="audit_txid"),
        ]

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_label}"

    # Compatibility with the first version of this model.
    @property
    def occurred_at(self):
        return self.timestamp

    @property
    def ip_address(self):
        return self.remote_addr

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit events are append-only.")
        from .stamping import stamp

        stamp(self)
        using = kwargs.get("using") or "default"
        if args or set(kwargs) - {"force_insert", "using"} or not _insert(self, using):
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


_INSERT_SQL: dict[str, tuple] = {}


def _insert(event, using: str) -> bool:
    """One event, one prepared INSERT ... RETURNING (no per-row query compilation or save signals: nothing
    listens to an event's save, and every audited write pays for this). False: let Model.save do it."""
    from django.db import connections

    connection = connections[using]
    if not connection.features.can_return_columns_from_insert:
        return False
    cached = _INSERT_SQL.get(using)
    if cached is None:
        meta = AuditEvent._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key and not f.has_db_default()]
        returning = [meta.pk] + [f for f in meta.concrete_fields if f.has_db_default()]
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in fields)
        back = ", ".join(qn(f.column) for f in returning)
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks}) RETURNING {back}"  # noqa: S608 (model metadata)  # nosec B608 -- names from the model's metadata; values are parameters
        cached = _INSERT_SQL[using] = (sql, fields, returning)
    sql, fields, returning = cached
    params = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    for field, value in zip(returning, row, strict=True):
        setattr(event, field.attname, value)
    event._state.adding = False
    event._state.db = using
    return True


class AuditSeal(models.Model):
    """The hash chain, kept beside the events so event rows are never updated.

    seq is gap-free and assigned by the single sealer; chain_hash = SHA-256(0x01 || prev_hash ||
    content_hash). The primary key on seq turns a second sealer appending from the same head into a loud
    error (both would write the same seq). Neither hash has an index (audits/0007, 0008): nothing looks a seal
    up by a hash, and each B-tree over random 32-byte keys made every sealed event update a page at a random
    place. A fork (two seals claiming the same predecessor) is caught by verification instead: it walks by
    seq and checks every prev_hash against the chain hash of the seal just before it, so a second seal with
    the same prev_hash breaks the link where it stands. event_id stays unique (an index that grows at its
    right edge, used to find an event's seal).
    """

    seq = models.BigIntegerField(primary_key=True)
    event_id = models.BigIntegerField(unique=True)
    event_timestamp = models.DateTimeField()
    txid = models.BigIntegerField(null=True)
    content_hash = models.BinaryField(max_length=32)
    prev_hash = models.BinaryField(max_length=32)
    chain_hash = models.BinaryField(max_length=32)
    # The database's default too: the sealer's COPY leaves the column out (one timestamp less to parse per seal).
    sealed_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        ordering = ["seq"]

    def __str__(self):
        return f"seal {self.seq} -> event {self.event_id}"


class AuditCheckpoint(models.Model):
    """A signed statement of the chain head (tree size = last seq, root = its chain hash).

    `note` is a C2SP/Trillian-style signed note; auditors keep copies outside the database, and
    audit_verify --checkpoint FILE catches a log that no longer contains what a copy covers.
    """

    tree_size = models.BigIntegerField(unique=True)
    root = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)
    key_id = models.CharField(max_length=16)
    reason = models.CharField(max_length=32, default="scheduled")
    note = models.TextField()

    class Meta:
        ordering = ["-tree_size"]

    def __str__(self):
        return f"checkpoint {self.tree_size}"


class AuditArchive(models.Model):
    """A month of events moved out of the database (whole partition), after a checkpoint covered it."""

    month = models.DateField(unique=True)  # first day of the month
    event_count = models.BigIntegerField()
    first_seq = models.BigIntegerField(null=True)
    last_seq = models.BigIntegerField(null=True)
    file_sha256 = models.CharField(max_length=64)
    checkpoint_tree_size = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    location = models.CharField(max_length=500)

    def __str__(self):
        return f"archive {self.month:%Y-%m}"


class AuditVerification(models.Model):
    """The result of one verification run (what the UI shows as "last verified")."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    organization_id = models.BigIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    events_checked = models.BigIntegerField(default=0)
    tree_size = models.BigIntegerField(default=0)
    problem = models.TextField(blank=True, default="")
    first_bad_event_id = models.BigIntegerField(null=True, blank=True)
    triggered_by = models.CharField(max_length=254, blank=True, default="")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["organization_id", "-started_at"], name="audit_verif_org")]

    def __str__(self):
        return f"verification {self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'FAILED'}"
