"""Ed25519 checkpoints in the C2SP/Trillian signed-note shape.

    <origin>\n<tree size>\n<base64 chain head>\n<UTC time>\n
    \n
    — <origin> <base64(4-byte key hint || signature)>\n

The private key comes from AUDIT_SIGNING_KEY (base64 of the 32-byte seed) or AUDIT_SIGNING_KEY_FILE;
in production it belongs to the job that signs, not to database administrators. Verifiers need only
the public keys (AUDIT_VERIFY_KEYS, plus the one derived from the private key when it is present).
"""

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

SIG_PREFIX = "\u2014 "  # em dash + space, as in signed notes


class SigningKeyMissing(Exception):
    pass


class CheckpointError(Exception):
    """A checkpoint note that is malformed, unsigned by a known key, or for another log."""


class CheckpointFormatError(CheckpointError):
    """Not a checkpoint note of this log at all (bad input), as opposed to one whose signature fails."""


def origin() -> str:
    return settings.AUDIT_LOG_ORIGIN


def _raw_public(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_hint(pub_raw: bytes) -> bytes:
    return hashlib.sha256(pub_raw).digest()[:4]


def _load_seed(text: str) -> Ed25519PrivateKey:
    try:
        seed = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise SigningKeyMissing("AUDIT_SIGNING_KEY is not base64.")
    if len(seed) != 32:
        raise SigningKeyMissing("AUDIT_SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key() -> Ed25519PrivateKey:
    if settings.AUDIT_SIGNING_KEY:
        return _load_seed(settings.AUDIT_SIGNING_KEY)
    path = Path(settings.AUDIT_SIGNING_KEY_FILE) if settings.AUDIT_SIGNING_KEY_FILE else None
    if path and path.exists():
        return _load_seed(path.read_text())
    if path and settings.AUDIT_SIGNING_KEY_AUTOCREATE:
        # Demo/development convenience only (off in production, see docs/audit-log.md).
        key = Ed25519PrivateKey.generate()
        seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.b64encode(seed).decode() + "\n")
        return key
    raise SigningKeyMissing("No audit signing key: set AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE.")


def public_keys() -> dict[bytes, Ed25519PublicKey]:
    """Known verification keys by 4-byte hint."""
    keys: dict[bytes, Ed25519PublicKey] = {}
    for text in settings.AUDIT_VERIFY_KEYS:
        raw = base64.b64decode(text)
        keys[key_hint(raw)] = Ed25519PublicKey.from_public_bytes(raw)
    try:
        pub = private_key().public_key()
        keys[key_hint(_raw_public(pub))] = pub
    except SigningKeyMissing:
        pass
    return keys


def public_key_b64() -> str:
    return base64.b64encode(_raw_public(private_key().public_key())).decode()


def sign_bytes(body: bytes) -> tuple[str, str]:
    """-> (base64(hint || signature), key id hex)."""
    key = private_key()
    raw = _raw_public(key.public_key())
    hint = key_hint(raw)
    return base64.b64encode(hint + key.sign(body)).decode(), hint.hex()


def verify_bytes(body: bytes, signature_b64: str) -> str:
    """Raise CheckpointError unless a known key signed body; return the key id."""
    try:
        blob = base64.b64decode(signature_b64, validate=True)
    except binascii.Error:
        raise CheckpointError("the signature is not base64")
    pub = public_keys().get(blob[:4])
    if pub is None:
        raise CheckpointError(f"signed by an unknown key ({blob[:4].hex()})")
    try:
        pub.verify(blob[4:], body)
    except InvalidSignature:
        raise CheckpointError("the signature does not match (the text was altered or the key is wrong)")
    return blob[:4].hex()


def checkpoint_body(tree_size: int, root: bytes, when_iso: str) -> bytes:
    return f"{origin()}\n{tree_size}\n{base64.b64encode(root).decode()}\n{when_iso}\n".encode()


def make_note(tree_size: int, root: bytes, when_iso: str) -> tuple[str, str]:
    body = checkpoint_body(tree_size, root, when_iso)
    sig, key_id = sign_bytes(body)
    return body.decode() + "\n" + SIG_PREFIX + origin() + " " + sig + "\n", key_id


@dataclass(frozen=True)
class ParsedCheckpoint:
    tree_size: int
    root: bytes
    timestamp: str
    key_id: str


def parse_note(note: str) -> ParsedCheckpoint:
    """Check the signature and the origin; raise CheckpointError with a clear reason."""
    body, sep, sigs = note.partition("\n\n")
    if not sep:
        raise CheckpointFormatError("not a checkpoint note (no blank line before the signature)")
    lines = body.split("\n")
    if len(lines) < 3:
        raise CheckpointFormatError("not a checkpoint note (too few lines)")
    if lines[0] != origin():
        raise CheckpointFormatError(f"checkpoint is for another log ({lines[0]!r}, expected {origin()!r})")
    try:
        tree_size = int(lines[1])
        root = base64.b64decode(lines[2], validate=True)
    except (ValueError, binascii.Error):
        raise CheckpointFormatError("checkpoint size or root hash is malformed")
    body_bytes = (body + "\n").encode()
    errors = []
    for line in sigs.strip("\n").split("\n"):
        if not line.startswith(SIG_PREFIX):
            continue
        try:
            key_id = verify_bytes(body_bytes, line.rsplit(" ", 1)[-1])
            return ParsedCheckpoint(tree_size, root, lines[3] if len(lines) > 3 else "", key_id)
        except CheckpointError as exc:
            errors.append(str(exc))
    raise CheckpointError("; ".join(errors) or "the checkpoint carries no signature")
