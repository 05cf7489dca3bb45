"""Drop the unique index on audits_auditseal.chain_hash.

Every seal's chain_hash is the prev_hash of the seal after it, and UNIQUE(prev_hash) already turns a fork
into an error; nothing looks a seal up by its chain hash (verification walks by seq). The index, over
random 32-byte keys, made each sealed event update one more B-tree page at a random place: at 2,000,000
seals it cost a third to a half of the time of writing seals (docs/benchmarks-full-size.md).

Like 0006, this runs as the migrating role, a member of the audit owner role that owns the table.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audits", "0006_i12c_search")]

    operations = [
        migrations.AlterField(
            model_name="auditseal",
            name="chain_hash",
            field=models.BinaryField(max_length=32),
        ),
    ]
