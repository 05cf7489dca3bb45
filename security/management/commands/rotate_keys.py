"""Re-encrypt every EncryptedTextField value with the primary key, while the site keeps running.

Each value is rewritten with a compare-and-set (UPDATE ... WHERE value = the token read), so a
concurrent write is never overwritten with an older value; it already uses the primary key.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audits.services import record_event
from core.context import Actor, acting_as
from security import crypto
from security.fields import encrypted_fields

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the first key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only check that every value decrypts.")

    def handle(self, *args, dry_run=False, **options):
        qn = connection.ops.quote_name
        total = rotated = 0
        counts = {}
        for model, field in encrypted_fields():
            table, column, pk = qn(model._meta.db_table), qn(field.column), qn(model._meta.pk.column)
            # Identifiers come from the model registry (quoted), values are parameters.
            select = f"SELECT {pk}, {column} FROM {table} WHERE {pk} > %s AND {column} IS NOT NULL AND {column} <> '' ORDER BY {pk}"  # nosec B608  # noqa: S608
            update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s"  # nosec B608  # noqa: S608
            last_pk, done = 0, 0
            while True:
                with connection.cursor() as cursor:
                    cursor.execute(select + f" LIMIT {BATCH}", [last_pk])
                    rows = cursor.fetchall()
                if not rows:
                    break
                with transaction.atomic():
                    for row_pk, token in rows:
                        last_pk = row_pk
                        try:
                            fresh = crypto.rotate(token)
                        except crypto.InvalidToken as exc:
                            raise CommandError(
                                f"{model._meta.label}.{field.name} pk={row_pk}: no configured key decrypts it."
                            ) from exc
                        total += 1
                        if not dry_run:
                            with connection.cursor() as cursor:
                                cursor.execute(update, [fresh, row_pk, token])
                                rotated += cursor.rowcount
                                done += cursor.rowcount
            counts[f"{model._meta.label}.{field.name}"] = done
            self.stdout.write(f"{model._meta.label}.{field.name}: {done} re-encrypted")
        if not dry_run:
            with acting_as(Actor.job("rotate_keys")):
                record_event("security.keys_rotated", changes={"rotated": counts}, message=f"{rotated} values")
        summary = f"{total} values decrypt." if dry_run else f"{total} values read, {rotated} re-encrypted."
        self.stdout.write(self.style.SUCCESS(summary))
