import datetime

import pytest
from django.urls import reverse

from audits.models import AuditEvent
from tests.reviews.factories import make_account, make_staff
from training.models import TrainingCompletion, TrainingModule
from training.services import completion_record

pytestmark = pytest.mark.django_db


def _url(name, org="cascade", **kw):
    return reverse(name, kwargs={"org_slug": org, **kw})


def test_auditor_reads_modules_but_cannot_edit_or_record(tw, client_for):
    client = client_for(tw.w.carol)
    page = client.get(_url("training_modules"))
    assert page.status_code == 200 and b"Noridian portal basics" in page.content
    assert client.get(_url("training_module", pk=tw.general.pk)).status_code == 200
    assert client.get(_url("training_module_new")).status_code == 403
    assert client.get(_url("training_module_edit", pk=tw.general.pk)).status_code == 403
    response = client.post(_url("training_record", pk=tw.general.pk),
                           {"staff_member": tw.gina.pk, "completed_on": "2026-11-01"})
    assert response.status_code == 403 and TrainingCompletion.objects.count() == 0


def test_staff_role_only_reaches_their_own_training_page(tw, client_for):
    client = client_for(tw.w.dave)
    assert client.get(_url("training_modules")).status_code == 403
    assert client.get(_url("training_module", pk=tw.general.pk)).status_code == 403
    page = client.get(_url("my_training"))
    assert page.status_code == 200 and b"Portal security" in page.content and b"Missing" in page.content


def test_other_organization_gets_404_for_our_module(tw, client_for):
    client = client_for(tw.w.oscar)
    assert client.get(_url("training_module", org="other", pk=tw.general.pk)).status_code == 404
    assert client.post(_url("training_record", org="other", pk=tw.general.pk),
                       {"staff_member": tw.gina.pk, "completed_on": "2026-11-01"}).status_code == 404
    assert client.get(_url("training_modules")).status_code == 403  # no role in cascade


def test_administrator_creates_a_module_and_records_a_completion(tw, client_for):
    client = client_for(tw.w.alice)
    response = client.post(_url("training_module_new"), {"title": "ERA handling", "scope": "general",
                                                         "renewal_months": "24", "is_active": "on"})
    module = TrainingModule.objects.get(title="ERA handling")
    assert response.status_code == 302 and module.renewal_months == 24
    response = client.post(_url("training_record", pk=module.pk),
                           {"staff_member": tw.gina.pk, "completed_on": "2026-11-02", "evidence": "cert 7"})
    assert response.status_code == 302
    done = TrainingCompletion.objects.get(module=module)
    assert done.expires_on == datetime.date(2028, 11, 2) and done.method == "recorded" and done.recorded_by == tw.w.alice


def test_recording_a_future_date_is_refused_on_the_form(tw, client_for):
    client = client_for(tw.w.alice)
    response = client.post(_url("training_record", pk=tw.general.pk),
                           {"staff_member": tw.gina.pk, "completed_on": "2026-12-01"})
    assert response.status_code == 200 and b"cannot be in the future" in response.content
    assert TrainingCompletion.objects.count() == 0
    response = client.post(_url("training_module_new"), {"title": "", "scope": "portal", "renewal_months": "0"})
    assert response.status_code == 200 and TrainingModule.objects.count() == 2


def test_staff_attests_their_own_completion_and_it_is_audited(tw, client_for):
    client = client_for(tw.w.dave)
    response = client.post(_url("my_training"), {"module": tw.general.pk, "completed_on": "2026-11-20",
                                                 "evidence": "LMS"})
    assert response.status_code == 302
    done = TrainingCompletion.objects.get()
    assert done.staff_member == tw.dave_staff and done.method == "attested"
    assert AuditEvent.objects.filter(action="training_completion.attested", organization_id=tw.w.org.pk).exists()
    # A module of another organization, or a future date: refused, nothing saved.
    other = TrainingModule.objects.create(organization=tw.w.other_org, title="Theirs")
    client.post(_url("my_training"), {"module": other.pk, "completed_on": "2026-11-20"})
    client.post(_url("my_training"), {"module": tw.general.pk, "completed_on": "2027-01-01"})
    assert TrainingCompletion.objects.count() == 1


def test_a_login_without_a_roster_entry_sees_an_explanation(tw, client_for):
    client = client_for(tw.w.carol)
    page = client.get(_url("my_training"))
    assert page.status_code == 200 and b"not on this practice" in page.content
    client.post(_url("my_training"), {"module": tw.general.pk, "completed_on": "2026-11-20"})
    assert TrainingCompletion.objects.count() == 0


def test_list_and_module_pages_stay_flat_as_rows_grow(tw, client_for):
    client = client_for(tw.w.carol)

    def measure():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        counts = []
        for url in (_url("training_modules"), _url("training_module", pk=tw.general.pk)):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts.append(len(ctx))
        dave = client_for(tw.w.dave)
        with CaptureQueriesContext(connection) as ctx:
            assert dave.get(_url("my_training")).status_code == 200
        counts.append(len(ctx))
        client_for(tw.w.carol)
        return counts

    measure()  # warm caches (content types, permissions) first
    before = measure()
    for i in range(30):
        person = make_staff(tw.w.org, f"Bulk {i}")
        make_account(person, tw.enrollment)
        completion_record(organization=tw.w.org, staff_member=person, module=tw.general,
                          completed_on=datetime.date(2026, 1, 1), acting_user=tw.w.alice)
        TrainingModule.objects.create(organization=tw.w.org, title=f"Module {i}")
    assert measure() == before and max(before) <= 20


def test_dashboard_card_counts_accounts_with_training_due(tw, client_for):
    from django.utils import timezone

    from findings.services import findings_evaluate_organization

    findings_evaluate_organization(organization=tw.w.org, now=timezone.now())
    page = client_for(tw.w.carol).get(reverse("dashboard", kwargs={"org_slug": "cascade"}))
    cards = {c["label"]: c["value"] for c in page.context["cards"]}
    assert cards["Accounts with training due"] == 2
    page = client_for(tw.w.dave).get(reverse("dashboard", kwargs={"org_slug": "cascade"}))
    assert "Accounts with training due" not in {c["label"] for c in page.context["cards"]}
