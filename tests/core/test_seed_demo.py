from django.core.management import call_command

from accounts.models import Membership, Organization, User
from audits.models import AuditEvent


def test_seed_demo_builds_the_practices_and_is_safe_to_run_twice(db, capsys):
    call_command("seed_demo")
    counts = (Organization.objects.count(), User.objects.count(), Membership.objects.count())
    first_output = capsys.readouterr().out
    assert "admin@demo.portalgov.test" in first_output and "password" in first_output
    membership_events = AuditEvent.objects.filter(action__startswith="membership.").count()
    # Nobody signed in ran it: no event may carry a person left over from an earlier request.
    assert not AuditEvent.objects.filter(actor_type="user").exists()

    call_command("seed_demo")
    assert (Organization.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    assert counts[0] == 2 and counts[1] >= 4
    # A second run changes nothing, so it writes no new membership events.
    assert AuditEvent.objects.filter(action__startswith="membership.").count() == membership_events
    admin = User.objects.get(email="admin@demo.portalgov.test")
    assert admin.check_password("portalgov-demo-2026")
    assert admin.has_perm("accounts.manage_members", Organization.objects.get(slug="cascade-family"))
