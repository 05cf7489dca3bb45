"""Test helpers (imported by tests only)."""

from accounts.mfa import SESSION_KEY


def mark_session_mfa_verified(client, user) -> None:
    """Make a test client's force_login session count as having passed MFA for `user`.

    Only tests call this: in the running site the flag is set by accounts.mfa.mark_session_verified
    after a valid code.
    """
    session = client.session
    session[SESSION_KEY] = str(user.pk)
    session.save()
