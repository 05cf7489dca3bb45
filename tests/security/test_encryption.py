"""EncryptedTextField (MultiFernet): ciphertext at rest, key rotation without downtime, reveals audited."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.demo import ensure_demo_mfa
from accounts.models import TOTPDevice
from audits.models import AuditEvent
from security import crypto
from security.fields import EncryptedTextField, encrypted_fields

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw(table, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608 (test, constant names)
        return [row[0] for row in cursor.fetchall()]


def test_the_totp_secrets_are_encrypted_and_recovery_codes_are_not_even_stored():
    found = {f"{model._meta.label}.{field.name}" for model, field in encrypted_fields()}
    assert "accounts.TOTPDevice.secret" in found
    assert not any(label.startswith("accounts.RecoveryCode.") for label in found)  # one-way hashes instead


def test_values_are_ciphertext_in_the_database_and_plaintext_in_python(world, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    secret = ensure_demo_mfa(world.alice)
    stored = raw("accounts_totpdevice", "secret")[0]
    assert secret not in stored
    assert Fernet(OLD.encode()).decrypt(stored.encode()).decode() == secret
    assert TOTPDevice.objects.get(user=world.alice).secret == secret


def test_rotation_keeps_old_ciphertexts_readable_and_rewrites_them_with_the_new_key(world, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    secret = ensure_demo_mfa(world.alice)
    ensure_demo_mfa(world.carol)
    before = raw("accounts_totpdevice", "secret")

    # Step 1: the new key goes first, the old one stays: old values still read, new writes use NEW.
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    assert TOTPDevice.objects.get(user=world.alice).secret == secret
    ensure_demo_mfa(world.bob)
    bob_token = raw("accounts_totpdevice", "secret")[2]
    Fernet(NEW.encode()).decrypt(bob_token.encode())

    # Step 2: rotate_keys re-encrypts everything with NEW.
    call_command("rotate_keys")
    after = raw("accounts_totpdevice", "secret")
    assert after[0] != before[0] and after[1] != before[1]
    for token in after:
        Fernet(NEW.encode()).decrypt(token.encode())
    assert AuditEvent.objects.filter(action="security.keys_rotated").count() == 1

    # Step 3: the old key is gone and everything still reads.
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert TOTPDevice.objects.get(user=world.alice).secret == secret


def test_without_the_old_key_old_values_do_not_read_and_rotate_keys_says_which_row(world, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    ensure_demo_mfa(world.alice)
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(InvalidToken):
        TOTPDevice.objects.get(user=world.alice)
    with pytest.raises(CommandError, match="accounts.TOTPDevice.secret pk="):
        call_command("rotate_keys", "--dry-run")


def test_a_dry_run_changes_nothing(world, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    ensure_demo_mfa(world.alice)
    before = raw("accounts_totpdevice", "secret")
    call_command("rotate_keys", "--dry-run")
    assert raw("accounts_totpdevice", "secret") == before


def test_no_or_malformed_keys_fail_loudly(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


def test_the_field_refuses_unique_and_indexes():
    with pytest.raises(ValueError):
        EncryptedTextField(unique=True)
    with pytest.raises(ValueError):
        EncryptedTextField(db_index=True)


def test_production_settings_refuse_to_start_without_keys(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("FIELD_ENCRYPTION_KEYS", "DEBUG")}
    env.update(DJANGO_SETTINGS_MODULE="portalgov.settings", SECRET_KEY="x" * 60, PORTALGOV_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr


def test_showing_the_secret_at_enrolment_is_an_audited_reveal(world, client):
    from django.urls import reverse

    from tests.conftest import PASSWORD

    client.post(reverse("login"), {"username": world.alice.email, "password": PASSWORD})
    client.get(reverse("mfa_enroll"))
    event = AuditEvent.objects.filter(action="security.field_revealed").latest("id")
    assert event.changes["field"] == "accounts.TOTPDevice.secret"
    assert event.actor_label == world.alice.email
