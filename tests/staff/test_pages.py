"""Roster pages: search and filter, the upload page with its preview, leaver button."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from staff.models import StaffMember

from .factories import make_staff

CSV = (b"full_name,work_email,job_role\n"
       b"Maria Lopez,maria@cascade.example,practice manager\n"
       b"Tom Reed,tom@cascade.example,front desk\n")


def url(name, *args):
    return reverse(name, args=["cascade", *args])


def test_the_roster_searches_and_filters(world, client_for):
    make_staff(world.org, "Ann Active", job_role="coder")
    make_staff(world.org, "Lee Leaver", job_role="coder", status="terminated")
    make_staff(world.org, "Fay Front", job_role="front_desk")
    client = client_for(world.carol)
    page = client.get(url("roster"), {"status": "terminated"}).content.decode()
    assert "Lee Leaver" in page and "Ann Active" not in page
    page = client.get(url("roster"), {"job_role": "coder", "q": "ann"}).content.decode()
    assert "Ann Active" in page and "Lee Leaver" not in page and "Fay Front" not in page
    assert client.get(url("roster"), {"status": "bogus", "page": "999"}).status_code == 200


def test_roster_rows_show_each_persons_role_status_manager_and_counts(world, client_for):
    """The rows are built in staff.views._roster_rows: every value escaped, the same cells as before."""
    import datetime

    boss = make_staff(world.org, "Bea <Boss>", job_role="practice_manager")
    lee = make_staff(world.org, "Lee O'Leaver", job_role="coder", status="terminated", manager=boss,
                     end_date=datetime.date(2026, 3, 4), work_email="lee@cascade.example")
    page = client_for(world.carol).get(url("roster")).content.decode()
    assert (f'<tr>\n      <td><a href="{url("staff_detail", lee.pk)}">Lee O&#x27;Leaver</a><br>'
            '<span class="muted">lee@cascade.example</span></td>\n      <td>Coder</td>\n'
            '      <td><span class="badge badge-bad">Terminated</span> <span class="muted">until 2026-03-04</span></td>\n'
            '      <td>Bea &lt;Boss&gt;</td>\n      <td>0</td>\n      <td>0</td>\n    </tr>') in page
    assert '<td><span class="badge badge-ok">Active</span></td>\n      <td>—</td>' in page


def test_upload_previews_then_applies(world, client_for):
    client = client_for(world.alice)
    preview = client.post(url("roster_upload"), {"action": "preview", "file": SimpleUploadedFile("r.csv", CSV)})
    assert preview.status_code == 200
    assert b"2 to add, 0 to update" in preview.content
    assert not StaffMember.objects.exists()
    sha = preview.context["sha"]
    applied = client.post(url("roster_upload"), {"action": "apply", "sha": sha})
    assert applied.status_code == 302
    assert StaffMember.objects.filter(organization=world.org).count() == 2


def test_upload_with_bad_rows_lists_them_and_cannot_be_applied(world, client_for):
    client = client_for(world.alice)
    bad = CSV + b"Bad,bad@cascade.example,wizard\n"
    page = client.post(url("roster_upload"), {"action": "preview", "file": SimpleUploadedFile("r.csv", bad)})
    assert b"unknown job role" in page.content and b"nothing will be imported" in page.content
    assert b"Apply these changes" not in page.content
    applied = client.post(url("roster_upload"), {"action": "apply", "sha": "whatever"}, follow=True)
    assert b"preview has expired" in applied.content
    assert not StaffMember.objects.exists()


@pytest.mark.parametrize("user", ["bob", "carol", "dave", "oscar"])
def test_only_administrators_upload(world, client_for, user):
    client = client_for(getattr(world, user))
    r = client.post(url("roster_upload"), {"action": "preview", "file": SimpleUploadedFile("r.csv", CSV)})
    assert r.status_code == 403
    assert not StaffMember.objects.exists()


def test_the_leaver_button_flags_and_is_idempotent(world, client_for):
    lee = make_staff(world.org, "Lee Leaver")
    client = client_for(world.alice)
    client.post(url("staff_leaver", lee.pk), {"confirm": "yes"})
    client.post(url("staff_leaver", lee.pk), {"confirm": "yes"})
    lee.refresh_from_db()
    assert lee.employment_status == "terminated" and lee.end_date is not None


def test_a_duplicate_email_on_the_form_is_a_field_error(world, client_for):
    make_staff(world.org, "Ann", work_email="ann@cascade.example")
    page = client_for(world.alice).post(url("staff_new"), {"full_name": "Ann Two", "work_email": "ANN@cascade.example",
                                                           "job_role": "coder", "employment_status": "active"})
    assert page.status_code == 200 and b"already belongs to Ann" in page.content


def test_the_roster_counts_each_persons_live_accounts_once_whatever_their_findings(world):
    """Counted with a join on the findings, a person's live accounts were multiplied by their findings."""
    from django.utils import timezone

    from access.models import AccountStatus, PortalAccount
    from findings.models import Finding
    from staff.selectors import roster_search

    from .factories import make_enrollment

    person = make_staff(world.org, "Ann Many")
    for n, status in enumerate([AccountStatus.ACTIVE, AccountStatus.SUSPENDED, AccountStatus.DEACTIVATED]):
        PortalAccount.objects.create(organization=world.org, staff_member=person, enrollment=make_enrollment(world.org),
                                     portal_user_id=f"amany{n}", status=status)
    now = timezone.now()
    for n in range(4):
        Finding.objects.create(organization=world.org, rule="inactive_account", severity="low", key=f"k{n}",
                               title=f"Finding {n}", staff_member=person, first_seen=now, last_seen=now,
                               resolved_at=now if n == 3 else None)
    row = roster_search(organization=world.org).get(pk=person.pk)
    assert (row.live_accounts, row.open_findings) == (2, 3)
