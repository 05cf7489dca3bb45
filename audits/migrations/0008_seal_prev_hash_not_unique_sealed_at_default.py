"""Drop the unique index on audits_auditseal.prev_hash.

What the index was for: turning a forked chain (two seals claiming the same predecessor) into an error at
insert time. Who does that job now:
- a second sealer appending from the same head writes the same seq: the primary key refuses it (and the sealer
  holds an advisory lock besides);
- any other fork, written behind the sealer's back, is caught by audit_verify: it walks the seals by seq and
  checks each prev_hash against the chain hash of the seal just before it, so of two seals sharing a prev_hash
  at most one can sit right after that predecessor; the other breaks the link where it stands
  (tests/audits/test_verify_fast_pg.py forks a chain and checks that it is named).
What it cost: a B-tree over random 32-byte keys, so every sealed event dirtied a leaf page at a random place in
an index as large as the table. On a 1,000,000-seal table, COPY of 200,000 seals: 4.9 s with it, 2.4 s
without (docs/benchmarks-full-size.md, "Audit sealer"). Nothing looks a seal up by its prev_hash.

sealed_at gets a database default (Django's Now(): the statement's time; the sealer wrote one time per batch before): the sealer's
COPY leaves the column out instead of sending the same timestamp on every line for the server to parse.

Like 0007, this runs as the migrating role, a member of the audit owner role that owns the table.
"""

from django.db import migrations, models
from django.db.models.functions import Now
from django.utils import timezone


class Migration(migrations.Migration):
    dependencies = [("audits", "0007_seal_chain_hash_not_unique")]

    operations = [
        migrations.AlterField(
            model_name="auditseal",
            name="prev_hash",
            field=models.BinaryField(max_length=32),
        ),
        migrations.AlterField(
            model_name="auditseal",
            name="sealed_at",
            field=models.DateTimeField(default=timezone.now, db_default=Now()),
        ),
    ]
