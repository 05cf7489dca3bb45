"""Recovery codes: from encrypted (reversible with the key) to one-way hashes.

The codes issued so far have 8 characters (40 bits), few enough that a fast hash could be
searched exhaustively, so they are converted with Django's password hasher (slow, salted, compared
in constant time by check_password). New codes have 80 bits and use salted SHA-256
(accounts.mfa.hash_recovery_code). The plaintext cannot come back: reversing this migration
deletes the codes, and their owners generate new ones.
"""

from django.contrib.auth.hashers import make_password
from django.db import migrations, models


def _normalize(code):
    return "".join(ch for ch in str(code or "").lower() if ch.isalnum())


def hash_existing_codes(apps, schema_editor):
    RecoveryCode = apps.get_model("accounts", "RecoveryCode")
    for row in RecoveryCode.objects.filter(code_hash="").iterator():
        row.code_hash = make_password(_normalize(row.code))  # `code` decrypts as it loads (EncryptedTextField)
        row.save(update_fields=["code_hash"])


def forget_codes(apps, schema_editor):
    apps.get_model("accounts", "RecoveryCode").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_organization_mfa_required_for_all_recoverycode_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="recoverycode",
            name="code_hash",
            field=models.CharField(default="", max_length=200),
            preserve_default=False,
        ),
        migrations.RunPython(hash_existing_codes, forget_codes),
        migrations.RemoveField(model_name="recoverycode", name="code"),
    ]
