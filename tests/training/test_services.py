import datetime

import pytest
from django.core.exceptions import ValidationError

from audits.models import AuditEvent
from findings.models import Finding
from findings.services import findings_evaluate_organization
from staff.models import StaffMember
from tests.reviews.factories import make_account, make_staff
from training.models import Scope, TrainingCompletion, TrainingModule
from training.selectors import training_status_for_accounts
from training.services import completion_record, module_create, module_update

pytestmark = pytest.mark.django_db


def _record(tw, who, module, day, **kw):
    return completion_record(organization=tw.w.org, staff_member=who, module=module, completed_on=day,
                             acting_user=tw.w.alice, **kw)


def test_completion_expiry_is_computed_from_the_modules_renewal_and_audited(tw):
    done = _record(tw, tw.gina, tw.general, datetime.date(2026, 1, 31), evidence="LMS certificate 42")
    assert done.expires_on == datetime.date(2027, 1, 31)
    tw.general.renewal_months = 1
    tw.general.save()
    assert _record(tw, tw.gina, tw.general, datetime.date(2026, 1, 31)).expires_on == datetime.date(2026, 2, 28)
    event = AuditEvent.objects.filter(action="training_completion.recorded", organization_id=tw.w.org.pk).first()
    assert event and event.changes["expires_on"][1] in ("2027-01-31", "2026-02-28")


@pytest.mark.parametrize("case", ["future", "other_module", "other_staff", "inactive_module"])
def test_completion_refusals_save_nothing(tw, case):
    other = tw.w.other_org
    module, who, day = tw.general, tw.gina, datetime.date(2026, 11, 1)
    if case == "future":
        day = datetime.date(2026, 11, 28)
    elif case == "other_module":
        module = TrainingModule.objects.create(organization=other, title="Theirs")
    elif case == "other_staff":
        who = StaffMember.objects.create(organization=other, full_name="Oscar O", work_email="o@x.example",
                                         job_role="front_desk")
    else:
        tw.general.is_active = False
        tw.general.save()
    before = AuditEvent.objects.filter(action__startswith="training_completion").count()
    with pytest.raises(ValidationError) as exc:
        _record(tw, who, module, day)
    assert exc.value.message_dict  # a field-level, readable error
    assert TrainingCompletion.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="training_completion").count() == before


def test_module_validation_and_audit(tw):
    with pytest.raises(ValidationError) as exc:
        module_create(organization=tw.w.org, acting_user=tw.w.alice, title="No portal", scope=Scope.PORTAL)
    assert "portal" in exc.value.message_dict
    with pytest.raises(ValidationError):
        module_create(organization=tw.w.org, acting_user=tw.w.alice, title="portal SECURITY")  # duplicate title
    module = module_create(organization=tw.w.org, acting_user=tw.w.alice, title="ERA handling", renewal_months=24)
    module_update(module=module, acting_user=tw.w.alice, renewal_months=12, is_active=False)
    actions = list(AuditEvent.objects.filter(organization_id=tw.w.org.pk, object_pk=str(module.pk),
                                             action__startswith="training_module").values_list("action", flat=True))
    # The service's events and the row's diffs share the canonical names (issue 13).
    assert sorted(set(actions)) == ["training_module.created", "training_module.updated"]


def test_status_selector_and_its_query_count_stays_flat(tw, django_assert_num_queries):
    tw.portal_module.is_active = False
    tw.portal_module.save()
    _record(tw, tw.dave_staff, tw.general, datetime.date(2026, 6, 1))
    _record(tw, tw.gina, tw.general, datetime.date(2025, 6, 1))  # expired 2026-06-01
    none_org_acct = tw.dave_acct.pk
    ids = [tw.dave_acct.pk, tw.gina_acct.pk]
    status = training_status_for_accounts(tw.w.org, ids)
    assert status == {tw.dave_acct.pk: "current", tw.gina_acct.pk: "expired"}
    extra = make_staff(tw.w.org, "New Person")
    new_acct = make_account(extra, tw.enrollment)
    with django_assert_num_queries(3):
        status = training_status_for_accounts(tw.w.org, [*ids, new_acct.pk])
    for i in range(20):
        make_account(make_staff(tw.w.org, f"Bulk {i}"), tw.enrollment)
    from access.models import PortalAccount
    all_ids = list(PortalAccount.objects.values_list("pk", flat=True))
    with django_assert_num_queries(3):
        training_status_for_accounts(tw.w.org, all_ids)
    assert status[new_acct.pk] == "due" and status[none_org_acct] == "current"
    # Another organization's accounts are not read.
    assert training_status_for_accounts(tw.w.other_org, ids) == {i: "none required" for i in ids}


def test_untrained_holder_finding_opens_when_a_completion_expires_and_resolves_when_recorded(tw, now):
    tw.portal_module.is_active = False
    tw.portal_module.save()
    _record(tw, tw.dave_staff, tw.general, datetime.date(2025, 12, 15))  # expires 2026-12-15
    _record(tw, tw.gina, tw.general, datetime.date(2026, 1, 10))
    import django.utils.timezone as tz

    findings_evaluate_organization(organization=tw.w.org, now=tz.now())
    assert not Finding.objects.filter(organization=tw.w.org, rule="untrained_holder", resolved_at__isnull=True).exists()
    now.move_to(datetime.datetime(2026, 12, 20, 9, 0, tzinfo=datetime.UTC))
    findings_evaluate_organization(organization=tw.w.org, now=tz.now())
    open_ = Finding.objects.filter(organization=tw.w.org, rule="untrained_holder", resolved_at__isnull=True)
    assert [(f.portal_account_id, f.severity) for f in open_] == [(tw.dave_acct.pk, "medium")]
    assert "expired on 2026-12-15" in open_[0].title
    # The finding names the person (issue 13), not only the module.
    assert open_[0].title.startswith(f"Untrained holder: {tw.dave_staff.full_name} — Portal security (completion")
    _record(tw, tw.dave_staff, tw.general, datetime.date(2026, 12, 19))
    findings_evaluate_organization(organization=tw.w.org, now=tz.now())
    assert not Finding.objects.filter(organization=tw.w.org, rule="untrained_holder", resolved_at__isnull=True).exists()
    assert Finding.objects.filter(organization=tw.w.org, rule="untrained_holder", resolved_at__isnull=False).count() == 1


def test_untrained_holder_rule_runs_in_a_fixed_number_of_queries(tw, django_assert_max_num_queries):
    import django.utils.timezone as tz

    from training.findings_hook import untrained_holder_specs

    with django_assert_max_num_queries(4):
        small = untrained_holder_specs(tw.w.org, tz.now())
    for i in range(30):
        make_account(make_staff(tw.w.org, f"Bulk {i}"), tw.enrollment)
    with django_assert_max_num_queries(4):
        big = untrained_holder_specs(tw.w.org, tz.now())
    assert len(small) == 4 and len(big) == 64  # two modules (general + Noridian) per account
    assert len({s.key for s in big}) == 64
