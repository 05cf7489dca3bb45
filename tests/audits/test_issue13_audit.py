"""Issue 13 on the audit page: one canonical action name per kind of event (old names still found), a grouped
action choice list in words, the actor filter by name or e-mail, a verification the auditor runs, times in the
practice's zone with the zone shown, and no "a.m.." anywhere."""

from django.urls import reverse

from audits.actions import action_label, action_names, canonical_action
from audits.models import AuditEvent, AuditVerification
from audits.services import record_event


def test_old_and_new_names_are_one_kind_of_event():
    assert canonical_action("access.provisioningtask.created") == "provisioning_task.created"
    assert canonical_action("staff.staffmember.created") == "staff.created"
    assert canonical_action("membership.granted") == "membership.granted"
    assert action_names("staff.created")[0] == ["staff.created", "staff.staffmember.created"]
    assert action_names("staff.staffmember.created")[0][:2] == ["staff.created", "staff.staffmember.created"]
    assert action_label("access.provisioningtask.created") == "Provisioning task: created"


def test_new_diff_events_get_the_canonical_name_and_the_filter_finds_old_ones(world, client_for):
    from staff.services import staff_create

    staff_create(organization=world.org, acting_user=world.alice, full_name="Tom Reed",
                 work_email="tom@cascade.example", job_role="front_desk")
    assert not AuditEvent.objects.filter(action="staff.staffmember.created").exists()
    assert AuditEvent.objects.filter(action="staff.created").exists()
    # An event written before the rename keeps its stored name; the filter finds it under the canonical one.
    old = AuditEvent.objects.filter(action="staff.created").first()
    # Written before the rename, as the governed-bulk writer writes (stamp, then one INSERT): the old name.
    from audits.stamping import stamp

    legacy = AuditEvent(action="staff.created", organization_id=world.org.pk, object_label="Old row")
    stamp(legacy)
    legacy.action = "staff.staffmember.created"
    AuditEvent.objects.bulk_create([legacy])
    assert old is not None
    client = client_for(world.carol)
    page = client.get(reverse("audit_log", args=["cascade"]), {"action": "staff.created"}).content.decode()
    assert "Old row" in page and "Tom Reed" in page
    page = client.get(reverse("audit_log", args=["cascade"]), {"action": "staff.*"}).content.decode()
    assert "Old row" in page
    # The filter is a grouped choice list in words; the table shows words, not codes.
    page = client.get(reverse("audit_log", args=["cascade"])).content.decode()
    assert '<optgroup label="Staff">' in page and '<option value="staff.created">Staff: created</option>' in page
    assert "staff.staffmember" not in page.split("<table")[0]
    assert "<td>Staff: created</td>" in page


def test_the_actor_filter_matches_a_name_or_an_e_mail(world, client_for):
    record_event("contract.created", actor=world.alice, organization=world.org, object_label="Aetna contract")
    record_event("contract.created", actor=world.bob, organization=world.org, object_label="Cigna contract")
    client = client_for(world.carol)
    by_name = client.get(reverse("audit_log", args=["cascade"]), {"actor": "alice adm"}).content.decode()
    by_mail = client.get(reverse("audit_log", args=["cascade"]), {"actor": "alice@cascade"}).content.decode()
    for page in (by_name, by_mail):
        assert "Aetna contract" in page and "Cigna contract" not in page
    assert 'placeholder="name, e-mail or job"' in by_name


def test_the_auditor_runs_a_verification_from_the_audit_page(world, client_for):
    record_event("contract.created", actor=world.alice, organization=world.org, object_label="Aetna contract")
    client = client_for(world.carol)
    page = client.get(reverse("audit_log", args=["cascade"])).content.decode()
    assert reverse("audit_verify_now", args=["cascade"]) in page and "Verify this organization" in page
    response = client.post(reverse("audit_verify_now", args=["cascade"]), {"back": "log"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("audit_log", args=["cascade"])
    run = AuditVerification.objects.get(organization_id=world.org.pk)
    assert run.ok and run.triggered_by == world.carol.email
    assert AuditEvent.objects.filter(action="audit.verified", actor_label=world.carol.email).exists()
    assert "Verified:" in response.content.decode()
    assert client.get(reverse("audit_verify_now", args=["cascade"])).status_code == 405
    assert client_for(world.dave).post(reverse("audit_verify_now", args=["cascade"])).status_code == 403


def test_times_show_in_the_practices_zone_with_the_zone_and_no_double_full_stop(world, client_for):
    from accounts.models import Organization

    record_event("contract.created", actor=world.alice, organization=world.org, object_label="Aetna contract")
    client = client_for(world.carol)
    client.post(reverse("audit_verify_now", args=["cascade"]))
    page = client.get(reverse("audit_log", args=["cascade"])).content.decode()
    assert " EST" in page or " EDT" in page
    assert "a.m." not in page and "p.m." not in page
    Organization.objects.filter(pk=world.org.pk).update(time_zone="America/Los_Angeles")
    page = client.get(reverse("audit_log", args=["cascade"])).content.decode()
    assert " PST" in page or " PDT" in page
    assert 'placeholder="YYYY-MM-DD"' in page and 'type="date"' not in page
