"""Recovery codes are kept as one-way hashes (salted SHA-256), compared in constant time, and the
encrypted codes of before are converted by a data migration."""

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts import mfa
from accounts.models import RecoveryCode
from audits.models import AuditEvent


def test_codes_are_stored_as_salted_hashes_and_verify_once(world):
    codes = mfa.recovery_codes_regenerate(user=world.alice)
    assert len(codes) == 10 and all(len(mfa._normalize_code(c)) == 16 for c in codes)  # 80 bits each
    stored = list(RecoveryCode.objects.filter(user=world.alice).values_list("code_hash", flat=True))
    for code, row in zip(codes, stored, strict=True):
        scheme, salt, digest = row.split("$")
        assert scheme == "sha256" and len(salt) == 32
        assert digest == hashlib.sha256(f"{salt}${mfa._normalize_code(code)}".encode()).hexdigest()
        assert mfa._normalize_code(code) not in row
    assert len({row.split("$")[1] for row in stored}) == 10  # a salt per code

    assert mfa.verify_recovery_code(user=world.alice, code=f"  {codes[3].upper()} ")
    assert not mfa.verify_recovery_code(user=world.alice, code=codes[3])  # once only
    assert not mfa.verify_recovery_code(user=world.alice, code="aaaa-bbbb-cccc-dddd")
    assert not mfa.verify_recovery_code(user=world.bob, code=codes[4])  # another person's code
    assert mfa.recovery_codes_left(world.alice) == 9
    assert not AuditEvent.objects.filter(action="security.field_revealed").exists()  # nothing to reveal now


def test_the_comparison_is_constant_time(world, monkeypatch):
    calls = []
    real = mfa.hmac.compare_digest
    monkeypatch.setattr(mfa.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    codes = mfa.recovery_codes_regenerate(user=world.alice)
    assert mfa.verify_recovery_code(user=world.alice, code=codes[9])
    assert len(calls) == 10  # each unused code's hash compared with compare_digest, never ==


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_encrypted_codes_into_hashes_that_still_sign_in(world):
    before = [("accounts", "0002_organization_mfa_required_for_all_recoverycode_and_more")]
    after = [("accounts", "0003_recovery_codes_hashed")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old_state = executor.loader.project_state(before).apps
        OldCode = old_state.get_model("accounts", "RecoveryCode")
        OldCode.objects.create(user_id=world.alice.pk, code="abcd-2345")
        OldCode.objects.create(user_id=world.alice.pk, code="wxyz-6789")
        with connection.cursor() as cursor:
            cursor.execute("SELECT code FROM accounts_recoverycode")
            assert all(row[0].startswith("gAAAA") for row in cursor.fetchall())  # encrypted, as they were
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(after)

    stored = list(RecoveryCode.objects.order_by("pk").values_list("code_hash", flat=True))
    assert len(stored) == 2 and not any("abcd" in s or "wxyz" in s for s in stored)
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts_recoverycode'"
                       if connection.vendor == "postgresql" else "SELECT name FROM pragma_table_info('accounts_recoverycode')")
        assert "code" not in {row[0] for row in cursor.fetchall()}
    assert mfa.verify_recovery_code(user=world.alice, code="ABCD 2345")
    assert not mfa.verify_recovery_code(user=world.alice, code="abcd-2345")
    assert mfa.recovery_codes_left(world.alice) == 1
