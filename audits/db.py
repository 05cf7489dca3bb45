"""Small database helpers shared by the audit modules."""

from django.db import connection
from django.db.models import BigIntegerField, Func


class CurrentTxid(Func):
    """The inserting transaction's 64-bit id (PostgreSQL), as a column default.

    Stored as bigint (xid8 has no Django field); xid8 never wraps, unlike the xmin system column.
    SQLite has no such thing: NULL there (SQLite runs one writer at a time, so id order is safe).
    """

    template = "((pg_current_xact_id())::text)::bigint"
    output_field = BigIntegerField()

    def __init__(self):
        super().__init__(output_field=BigIntegerField())

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []


def is_postgres(conn=None) -> bool:
    return (conn or connection).vendor == "postgresql"


def qn(name: str) -> str:
    return connection.ops.quote_name(name)
