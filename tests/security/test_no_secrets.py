"""No secret is committed: no key files, no private keys, no production keys in tracked files."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Throwaway or public values that may be in the repository, and why.
ALLOWED = {
    "portalgov/test_settings.py": "the test suite's throwaway SECRET_KEY and Fernet key",
}
SECRET_FILE = re.compile(r"(^|/)(\.env(\..+)?|.*\.pem|.*\.key|id_rsa.*|.*\.p12|.*\.pfx)$")
SECRET_TEXT = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key id
    # A long literal assigned to a key setting; "django-insecure-..." is the DEBUG-only development
    # key of portalgov/settings.py, which refuses to start without a real SECRET_KEY when DEBUG is off.
    re.compile(r"(?i)(SECRET_KEY|FIELD_ENCRYPTION_KEYS|AUDIT_SIGNING_KEY|PASSWORD)\s*[=:]\s*[\"']?(?!django-insecure-)[A-Za-z0-9_\-]{32,}={0,2}"),
]


def tracked_files():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line]


def test_no_key_or_env_file_is_tracked():
    offenders = [f for f in tracked_files() if SECRET_FILE.search(f) and not f.endswith(".env.example")]
    assert offenders == []


def test_no_private_key_or_long_key_literal_is_tracked():
    offenders = []
    for name in tracked_files():
        if name in ALLOWED or name.startswith(("static/vendor/", "tests/")):
            continue
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for pattern in SECRET_TEXT:
            for match in pattern.finditer(text):
                offenders.append(f"{name}: {match.group(0)[:40]}")
    assert offenders == [], offenders
