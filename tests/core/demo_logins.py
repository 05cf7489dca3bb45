"""The demo world as the page tests see it: both demo practices, a login per role signed in through the real
sign-in form and its second factor, and each practice's real object ids for every URL pattern with ids.

Shared by the crawler (tests/core/test_crawler.py: every GET) and the form-post fuzzer
(tests/core/test_form_posts.py: every POST).
"""

from django.test import Client

PRACTICES = ["cascade-family", "potomac-ortho"]
ROLES = ["administrator", "billing_manager", "auditor", "staff", "platform_operator"]


def users_by_role(org):
    """A login per role in this practice: the demo's where it has one, otherwise one made here."""
    from accounts.demo import ensure_demo_mfa
    from accounts.models import Membership, Role, User
    from accounts.services import membership_grant
    from staff.models import StaffMember

    users = {}
    for role in (Role.ADMINISTRATOR, Role.BILLING_MANAGER, Role.AUDITOR, Role.STAFF):
        m = (Membership.objects.filter(organization=org, role=role, user__is_staff=False).select_related("user")
             .order_by("pk").first())
        if m is None:
            user = User.objects.create_user(email=f"crawler-{role}@{org.slug}.test", password="crawl-Pa55-word!",
                                            full_name=f"Crawler {Role(role).label}")
            membership_grant(organization=org, user=user, role=role)
            if role == Role.STAFF:  # a staff login sees her own accounts: link her to someone on the roster
                person = StaffMember.objects.filter(organization=org, user__isnull=True).order_by("pk").first()
                if person:
                    StaffMember.objects.filter(pk=person.pk).update(user=user)
            m = Membership.objects.get(organization=org, user=user)
        users[str(role)] = m.user
    operator = User.objects.filter(email="crawler-operator@platform.test").first()
    if operator is None:  # a platform operator with no role in any practice
        operator = User.objects.create_user(email="crawler-operator@platform.test", password="crawl-Pa55-word!",
                                            full_name="Platform Operator", is_staff=True)
    users["platform_operator"] = operator
    for user in users.values():
        ensure_demo_mfa(user)
    return users


def password_of(user):
    from core.management.commands.seed_demo import DEMO_PASSWORD

    return DEMO_PASSWORD if user.email.endswith("@demo.portalgov.test") else "crawl-Pa55-word!"


def sign_in(user) -> Client:
    """The real login form, then the second factor if the site asks for it."""
    from accounts.mfa import current_code
    from accounts.models import TOTPDevice

    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": user.email, "password": password_of(user)})
    assert response.status_code == 302, f"{user.email} could not sign in"
    if "/accounts/mfa/" not in response["Location"]:  # the landing page sends a login that owes its second factor on
        response = client.get(response["Location"])
    if response.status_code == 302 and "/accounts/mfa/" in response["Location"]:
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # several sign-ins in one 30-second step
        response = client.post("/accounts/mfa/verify/", {"code": current_code(device.secret)})
        assert response.status_code == 302 and "/accounts/mfa/" not in response["Location"], user.email
    return client


def route_values(org):
    """url name -> list of kwargs dicts filled with this practice's real objects (a few of each)."""
    from django.db.models import Q

    from access.models import PortalAccount, ProvisioningTask
    from accounts.models import GroupNPI, Invitation, MedicarePTAN, Membership, PracticeLocation
    from audits.models import AuditEvent
    from carriers.models import Carrier, Contract, Portal, PortalEnrollment
    from findings.models import Finding
    from integrations.models import ApiCredential
    from offboarding.models import ChecklistItem, OffboardingCase
    from reconciliation.models import Difference, UserListUpload
    from reviews.models import ReviewCampaign, ReviewItem
    from staff.models import EnrollmentAdministrator, StaffMember
    from training.models import TrainingModule

    def pks(qs, n=2):
        return list(qs.order_by("-pk").values_list("pk", flat=True)[:n])

    mine = {"organization": org}
    campaigns = pks(ReviewCampaign.objects.filter(**mine), 3)
    items = pks(ReviewItem.objects.filter(**mine), 2) + pks(ReviewItem.objects.filter(**mine, reviewer__isnull=True), 1)
    staff = pks(StaffMember.objects.filter(**mine), 2) + pks(StaffMember.objects.filter(**mine).exclude(
        employment_status="active"), 1)
    enrollments = pks(PortalEnrollment.objects.filter(**mine))
    accounts = pks(PortalAccount.objects.filter(**mine), 3)
    checklist = pks(ChecklistItem.objects.filter(**mine))
    modules = pks(TrainingModule.objects.filter(**mine))
    contracts = pks(Contract.objects.filter(**mine))
    memberships = pks(Membership.objects.filter(**mine), 3)
    events = pks(AuditEvent.objects.filter(organization_id=org.pk), 3)
    objects = list(AuditEvent.objects.filter(organization_id=org.pk).exclude(object_pk="")
                   .values_list("object_type", "object_pk").distinct()[:5])
    ids = {
        "organization_identifier_remove": [{"kind": "npi", "pk": p} for p in pks(GroupNPI.objects.filter(**mine))]
        + [{"kind": "ptan", "pk": p} for p in pks(MedicarePTAN.objects.filter(**mine))]
        + [{"kind": "location", "pk": p} for p in pks(PracticeLocation.objects.filter(**mine))],
        "invitation": [{"pk": p} for p in pks(Invitation.objects.filter(**mine))],
        "invitation_withdraw": [{"pk": p} for p in pks(Invitation.objects.filter(**mine))],
        "reconciliation_upload": [{"pk": p} for p in enrollments],
        "reconciliation_mapping": [{"pk": p} for p in enrollments],
        "reconciliation_upload_detail": [{"pk": p} for p in pks(UserListUpload.objects.filter(**mine))],
        "reconciliation_resolve": [{"pk": p} for p in pks(Difference.objects.filter(**mine))],
        "api-review-campaign": [{"campaign_id": p} for p in campaigns],
        "api-review-items": [{"campaign_id": p} for p in campaigns],
        "api-review-item-decide": [{"item_id": p} for p in items],
        # SCIM answers a bearer credential only: a signed-in person gets 401 whatever the id.
        "scim-schema": [{"schema_id": "urn:ietf:params:scim:schemas:core:2.0:User"}],
        "scim-resource-type": [{"type_id": "User"}],
        "scim-user": [{"scim_id": p} for p in staff],
        "member_remove": [{"pk": p} for p in memberships],
        "security_member_unlock": [{"pk": p} for p in memberships],
        "security_member_mfa_reset": [{"pk": p} for p in memberships],
        "audit_event": [{"event_id": p} for p in events],
        "audit_person_history": [{"user_id": p} for p in
                                 Membership.objects.filter(**mine).values_list("user_id", flat=True)[:3]],
        "audit_object_history": [{"object_type": t, "object_pk": p} for t, p in objects],
        "directory_portal": [{"pk": p} for p in pks(Portal.objects.filter(Q(organization=org) | Q(
            enrollments__organization=org)).distinct())],
        "directory_custom_portal_edit": [{"pk": p} for p in pks(Portal.objects.filter(**mine))],
        "directory_enrollment_edit": [{"pk": p} for p in enrollments],
        "directory_carrier": [{"pk": p} for p in pks(Carrier.objects.filter(contracts__organization=org).distinct())],
        "directory_contract_edit": [{"pk": p} for p in contracts],
        "directory_contract_delete": [{"pk": p} for p in contracts],
        "reviews_decide": [{"pk": p} for p in items],
        "reviews_delegate": [{"pk": p} for p in items],
        "reviews_reassign": [{"pk": p} for p in items],
        "reviews_remediation": [{"pk": p} for p in items],
        "reviews_campaign": [{"pk": p} for p in campaigns],
        "reviews_sign_off": [{"pk": p} for p in campaigns],
        "reviews_evidence": [{"pk": p} for p in campaigns],
        "reviews_evidence_csv": [{"pk": p} for p in campaigns],
        "staff_detail": [{"pk": p} for p in staff],
        "staff_edit": [{"pk": p} for p in staff],
        "staff_leaver": [{"pk": p} for p in staff],
        "provision_plan": [{"pk": p} for p in staff],
        "enrollment_administrators": [{"pk": p} for p in enrollments],
        "enrollment_administrator_delete": [{"pk": p} for p in
                                            pks(EnrollmentAdministrator.objects.filter(enrollment__organization=org))],
        "account_detail": [{"pk": p} for p in accounts],
        "task_complete": [{"pk": p} for p in pks(ProvisioningTask.objects.filter(**mine))],
        "finding_silence": [{"pk": p} for p in pks(Finding.objects.filter(**mine))],
        "offboarding_case": [{"pk": p} for p in pks(OffboardingCase.objects.filter(**mine))],
        "offboarding_item_complete": [{"pk": p} for p in checklist],
        "offboarding_successor": [{"pk": p} for p in checklist],
        "integrations_credential_revoke": [{"pk": p} for p in pks(ApiCredential.objects.filter(**mine))],
        "training_module": [{"pk": p} for p in modules],
        "training_module_edit": [{"pk": p} for p in modules],
        "training_record": [{"pk": p} for p in modules],
        "api-staff-detail": [{"staff_id": p} for p in staff],
        "api-staff-terminate": [{"staff_id": p} for p in staff],
        "api-portal-account": [{"account_id": p} for p in accounts],
        "password_reset_confirm": [{"uidb64": "MQ", "token": "set-password"}],
    }
    return ids
