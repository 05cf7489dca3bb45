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


def force_login_passes_mfa(monkeypatch) -> None:
    """Make Django's test Client.force_login also mark the session MFA-verified (tests only).

    tests/conftest.py applies it to every test not marked `real_mfa`, so permission tests of
    every app keep signing in with force_login; the MFA tests sign in through the real pages.
    """
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        mark_session_mfa_verified(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


def browser_pass_mfa(page, user) -> None:
    """After a password sign-in in a browser test: pass the MFA step if the site asks for it.

    Gives the user the demo authenticator (known secret) and types its current code; the replay
    guard is cleared first so several sign-ins within one 30-second step all work.
    """
    if "/accounts/mfa/" not in page.url:
        return
    from accounts.demo import ensure_demo_mfa
    from accounts.mfa import current_code
    from accounts.models import TOTPDevice

    secret = ensure_demo_mfa(user)
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    if "/accounts/mfa/enroll/" in page.url:
        page.goto(page.url.replace("/accounts/mfa/enroll/", "/accounts/mfa/verify/"))
    page.get_by_label("6-digit code", exact=False).fill(current_code(secret))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("networkidle")
