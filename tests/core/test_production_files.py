"""The production files say what the smoke test (scripts/smoke-production, run by .ci/run) exercises."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "AUDIT_SIGNING_KEY", "POSTGRES_OWNER_PASSWORD",
           "POSTGRES_MIGRATOR_PASSWORD", "POSTGRES_APP_PASSWORD"]


def _compose_config(**env):
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    clean.update(env)
    return subprocess.run(["docker-compose", "-f", "docker-compose.yml", "config", "-q"], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=60)


needs_compose = pytest.mark.skipif(shutil.which("docker-compose") is None and not os.environ.get("CI"),
                                   reason="docker-compose is not installed (CI installs it)")


@needs_compose
def test_compose_config_names_the_first_missing_secret_and_how_to_make_it():
    result = _compose_config()
    assert result.returncode != 0
    assert "SECRET_KEY is Django's secret key; make one with" in result.stderr or \
        "is the password of" in result.stderr, result.stderr
    # With all but one, the message names exactly that one.
    for missing in SECRETS:
        result = _compose_config(**{s: "x" for s in SECRETS if s != missing})
        assert result.returncode != 0 and f"{missing} " in result.stderr and "make one with" in result.stderr, missing


@needs_compose
def test_compose_config_passes_with_every_secret():
    assert _compose_config(**dict.fromkeys(SECRETS, "x")).returncode == 0


def test_compose_migrates_as_the_migrator_and_runs_the_services_as_the_app_role():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["migrate"]["environment"]["DATABASE_URL"].startswith("postgres://portalgov_migrator:")
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://portalgov_app:")


def test_the_image_installs_the_runtime_lock_with_hashes_as_a_non_root_user_with_a_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    build = (ROOT / "deploy" / "build-image.sh").read_text()
    assert "deploy/build-image.sh" in dockerfile and "USER portalgov" in dockerfile and "HEALTHCHECK" in dockerfile
    assert "--require-hashes -r requirements/runtime.txt" in build and "dev.txt" not in build
    assert not (ROOT / "requirements" / "lock.txt").exists()
    runtime = (ROOT / "requirements" / "runtime.txt").read_text()
    assert "--hash=sha256:" in runtime and "pytest" not in runtime and "playwright" not in runtime


def test_the_role_set_up_is_one_sql_file_that_the_docs_and_the_init_script_use():
    assert "roles.psql" in (ROOT / "deploy" / "postgres-init" / "10-roles.sh").read_text()
    docs = (ROOT / "docs" / "audit-log.md").read_text()
    assert "deploy/postgres-init/roles.psql" in docs
    sql = (ROOT / "deploy" / "postgres-init" / "roles.psql").read_text()
    assert "GRANT portalgov_audit_owner TO portalgov_migrator WITH ADMIN OPTION" in sql
